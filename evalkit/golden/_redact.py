"""The built-in PII redactor: typed, numbered placeholders that stay consistent within a case.

Covers emails, phone numbers, Luhn-checked card numbers, mod-97-checked IBANs, API-key and token
shapes, IPv4/IPv6 addresses and names from a user list. What counts as each (patterns,
validators, context rules) lives in :mod:`evalkit.golden._pii_rules`; this module runs the
finders in order, resolves overlaps and numbers the placeholders.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from evalkit.golden import _pii_rules as rules

#: entity types in the order they are searched (earlier types win on overlapping matches)
ENTITY_TYPES: tuple[str, ...] = (
    "EMAIL", "IBAN", "CARD", "API_KEY", "IPV6", "IPV4", "PHONE", "NAME",
)

#: a placeholder this module writes (``<EMAIL_1>``): never part of a new span
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")


@dataclass(slots=True)
class _Finder:
    name: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] | None = None
    #: a cheap search that must hit before the full pattern runs (most text has no PII)
    gate: re.Pattern[str] | None = None
    #: refuses a match from the text before it (``PN 1234-5678-90``, ``section 1.2.3.4``)
    veto: Callable[[str, int], bool] | None = None
    #: instead of ``check``: the accepted prefix length of a match and whether it is an entity;
    #: a refused prefix still claims its characters from later types (see ``_find``)
    fit: Callable[[str], tuple[int, bool]] | None = None


_DIGIT_RUN = re.compile(r"\d[\d ()./-]{5,}\d")  # phones, cards: 7+ digit-ish characters
_FINDERS = (
    _Finder("EMAIL", rules.EMAIL, rules.email_ok, re.compile("@")),
    # an IBAN-shaped string with a wrong checksum is a typo or a lure: not an IBAN, and not a
    # phone number in its tail either ("GB00 WEST 1234 5698 7654 32")
    _Finder("IBAN", rules.IBAN, gate=re.compile(r"\b[A-Za-z]{2}\d{2}"), fit=rules.iban_fit),
    _Finder("CARD", rules.CARD, rules.card_ok, _DIGIT_RUN),
    _Finder("API_KEY", rules.API_KEY, gate=re.compile(  # each shape's fixed start, as it is cased
        r"[spr]k[-_]|gh[pousr]_|github_pat_|glpat-|hf_|npm_|SG\.|xox|xapp-|AKIA|ASIA|AIza|eyJ"
        r"|(?i:bearer)")),
    _Finder("IPV6", rules.IPV6, rules.ipv6_ok, re.compile(":")),
    _Finder("IPV4", rules.IPV4, rules.ip_ok, re.compile(r"\d\.\d"), veto=rules.is_numbering),
    _Finder("PHONE", rules.PHONE, rules.phone_ok, _DIGIT_RUN, veto=rules.is_labelled_id),
)


@lru_cache(maxsize=256)
def _name_finder(names: tuple[str, ...]) -> _Finder | None:
    name_list = sorted({n for n in names if n and n.strip()}, key=len, reverse=True)
    if not name_list:
        return None
    alt = "|".join(re.escape(n) for n in name_list)
    return _Finder("NAME", re.compile(rf"(?<!\w)(?:{alt})(?!\w)", re.IGNORECASE))


@lru_cache(maxsize=65536)
def _find(text: str, names: tuple[str, ...]) -> tuple[tuple[int, int, str], ...]:
    # cached: system prompts and repeated turns are searched once
    spans: list[tuple[int, int, str]] = []
    # characters no span may touch: placeholders already in the text, refused IBAN shapes
    taken: list[tuple[int, int, str]] = (
        [(*m.span(), "") for m in _PLACEHOLDER.finditer(text)] if "<" in text else [])
    nf = _name_finder(names)
    for f in (*_FINDERS, nf) if nf is not None else _FINDERS:
        if f.gate is not None and f.gate.search(text) is None:
            continue
        for m in f.pattern.finditer(text):
            s, e = m.span()
            if any(s < e2 and s2 < e for s2, e2, _ in taken):
                continue
            if f.fit is not None:
                n, ok = f.fit(m.group())
                if not ok:
                    if n:
                        taken.append((s, s + n, ""))
                    continue
                e = s + n
            if f.check is not None and not f.check(m.group()):
                continue
            if f.veto is not None and f.veto(text, s):
                continue
            spans.append((s, e, f.name))
            taken.append((s, e, f.name))
    return tuple(sorted(spans))


def find_entities(text: str, *, names: Iterable[str] = ()) -> list[tuple[int, int, str]]:
    """Return non-overlapping ``(start, end, type)`` spans of PII in ``text``, in text order.

    Examples
    --------
    >>> find_entities("mail bob@example.com from 10.0.0.1")
    [(5, 20, 'EMAIL'), (26, 34, 'IPV4')]
    """
    return list(_find(text, tuple(names)))


@dataclass(slots=True)
class Redactor:
    """A redactor whose placeholders are consistent across every text it sees.

    One ``Redactor`` per golden case: the same email gets ``<EMAIL_1>`` in the input, the
    messages and the references. ``counts`` tallies replacements per entity type.

    Examples
    --------
    >>> r = Redactor(names=["Lucas Novak"])
    >>> r("Lucas Novak <lucas@x.org>"), r("again: lucas@x.org")
    ('<NAME_1> <<EMAIL_1>>', 'again: <EMAIL_1>')
    >>> dict(r.counts)
    {'NAME': 1, 'EMAIL': 2}
    """

    names: Iterable[str] = ()
    mapping: dict[tuple[str, str], str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    _per_type: Counter[str] = field(default_factory=Counter, repr=False)

    def __post_init__(self) -> None:
        self.names = tuple(self.names)

    def fresh(self) -> Redactor:
        """A new redactor with the same names and empty placeholder numbering."""
        return Redactor(names=self.names)

    def __call__(self, text: str) -> str:
        """Return ``text`` with PII replaced by typed placeholders.

        Passes repeat until nothing more is found, so the output is a fixed point (redacting it
        again changes nothing): a placeholder can expose a neighbour that the replaced text hid,
        as in ``a@b.AA+4930901820`` (the phone number was glued to the address). This ends: no
        span may touch a placeholder, so each pass leaves fewer characters of the original.
        """
        if not text:
            return text
        while True:
            spans = _find(text, self.names)  # type: ignore[arg-type]
            if not spans:
                return text
            text = self._replace(text, spans)

    def _replace(self, text: str, spans: tuple[tuple[int, int, str], ...]) -> str:
        out: list[str] = []
        pos = 0
        per_type = self._per_type
        for s, e, kind in spans:
            value = text[s:e]
            key = (kind, value.lower() if kind in ("EMAIL", "NAME", "IBAN") else value)
            if key not in self.mapping:
                per_type[kind] += 1
                self.mapping[key] = f"<{kind}_{per_type[kind]}>"
            out.append(text[pos:s])
            out.append(self.mapping[key])
            self.counts[kind] += 1
            pos = e
        out.append(text[pos:])
        return "".join(out)


def redact(text: str, *, names: Iterable[str] = ()) -> str:
    """Replace PII in ``text`` with typed placeholders such as ``<EMAIL_1>``.

    Parameters
    ----------
    text : str
        Any text.
    names : iterable of str, optional
        Person names to remove (matched case-insensitively as whole words).

    Returns
    -------
    str
        The text with emails, phone numbers, Luhn-valid card numbers, mod-97-valid IBANs,
        API-key and token shapes, IPv4/IPv6 addresses and the given names replaced. Equal values
        get the same placeholder.

    Examples
    --------
    >>> redact("Card 4111 1111 1111 1111, mail ann@acme.io or ann@acme.io, call +1 415 555 0100")
    'Card <CARD_1>, mail <EMAIL_1> or <EMAIL_1>, call <PHONE_1>'
    >>> redact("order 1234 5678 9012 3456 is not a card (Luhn fails)")
    'order 1234 5678 9012 3456 is not a card (Luhn fails)'
    """
    if not isinstance(text, str):
        from evalkit.golden._errors import GoldenError

        raise GoldenError(f"`text` must be a str; got {type(text).__name__}.")
    return Redactor(names=names)(text)
