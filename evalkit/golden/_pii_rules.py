"""What counts as PII for :mod:`evalkit.golden._redact`: patterns, validators, context rules.

Each entity type has a regular expression that proposes spans and a validator that accepts or
refuses the matched text (Luhn for cards, the IBAN registry's country lengths and ISO 13616
mod 97 for IBANs, :mod:`ipaddress` for IP addresses, digit counts and look-alike rules for phone
numbers). Context rules look at the words just before a span: a digit run named by a label
(``PN``, ``SKU``, ``order``, ``tracking`` ...) is an identifier, and a dotted quad after
``section``, ``§`` or ``version`` is a section or version number, not an address.
"""

from __future__ import annotations

import ipaddress
import re

EMAIL = re.compile(  # unicode local parts and domains; an apostrophe inside (o'brien@)
    r"(?<![\w.+-])[\w%+-](?:[\w.%+'-]*[\w%+-])?@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b"
    r"(?!:[\w~/])"  # git@github.com:org/repo is an SSH remote, not a mailbox
)
#: "logo@2x.png": file names with a scale suffix look like addresses
_FILE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "svg", "ico", "bmp", "tif", "tiff",
                        "avif", "heic", "pdf"})
#: IBANs in any letter case ("de89 3704 ...", typed on a phone); the validator decides
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b", re.IGNORECASE)
CARD = re.compile(r"(?<![\d-])(?:\d(?: {1,2}|-)?){12,18}\d(?![\d-])")
API_KEY = re.compile(
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
IPV6 = re.compile(  # ::ffff:192.0.2.128 and 64:ff9b::198.51.100.7 end in a dotted quad
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?![\w:])"
)
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)")
PHONE = re.compile(
    # 030/12345678, +49 (0)89/1234567, 040/30 30 30 30, 030 / 1234567, 030/1234567-89 (an
    # extension): an area code with its trunk 0 (or a country code) before a slash (German,
    # Austrian and Swiss writing)
    r"(?<![\w+/.-])(?:\+\d{1,3} ?(?:\(0\))?|0)\d{1,4}(?:/| / )"
    r"(?:\d{2,4}(?: \d{2,4}){0,3}|\d{5,8})(?:-\d{1,5})?(?![\w/-]|\.\d)"
    # (089) 7654321: a bracketed area code with its trunk 0, then one group
    r"|(?<![\w+/.-])\(0\d{1,4}\) ?\d{4,9}(?![\w/-]|[ .-]\d)"
    r"|(?<![\w+/.-])(?:\+\d{1,3}[ .-]?|1-)?(?:\(\d{1,4}\)[ .-]?)?"
    r"\d{1,6}(?:[ .-]\d{1,9}){1,5}(?![\w-])"
    r"|(?<![\w+])\+\d{8,15}\b"
)

#: IBAN length per country (SWIFT IBAN registry, ISO 13616): a code outside it, or another
#: length, is no IBAN even when mod 97 happens to pass (1 in 97 hex ids starting "de12" do)
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_shaped(text: str, *, exact: bool = False) -> bool:
    """A registry country code, two check digits and a plausible length (``exact``: its own).

    Lower or mixed case (``de89 3704 ...``) must have the country's exact length: lower-case hex
    ids pass mod 97 once in 97 (``de13a1b2c3d4e5f6a7b8c9d0`` does, with 24 characters where
    German IBANs have 22). Upper case keeps the earlier rule, any length from 15 to 34: an
    upper-case string with a registry country and a right checksum is more likely an IBAN with
    a digit too many or too few than anything else.
    """
    s = text.replace(" ", "")
    up = s.upper()
    length = IBAN_LENGTHS.get(up[:2])
    if length is None or not up[2:4].isdigit():
        return False
    return 15 <= len(s) <= 34 if s == up and not exact else len(s) == length


def _mod97_ok(s: str) -> bool:
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def iban_ok(text: str, *, exact: bool = False) -> bool:
    """IBAN-shaped and ISO 13616 mod 97 == 1 (letters count 10..35 whatever their case)."""
    return iban_shaped(text, exact=exact) and _mod97_ok(text.replace(" ", "").upper())


