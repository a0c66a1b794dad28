"""Scan results to pandas: Arrow tables to frames, canonical columns with canonical dtypes.

One job: decode dictionary columns, parse JSON text in list/dict columns and conform canonical
columns through :func:`evalkit.traces.schema.conform`; other columns keep Arrow-derived dtypes.
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import pandas as pd

from evalkit.traces.schema import CANONICAL_COLUMNS, COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa


def to_frame(table: pa.Table, names: list[str], *, canonical: bool) -> pd.DataFrame:
    """Arrow -> pandas, canonical columns through :func:`schema.conform`.

    Canonical dtypes are enforced and missing canonical columns are null; other columns keep
    their Arrow-derived dtypes (text as ``string``).
    """
    import pyarrow as pa

    from evalkit.traces import schema

    def plain(col: pa.ChunkedArray) -> pd.Series:
        return col.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)

    table = _decode_dictionaries(table)
    present = set(table.column_names)
    extras = {
        c: (plain(table.column(c)) if c in present else pd.Series([None] * table.num_rows))
        for c in names
        if not (canonical and c in CANONICAL_COLUMNS)
    }
    if not canonical:
        return pd.DataFrame(extras, columns=names).reset_index(drop=True)
    data: dict[str, Any] = {}
    for c in COLUMNS:
        if c not in present:
            continue
        col = table.column(c)
        if schema.DTYPES[c] is object:
            data[c] = _fix_objects(c, col.to_pylist())
        elif (
            isinstance(schema.DTYPES[c], pd.ArrowDtype)
            and col.type == schema.DTYPES[c].pyarrow_dtype
        ):
            data[c] = pd.arrays.ArrowExtensionArray(col)
        elif isinstance(schema.DTYPES[c], pd.ArrowDtype):
            data[c] = pd.Series(_fix_objects(c, col.to_pylist()), dtype=object)
        else:
            data[c] = plain(col)
    frame = schema.conform(pd.DataFrame(data, index=range(table.num_rows)))
    for c, values in extras.items():
        frame[c] = values.reset_index(drop=True)
    return frame[names].reset_index(drop=True)


def _decode_dictionaries(table: pa.Table) -> pa.Table:
    """Dictionary columns (our fast read path) back to their plain value type."""
    import pyarrow as pa

    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            plain = table.column(i).cast(field.type.value_type)
            table = table.set_column(i, field.with_type(field.type.value_type), plain)
    return table


def _fix_objects(name: str, values: list[Any]) -> list[Any]:
    """Cells of a list/dict column: JSON text is parsed and Arrow maps become dicts.

    :func:`schema.conform` then coerces what is left (e.g. a null ``metadata`` becomes ``{}``).
    """
    as_dict = name in ("metadata", "source")
    out: list[Any] = []
    for v in values:
        if isinstance(v, str) and v[:1] in "[{":
            with suppress(ValueError):
                v = json.loads(v)
        if as_dict and isinstance(v, list) and all(isinstance(x, tuple) and len(x) == 2 for x in v):
            v = dict(v)  # an Arrow map column
        out.append(v)
    return out
