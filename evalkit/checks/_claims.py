"""Clauses as lexical claims: content stems, quantities (numbers with units) and negation.

The parts of the contradiction proxy (:func:`evalkit.checks.contradicts_retrieved`) that read
text. Everything here is deterministic and offline: regular expressions, a crude stemmer (the
first five letters of a word) and fixed word lists, so results never depend on a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: Words that negate a statement (plus the contraction ``n't`` and words starting ``non``).
NEGATION_WORDS: frozenset[str] = frozenset({
    "not", "no", "never", "cannot", "none", "nothing", "nobody", "neither", "nor", "nowhere",
})

#: Duration units in hours (a business day counts as a day), so "48 hours" compares to "21 days".
DURATION_HOURS: dict[str, float] = {
    "second": 1 / 3600, "sec": 1 / 3600, "minute": 1 / 60, "min": 1 / 60, "hour": 1.0,
    "hr": 1.0, "day": 24.0, "week": 168.0, "month": 730.0, "year": 8760.0,
}

#: Number words read as numbers before a duration unit ("three days" is 72 hours).
NUMBER_WORDS: dict[str, float] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "sixty": 60, "hundred": 100,
}

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# short function words (the 4+ letter ones are evalkit.checks._grounded.STOPWORDS)
_STOP3 = frozenset({
    # prepositions that frame quantities, and the unit words themselves: two clauses about
    # different things should not align because both say "within ... days"
    "within", "without", "until", "every", "least", "business", "calendar", "working",
    "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks",
    "month", "months", "year", "years",
    "the", "and", "for", "are", "you", "our", "can", "its", "was", "has", "had", "but", "any",
    "may", "per", "via", "get", "let", "who", "how", "why", "yes", "use", "all", "one", "out",
    "off", "own", "too", "now", "new", "way", "see", "got", "did", "she", "her", "him", "his",
})
_NUM = r"\d+(?:[.,]\d+)*"
_NUMWORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
# a number (not part of an id such as INV-2025-1 or a version 1.2.3-rc) or a number word,
# an optional range end, then the unit word (optionally after "business"/"calendar")
_QUANTITY = re.compile(
    rf"(?<![\w\-/.])(?:(?P<cur>[$€£])\s?)?(?P<a>{_NUM}|(?:{_NUMWORD})\b)"
    rf"(?:\s?(?:-|–|to)\s?(?P<b>{_NUM}))?"
    rf"(?:\s?(?P<pct>%)|\s+(?:business\s+|calendar\s+|working\s+)?(?P<unit>[a-z]+))?",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b|"
    rf"\b(?P<mon>{'|'.join(_MONTHS)})[a-z]*\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_NUMBER_SET = frozenset(NUMBER_WORDS)
_WORD = re.compile(r"[^\W\d_]+")
# clauses: sentence ends, and commas, semicolons or colons followed by a space ("10,000" stays)
_CLAUSE = re.compile(r"(?<=[.!?;,:])\s+|\n+")


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit family, as an interval (``lo == hi`` unless a range)."""

    unit: str  # 'duration', '$', '%', 'date' or a unit word such as 'time' or 'instance'
    lo: float
    hi: float
    text: str  # as written, for reasons

    def agrees(self, other: Quantity) -> bool:
        """Same unit family and overlapping values (a range agrees with a value inside it)."""
        return (self.unit == other.unit and self.lo <= other.hi * (1 + 1e-9)
                and other.lo <= self.hi * (1 + 1e-9))


@dataclass(frozen=True, slots=True)
class Claim:
    """One clause: its text, content stems, quantities and whether it is negated."""

    text: str
    stems: frozenset[str]
    quantities: tuple[Quantity, ...]
    negated: bool


def stem(word: str) -> str:
    """The crude stem of a lower-case word: its first five letters.

    Examples
    --------
    >>> [stem(w) for w in ("refundable", "refunded", "refund", "days", "invoices")]
    ['refun', 'refun', 'refun', 'days', 'invoi']
    """
    return word[:5]


def _unit(word: str) -> str | None:
    w = word.lower()
    for u in (w, w[:-1] if w.endswith("s") else w):
        if u in DURATION_HOURS:
            return u
    return None


def _number(text: str) -> float | None:
    t = text.lower()
    if t in NUMBER_WORDS:
        return float(NUMBER_WORDS[t])
    try:
        return float(t.replace(",", ""))
    except ValueError:
        return None


