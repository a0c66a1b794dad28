"""The built-in PII redactor: typed, numbered placeholders that stay consistent within a case.

Covers emails, phone numbers, Luhn-checked card numbers, mod-97-checked IBANs, API-key and token
shapes, IPv4/IPv6 addresses and names from a user list. Checksums (Luhn, mod 97) and
:mod:`ipaddress` keep digit runs that merely look like a card, an IBAN or an address out.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

#: entity types in the order they are searched (earlier types win on overlapping matches)
ENTITY_TYPES: tuple[str, ...] = (
    "EMAIL", "IBAN", "CARD", "API_KEY", "IPV6", "IPV4", "PHONE", "NAME",
)

_EMAIL = re.compile(  # unicode local parts and domains; an apostrophe inside (o'brien@)
    r"(?<![\w.+-])[\w%+-](?:[\w.%+'-]*[\w%+-])?@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b"
    r"(?!:[\w~/])"  # git@github.com:org/repo is an SSH remote, not a mailbox
)
#: "logo@2x.png": file names with a scale suffix look like addresses
_FILE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "svg", "ico", "bmp", "tif", "tiff",
                        "avif", "heic", "pdf"})
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"(?<![\d-])(?:\d(?: {1,2}|-)?){12,18}\d(?![\d-])")
_API_KEY = re.compile(
    r"\b(?:sk|pk|rk)[-_](?:live|test|proj)?[-_]?[A-Za-z0-9]{16,}\b"  # Stripe/OpenAI style
    r"|\bsk-ant-[A-Za-z0-9_-]{20,}"  # Anthropic
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}\b"  # GitHub tokens
    r"|\bglpat-[A-Za-z0-9_-]{20,}"  # GitLab personal access tokens
    r"|\bhf_[A-Za-z0-9]{30,}\b|\bnpm_[A-Za-z0-9]{36}\b"  # Hugging Face, npm
    r"|\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"  # SendGrid
    r"|\b(?:xox[abposr]|xapp)-[A-Za-z0-9-]{10,}\b"  # Slack tokens
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key ids (long-term, temporary)
    r"|\bAIza[0-9A-Za-z_-]{35}\b"  # Google API keys
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"  # JWTs
    r"|(?i:\bbearer\s+)[A-Za-z0-9._~+/-]{20,}=*"  # bearer tokens
)
_IPV6 = re.compile(  # ::ffff:192.0.2.128 and 64:ff9b::198.51.100.7 end in a dotted quad
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?![\w:])"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)")
_PHONE = re.compile(
    r"(?<![\w+.-])(?:\+\d{1,3}[ .-]?|1-)?(?:\(\d{1,4}\)[ .-]?)?"
    r"\d{1,6}(?:[ .-]\d{1,9}){1,5}(?![\w-])"
    r"|(?<![\w+])\+\d{8,15}\b"
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    s = text.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _card_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if not (13 <= len(digits) <= 19 and _luhn(digits) and len(set(digits)) > 1):
        return False
    # lengths the network of the first digits issues (a 15-digit "4..." is an IMEI, not a Visa)
    if digits[0] == "4":
        return len(digits) in (13, 16, 19)
    if digits[:2] in ("34", "37"):
        return len(digits) == 15
    if "51" <= digits[:2] <= "55" or "2221" <= digits[:4] <= "2720":
        return len(digits) == 16
    return True


def _email_ok(text: str) -> bool:
    return text.rsplit(".", 1)[-1].lower() not in _FILE_TLDS


def _ip_ok(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _ipv6_ok(text: str) -> bool:
    return ":" in text and text.count(":") >= 2 and _ip_ok(text) and text.strip(":") != ""


def _phone_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if re.fullmatch(r"\d{3}[-.]\d{4}", text):  # a 7-digit local number such as 555-0100
        return True
    if not 8 <= len(digits) <= 15:
        return False
    if re.fullmatch(r"0\d(?:\.\d{2}){4}", text):  # French style 01.42.68.53.00
        return True
    if text[0] not in "+(":
        groups = re.split(r"[ .()-]+", text)
        if len(groups) == 2 and (text[0] != "0" or "." in text):  # 1000-2000, 94107-1234,
            return False  # 0.0001305: ranges, ZIP+4, ids, decimals
        if re.match(r"(?:19|20)\d{2}[ .-]", text):  # 2025.03.18.1202, 2025-0042-117
            return False
        if re.fullmatch(r"\d{1,2}[.-]\d{1,2}[.-]\d{4}", text):  # 18.03.2025
            return False
        if re.fullmatch(r"\d+(?:\.\d+){3,}", text):  # versions 10.0.19045.3803
            return False
        if re.fullmatch(r"97[89]-[\d-]+", text) and len(digits) == 13:  # ISBN-13
            return False
    # dates (2025-03-18), dotted quads (999.999.999.999) and versions are digit runs, not phones
    date = re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)
    return not (date or re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){2,}", text))


@dataclass(slots=True)
class _Finder:
    name: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] | None = None
    #: a cheap search that must hit before the full pattern runs (most text has no PII)
    gate: re.Pattern[str] | None = None


_DIGIT_RUN = re.compile(r"\d[\d ().-]{5,}\d")  # phones, cards: 7+ digit-ish characters
_FINDERS = (
    _Finder("EMAIL", _EMAIL, _email_ok, re.compile("@")),
    _Finder("IBAN", _IBAN, _iban_ok, re.compile(r"[A-Z]{2}\d{2}")),
    _Finder("CARD", _CARD, _card_ok, _DIGIT_RUN),
    _Finder("API_KEY", _API_KEY, gate=re.compile(  # each shape's fixed start, as it is cased
        r"[spr]k[-_]|gh[pousr]_|github_pat_|glpat-|hf_|npm_|SG\.|xox|xapp-|AKIA|ASIA|AIza|eyJ"
        r"|(?i:bearer)")),
    _Finder("IPV6", _IPV6, _ipv6_ok, re.compile(":")),
    _Finder("IPV4", _IPV4, _ip_ok, re.compile(r"\d\.\d")),
    _Finder("PHONE", _PHONE, _phone_ok, _DIGIT_RUN),
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
    nf = _name_finder(names)
    for f in (*_FINDERS, nf) if nf is not None else _FINDERS:
        if f.gate is not None and f.gate.search(text) is None:
            continue
        for m in f.pattern.finditer(text):
            s, e = m.span()
            if any(s < e2 and s2 < e for s2, e2, _ in spans):
                continue
            if f.check is not None and not f.check(m.group()):
                continue
            spans.append((s, e, f.name))
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
        """Return ``text`` with PII replaced by typed placeholders."""
        if not text:
            return text
        out: list[str] = []
        pos = 0
        spans = _find(text, self.names)  # type: ignore[arg-type]
        if not spans:
            return text
        per_type = self._per_type
        for s, e, kind in spans:
            value = text[s:e]
            key = (kind, value.lower() if kind in ("EMAIL", "NAME") else value)
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