def iban_fit(text: str) -> tuple[int, bool]:
    """Return (length of the IBAN prefix, True), else (length of an IBAN-shaped prefix or 0, False).

    The pattern ignores case, so it can run on into the next short word ("de89 ... 00 to",
    "BE68539007547034 today"); prefixes are cut at a space, the longest valid one wins. A cut
    prefix must have its country's exact length: cutting gives a 1-in-97 checksum more tries
    (``CZ00 0800 0000 1920 0014 5399`` fails, its first 20 characters pass).

    Examples
    --------
    >>> iban_fit("de89 3704 0044 0532 0130 00 to")  # DE89...: the IBAN registry's example
    (27, True)
    >>> iban_fit("GB00 WEST 1234 5698 7654 32")  # shaped like an IBAN, checksum wrong
    (27, False)
    """
    if iban_ok(text):
        return len(text), True
    cuts = [i for i in range(len(text) - 1, 0, -1) if text[i] == " "]
    for cut in cuts:
        if iban_ok(text[:cut], exact=True):
            return cut, True
    if iban_shaped(text):
        return len(text), False
    return next((cut for cut in cuts if iban_shaped(text[:cut], exact=True)), 0), False


def card_ok(text: str) -> bool:
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


def email_ok(text: str) -> bool:
    return text.rsplit(".", 1)[-1].lower() not in _FILE_TLDS


def ip_ok(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def ipv6_ok(text: str) -> bool:
    return ":" in text and text.count(":") >= 2 and ip_ok(text) and text.strip(":") != ""


def phone_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if re.fullmatch(r"\d{3}[-.]\d{4}", text):  # a 7-digit local number such as 555-0100
        return True
    if "/" in text:  # 030/12345678: 9+ digits (Ref 0042/2025, page 012/345 have fewer)
        return 9 <= len(digits) <= 15
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


# --- context rules: the words right before a span -----------------------------------------------

#: A label naming an identifier, then optionally "no." / "#" / "number" / ":", then optionally
#: more pieces of the same identifier (tokens holding a digit, or short capitals such as "JJD",
#: "1Z", "E38"), ending right where the phone-like digits start. Any other word ("call", "or",
#: "questions"), a comma or a line break ends the label's reach, so "order hotline 0800 123 4567"
#: and "PN 1234-5678-90 or call 0171 2345678" keep their phone numbers. A number written with
#: ``+`` or ``(`` is a phone whatever the label ("questions about your order: +49 30 901820").
_ID_BEFORE = re.compile(
    r"(?<![\w/])(?i:p/?n|parts?|sku|tracking|orders?|invoice|serial|s/n)"
    r"(?:[ \t]*(?i:no\.?|nr\.?|number|#|:))*[ \t]*"
    r"(?:(?:[A-Za-z0-9]*\d[A-Za-z0-9]*|[A-Z]{1,4})[ \t-]+)*\Z"
)
#: "section", "§", "version", "v" and kin, an optional ":", then optionally a list of other such
#: numbers ("Sections 1.2.3.4 and 1.2.3.5"), ending where the dotted quad starts. Words that
#: also head address lists ("rules:", "table:", "step") are left out: "firewall rules:
#: 10.0.0.1" keeps its address.
_NUMBERING_BEFORE = re.compile(
    r"(?:(?<!\w)(?i:sections?|sec\.|versions?|ver\.|v|chapters?|ch\.|clauses?|paragraphs?"
    r"|para\.|articles?|art\.|appendix)|§§?)"
    r"[ \t]*:?[ \t]*(?:\d+(?:\.\d+)*[ \t]*(?:,|and|or|&)[ \t]*)*\Z"
)
_WINDOW = 60  # characters of context looked at (labels sit right before the number)


def is_labelled_id(text: str, start: int) -> bool:
    """``text[start:]`` continues an identifier named by a label (``PN 1234-5678-90``).

    Examples
    --------
    >>> is_labelled_id("UPS tracking: 1Z 999 AA1 01 2345 6784", 25)
    True
    >>> is_labelled_id("PN 1234-5678-90 or call 0171 2345678", 24)
    False
    """
    if text[start] in "+(":
        return False
    return _ID_BEFORE.search(text, max(0, start - _WINDOW), start) is not None


def is_numbering(text: str, start: int) -> bool:
    """``text[start:]`` is a section or version number (``section 1.2.3.4``, ``§ 4.1.2.3``).

    Examples
    --------
    >>> is_numbering("Sections 1.2.3.4 and 1.2.3.5", 21), is_numbering("rules: 10.0.0.1", 7)
    (True, False)
    """
    return _NUMBERING_BEFORE.search(text, max(0, start - _WINDOW), start) is not None
