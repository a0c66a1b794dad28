"""Scan filters: a column -> value(s) mapping or an expression, as a checked pyarrow expression.

One job: turn what users pass to :meth:`TraceScan.filter` into a :class:`pyarrow.compute.Expression`
bound to the files' schema, so a bad column or value fails at once, naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.compute as pc


def as_expression(expr: Any, schema: pa.Schema) -> pc.Expression:
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(expr, pc.Expression):
        try:  # bind now so an unknown column fails here, not in the middle of a scan
            import pyarrow.dataset as ds

            ds.dataset(schema.empty_table()).scanner(columns=[], filter=expr)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise ValueError(f"`filter` does not fit the files' columns: {exc}") from exc
        return expr
    if not isinstance(expr, Mapping) or not expr:
        raise ValueError(
            "`filter` must be a pyarrow.compute.Expression or a non-empty mapping of column -> "
            f"value(s); got {expr!r}."
        )
    parts = []
    for col, value in expr.items():
        if col not in schema.names:
            raise ValueError(
                f"`filter` names column {col!r}, which the files do not have "
                f"(columns: {', '.join(schema.names)})."
            )
        typ = schema.field(col).type
        if pa.types.is_dictionary(typ):
            typ = typ.value_type
        field = pc.field(col)
        if value is None:
            parts.append(field.is_null())
            continue
        many = isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series))
        values = list(value) if many else [value]
        if not values:
            raise ValueError(f"`filter` value list for {col!r} is empty.")
        non_null = [v for v in values if v is not None]
        try:
            arr = pa.array(non_null, type=typ)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise ValueError(
                f"`filter` value(s) for {col!r} do not fit its type {typ}: {non_null!r}."
            ) from exc
        cond = field.isin(arr) if many else (field == pa.scalar(non_null[0], type=typ))
        if len(non_null) < len(values):
            cond = cond | field.is_null()
        parts.append(cond)
    out = parts[0]
    for part in parts[1:]:
        out = out & part
    return out
