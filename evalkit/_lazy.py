"""Lazy public names for a package: the defining module is imported on first attribute access.

Every package of evalkit keeps ``import evalkit`` fast by naming its public objects in a
``{name: module}`` table instead of importing them; :func:`attach` builds the module-level
``__getattr__``, ``__dir__`` and ``__all__`` from that table (the pattern of PEP 562 and of
scientific-python's ``lazy_loader``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def attach(
    package: str, names: Mapping[str, str], *, submodules: Iterable[str] = (),
    extra: Iterable[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Return ``(__getattr__, __dir__, __all__)`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : mapping
        Public name -> module that defines it.
    submodules : iterable of str, optional
        Subpackages reachable as attributes (``evalkit.stats``).
    extra : iterable of str, optional
        Names defined in the package itself that belong in ``__all__``.

    Examples
    --------
    >>> getattr_, dir_, all_ = attach("pkg", {"sqrt": "math"})
    >>> getattr_("sqrt")(9.0), all_
    (3.0, ['sqrt'])
    """
    subs = frozenset(submodules)
    all_ = sorted([*names, *subs, *extra])

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            module = sys.modules.get(package)
            if module is not None:
                setattr(module, name, value)  # cache: later lookups skip this function
            return value
        if name in subs:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return all_

    return __getattr__, __dir__, all_