def quantities(sentence: str) -> tuple[Quantity, ...]:
    """Numbers with units, amounts, percentages and dates in a sentence.

    Durations are converted to hours (``"2 days"`` agrees with ``"48 hours"``); other unit words
    are kept as written, singular (``"3 times"`` -> ``time``). Bare numbers without a unit are
    left out (ids, versions, counts without a noun are too ambiguous to compare).

    Examples
    --------
    >>> [(q.unit, q.lo, q.hi) for q in quantities("Refunds take 5-7 business days, or $12.50.")]
    [('duration', 120.0, 168.0), ('$', 12.5, 12.5)]
    >>> [(q.unit, q.lo) for q in quantities("Invoice INV-2025-1 is due Feb 15 (10% off).")]
    [('%', 10.0), ('date', 215.0)]
    """
    out: list[Quantity] = []
    for m in _QUANTITY.finditer(sentence):
        a = _number(m["a"])
        b = _number(m["b"]) if m["b"] else a
        if a is None or b is None:
            continue
        lo, hi = min(a, b), max(a, b)
        if m["cur"]:
            out.append(Quantity(m["cur"].replace("€", "EUR").replace("£", "GBP"), lo, hi,
                                m[0].strip()))
        elif m["pct"]:
            out.append(Quantity("%", lo, hi, m[0].strip()))
        elif m["unit"]:
            u = _unit(m["unit"])
            if u is not None:
                f = DURATION_HOURS[u]
                out.append(Quantity("duration", lo * f, hi * f, m[0].strip()))
            elif m["a"][0].isdigit() and len(m["unit"]) > 2 and m["unit"].isalpha():
                word = m["unit"].lower()
                word = word[:-1] if word.endswith("s") and len(word) > 3 else word
                out.append(Quantity(word, lo, hi, m[0].strip()))
    for m in _DATE.finditer(sentence):
        if m["y"]:
            value = int(m["m"]) * 100 + int(m["d"])
        else:
            value = (_MONTHS.index(m["mon"][:3].lower()) + 1) * 100 + int(m["day"])
        out.append(Quantity("date", float(value), float(value), m[0].strip()))
    return tuple(out)


@lru_cache(maxsize=16_384)  # bounded memory: answers are long and rarely repeat whole
def claims(text: str) -> tuple[Claim, ...]:
    """The clauses of ``text`` as :class:`Claim` objects (cached per distinct text).

    Clauses end at ``.``, ``!``, ``?``, ``;``, ``,`` or ``:`` followed by whitespace, or at a
    line break: a negation in one clause ("if you're not an owner, ask an owner...") does not
    negate the next.

    Examples
    --------
    >>> c = claims("Annual plans are non-refundable, but see Billing > Plan.")
    >>> [(x.negated, sorted(x.stems)) for x in c]
    [(True, ['annua', 'plans', 'refun']), (False, ['billi', 'plan'])]
    """
    return tuple(_claim(c.strip()) for c in _CLAUSE.split(text) if c.strip())


@lru_cache(maxsize=65_536)
def _claim(clause: str) -> Claim:
    """One clause as a :class:`Claim` (cached: greetings and closings repeat across answers)."""
    low = clause.lower()
    words = _WORD.findall(low)
    stems = frozenset(stem(w) for w in words if len(w) >= 3 and w not in _skip())
    # the quantity regexes are the costly part: run them only where a number can be
    maybe_number = _DIGIT.search(clause) is not None or not _NUMBER_SET.isdisjoint(words)
    negated = (not NEGATION_WORDS.isdisjoint(words) or "n't" in low or "n’t" in low
               or any(w.startswith("non") for w in words))
    return Claim(text=clause, stems=stems,
                 quantities=quantities(clause) if maybe_number else (), negated=negated)


@lru_cache(maxsize=1)
def _skip() -> frozenset[str]:
    from evalkit.checks._grounded import STOPWORDS

    return STOPWORDS | _STOP3 | NEGATION_WORDS | {"non"}


def overlap(answer: Claim, source: Claim) -> float:
    """Share of the answer sentence's content stems that the source sentence has.

    Examples
    --------
    >>> a, = claims("Invoices are payable within 60 days.")
    >>> b, = claims("Invoices are issued monthly and payable within 14 days.")
    >>> sorted(a.stems), overlap(a, b)
    (['invoi', 'payab'], 1.0)
    """
    if not answer.stems:
        return 0.0
    return len(answer.stems & source.stems) / len(answer.stems)
