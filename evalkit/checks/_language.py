"""Language match: the answer is in the user's language (py3langid, or your own detector).

The default detector is ``py3langid`` (a maintained fork of langid.py that ships its model; no
download at run time). Short texts are unreliable for any detector, so texts under ``min_chars``
are ``n/a``; restricting ``languages`` to those your users write improves accuracy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from evalkit.checks import _frame as F
from evalkit.checks._core import FAIL, NA, Check, CheckError, Verdicts, verdicts_from


@lru_cache(maxsize=8)
def _langid(languages: tuple[str, ...] | None) -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    # a fresh identifier (not py3langid's module-level one): set_languages mutates it
    ident = LanguageIdentifier.from_model_file(MODEL_FILE)
    if languages:
        try:
            ident.set_languages(list(languages))
        except ValueError as exc:
            raise CheckError(
                f"`languages` {list(languages)} not known to py3langid: {exc}"
            ) from None

    def detect(text: str) -> str:
        return str(ident.classify(text)[0])

    return detect


def default_detector(languages: Sequence[str] | None = None) -> Callable[[str], str]:
    """The py3langid detector, optionally restricted to ISO 639-1 ``languages``.

    Examples
    --------
    >>> detect = default_detector(["en", "es", "de", "fr"])
    >>> detect("¿Dónde está mi factura? La necesito hoy."), detect("Where is my invoice?")
    ('es', 'en')
    """
    if languages is not None and (not isinstance(languages, (list, tuple)) or not all(
            isinstance(x, str) for x in languages)):
        raise CheckError(f"`languages` must be a list of ISO 639-1 codes; got {languages!r}.")
    return _langid(tuple(sorted(languages)) if languages else None)


def language_match(*, detector: Callable[[str], str] | None = None,
                   languages: Sequence[str] | None = None, min_chars: int = 20,
                   user_column: str = "input", column: str = "output",
                   name: str = "language_match") -> Check:
    """The answer is in the same language as the user's message.

    Parameters
    ----------
    detector : callable, optional
        ``detector(text) -> language code``; default py3langid (see :func:`default_detector`).
    languages : sequence of str, optional
        Restrict the default detector to these ISO 639-1 codes.
    min_chars : int, default 20
        Texts shorter than this (after stripping) are ``n/a``: too short to identify.
    user_column, column : str
        The user's text (default ``input``) and the answer (default ``output``).
    name : str, default 'language_match'

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b"],
    ...     "input": ["¿Cómo restablezco mi contraseña de la cuenta?"] * 2,
    ...     "output": ["Puede restablecerla desde la página de inicio de sesión.",
    ...                "You can reset it from the sign-in page."]})
    >>> c = language_match(languages=["en", "es", "de", "fr"])
    >>> evalkit.run_checks(t, [c], by=None).frame[["verdict", "reason"]].values.tolist()
    [['pass', ''], ['fail', 'answer in en, user wrote es']]
    """
    if detector is not None and not callable(detector):
        raise CheckError(f"`detector` must be a callable text -> language; got {detector!r}.")
    if isinstance(min_chars, bool) or not isinstance(min_chars, int) or min_chars < 1:
        raise CheckError(f"`min_chars` must be a positive integer; got {min_chars!r}.")
    det = detector if detector is not None else default_detector(languages)

    def run(frame: Any) -> Verdicts:
        user = F.strings(frame, user_column).to_pylist()
        out = F.strings(frame, column).to_pylist()
        n = len(out)
        short = np.zeros(n, dtype=bool)
        differs = np.zeros(n, dtype=bool)
        why = np.full(n, "", dtype=object)
        for i, (u, o) in enumerate(zip(user, out, strict=True)):
            if u is None or o is None or len(u.strip()) < min_chars or len(o.strip()) < min_chars:
                short[i] = True
                continue
            lu, lo = det(u), det(o)
            if lu != lo:
                differs[i] = True
                why[i] = f"answer in {lo}, user wrote {lu}"
        return verdicts_from(n, [(short, NA, f"text shorter than {min_chars} characters"),
                                 (differs, FAIL, why)])

    return Check(name=name, func=run, columns=(user_column, column),
                 description="the answer is in the user's language",
                 params={"languages": list(languages) if languages else None,
                         "min_chars": min_chars})
