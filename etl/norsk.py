"""Norwegian text in and out: header normalisation, numbers, periods and dates, display formatting.

The one place for how Norwegian numbers, periods and labels are read and written.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

# Letters that NFKD does not decompose; folded so "Ansvar nr." ~ "ansvarnr", "År" ~ "ar", "Måned" ~ "maned".
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "å": "a", "ß": "ss"})

MONTHS = {
    "januar": 1,
    "jan": 1,
    "februar": 2,
    "feb": 2,
    "mars": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mai": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "desember": 12,
    "des": 12,
}
MONTH_NAMES = [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
]

PERIOD_TYPES = ("year", "tertial", "quarter", "month")
PERIOD_TYPE_LABELS = {"year": "år", "tertial": "tertial", "quarter": "kvartal", "month": "måned"}
PERIOD_TYPE_NOUNS = {"year": "et helt år", "tertial": "et tertial", "quarter": "et kvartal", "month": "én måned"}
PERIOD_TYPE_EXAMPLES = {"year": "2025", "tertial": "2025T1", "quarter": "2025K1", "month": "2025-08"}
# What a unit cell says when the row is for the whole kommune (besides the kommune's own name).
KOMMUNE_WORDS = ("hele kommunen", "kommunen", "kommune", "kommunen totalt", "totalt", "alle enheter")


class ParseError(ValueError):
    """A value that cannot be read; the message is Norwegian and says what was expected.

    `fix`, when given, says how to write this value right (the reader's column advice is used otherwise)."""

    def __init__(self, message: str, fix: str | None = None):
        super().__init__(message)
        self.fix = fix


def normalise_header(text: object) -> str:
    """Fold a header to its comparable form: lower case, no diacritics, letters and digits only."""
    s = str(text or "").strip().lower().translate(_FOLD)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "", s)


_NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f']")
# How a dot is used in a number written as text. `1.200`, `12.000`: a dot before exactly three digits can be a
# thousands separator or a decimal point; `0.500` cannot be 500, `4.5` and `1234.567` cannot be thousands.
_AMBIGUOUS_DOT = re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}")
_DECIMAL_DOT = re.compile(r"[+-]?\d*\.\d+")
_THOUSANDS_DOTS = re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+")
_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d*),\d+")
DOT_USES = ("decimal", "thousands", "unknown")


def _number_text(value: object) -> str:
    """A number's text as parse_number reads it: no spaces, currency, per cent, and `(12)` as `-12`."""
    s = str(value).strip()
    s = s.replace("\u2212", "-").replace("kr", "").replace("%", "")
    s = _NUMBER_SPACES.sub("", s)
    if s.startswith("(") and s.endswith(")"):  # accounting negative
        s = "-" + s[1:-1]
    return s


def dot_use(values: Iterable[object]) -> str:
    """How a column's numbers use the dot, decided from every value in it written as text.

    `thousands` when a value has a decimal comma (`1 234,5`, `1.234,5`) or several dots (`1.234.567`);
    `decimal` when a value has a dot that cannot separate thousands (`4.5`, `12.75`, `0.500`, `1234.567`);
    `unknown` when nothing decides or the column says both: `1.200` could then be 1,2 or 1 200, and
    `parse_number(…, dot="unknown")` refuses it. Numbers that are not text (Excel numbers) say nothing."""
    thousands = decimal = False
    for value in values:
        if not isinstance(value, str):
            continue
        s = _number_text(value)
        if _DECIMAL_COMMA.fullmatch(s) or (s.count(".") > 1 and _THOUSANDS_DOTS.fullmatch(s)):
            thousands = True
        elif _DECIMAL_DOT.fullmatch(s) and not _AMBIGUOUS_DOT.fullmatch(s):
            decimal = True
    if thousands != decimal:
        return "thousands" if thousands else "decimal"
    return "unknown"


def parse_number(value: object, dot: str = "decimal") -> float:
    """Read a number as Norwegian exports write it: `1 234,5`, `-12,3 %`, `1.234.567`, `(kr) 12 000`.

    A comma is the decimal sign, and with it dots are thousands separators (`1.234,5`); several dots are
    thousands separators (`1.234.567`). A single value alone cannot tell whether `1.200` is 1,2 or 1 200:
    `dot` says how the value's column uses a lone dot (see `dot_use`): `decimal` (the default for a value
    on its own: `3.5` and `1.200` are 3,5 and 1,2), `thousands` (`1.200` is 1 200; a dot that cannot separate
    thousands, `4.5`, is refused), or `unknown` (`1.200` is refused as ambiguous, `4.5` is still 4,5)."""
    if dot not in DOT_USES:
        raise ValueError(f"dot must be one of {DOT_USES}, not {dot!r}")
    if isinstance(value, bool):
        raise ParseError("ventet et tall, fant en sannhetsverdi")
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            raise ParseError("tomt felt")
        return _finite(float(value), value)
    s = _number_text(value)
    if not s:
        raise ParseError("tomt felt")
    if "," in s:
        if "." in s.partition(",")[2]:  # `1,234.5` is English: a dot after the decimal comma
            raise ParseError(f"«{value}» er ikke et tall (bruk desimalkomma, for eksempel 1 234,5)")
        # decimal comma; dots are thousands separators
        s = s.replace(".", "").replace(",", ".")
    elif s.count(".") > 1:
        s = s.replace(".", "")
    elif "." in s and dot == "thousands":
        if not _THOUSANDS_DOTS.fullmatch(s):
            raise ParseError(
                f"«{value}» har desimalpunktum, men resten av kolonnen bruker punktum som tusenskille",
                "Skriv tallet med desimalkomma, for eksempel 4,5, og tusener med mellomrom: 1 234,5.",
            )
        s = s.replace(".", "")
    elif dot == "unknown" and _AMBIGUOUS_DOT.fullmatch(s):
        as_decimal = s.replace(".", ",").rstrip("0").rstrip(",")
        whole = s.replace(".", "")
        as_thousands = f"{whole[:-3]} {whole[-3:]}"
        raise ParseError(
            f"«{value}» kan bety {as_decimal} eller {as_thousands}: punktum kan være både desimaltegn og "
            "tusenskille, og ingen andre tall i kolonnen avgjør det",
            f"Skriv {as_thousands} (mellomrom som tusenskille) eller {s.replace('.', ',')} (desimalkomma). Står "
            "det ett tall med desimalkomma i kolonnen, leses punktum i hele kolonnen som tusenskille.",
        )
    try:
        number = float(s)
    except ValueError:
        raise ParseError(f"«{value}» er ikke et tall (bruk for eksempel 1 234,5)") from None
    return _finite(number, value)


# No figure in a municipality's files comes near this (a thousand billion kroner); a cell beyond it is a
# broken export, an overflow (`1e400`) or a text like `inf` that Python would read as infinity.
LARGEST_NUMBER = 1e15


def _finite(number: float, raw: object) -> float:
    """The number, or ParseError for infinity, not-a-number and absurd magnitudes."""
    if not math.isfinite(number):
        raise ParseError(
            f"«{shorten(raw)}» er ikke et endelig tall (uendelig eller ikke et tall)",
            "Skriv tallet slik det er, for eksempel 1 234,5; uendelig og feilverdier kan ikke lagres.",
        )
    if abs(number) > LARGEST_NUMBER:
        raise ParseError(
            f"«{shorten(raw)}» er urimelig stort (over {LARGEST_NUMBER:.0e} i absoluttverdi)",
            "Sjekk cellen: tallet er trolig feil eksportert eller limt inn. Skriv det riktige tallet.",
        )
    return number


def shorten(value: object, most: int = 60) -> str:
    """A value as a message shows it: control characters written out (`E10\\u0007`), cut to `most` characters."""
    text = "".join(f"\\u{ord(ch):04x}" if (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0) else ch for ch in str(value))
    return text if len(text) <= most else f"{text[: most - 1]}… ({len(text)} tegn)"


def _check_year(year: int) -> int:
    if not 1900 <= year <= 2100:
        raise ParseError(f"året {year} er utenfor 1900–2100")
    return year


def _check_month(month: int, raw: object) -> int:
    if not 1 <= month <= 12:
        raise ParseError(f"«{raw}» har måned {month}; en måned er 1–12")
    return month


def parse_period(value: object) -> tuple[dt.date, str]:
    """Read a period to (first day, period_type): `2025`, `2025-03`, `202503`, `03.2025`, `mars 2025`,
    `2025M03`, `2025K1`/`2025Q1`/`1. kvartal 2025`, `2025T1`/`1. tertial 2025`, or an Excel date."""
    if isinstance(value, dt.datetime):
        return dt.date(value.year, value.month, 1), "month"
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, 1), "month"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip().lower()
    if not s:
        raise ParseError("tom periode")
    m = re.fullmatch(r"(\d{4})", s)
    if m:
        return dt.date(_check_year(int(m[1])), 1, 1), "year"
    m = re.fullmatch(r"(\d{4})\s*[-/m]\s*(\d{1,2})", s) or re.fullmatch(r"(\d{4})(\d{2})", s)
    if m:
        return dt.date(_check_year(int(m[1])), _check_month(int(m[2]), value), 1), "month"
    m = re.fullmatch(r"(\d{1,2})\s*[./-]\s*(\d{4})", s)
    if m:
        return dt.date(_check_year(int(m[2])), _check_month(int(m[1]), value), 1), "month"
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ t]00:00(?::00)?)?", s)
    if m:
        return dt.date(_check_year(int(m[1])), _check_month(int(m[2]), value), 1), "month"
    m = re.fullmatch(r"([a-zæøå]+)\.?\s+(\d{4})", s)
    if m and m[1] in MONTHS:
        return dt.date(_check_year(int(m[2])), MONTHS[m[1]], 1), "month"
    m = re.fullmatch(r"(\d{4})\s*([kqt])\s*(\d)", s) or re.fullmatch(r"(\d)\.?\s*(kvartal|tertial)\s+(\d{4})", s)
    if m:
        if m[1].isdigit() and len(m[1]) == 4:
            year, kind, num = int(m[1]), m[2], int(m[3])
        else:
            num, kind, year = int(m[1]), m[2][0], int(m[3])
        if kind in ("k", "q"):
            if not 1 <= num <= 4:
                raise ParseError(f"«{value}»: et kvartal er 1–4")
            return dt.date(_check_year(year), 3 * num - 2, 1), "quarter"
        if not 1 <= num <= 3:
            raise ParseError(f"«{value}»: et tertial er 1–3")
        return dt.date(_check_year(year), 4 * num - 3, 1), "tertial"
    raise ParseError(f"«{value}» er ikke en periode (bruk for eksempel 2025, 2025-03, 03.2025 eller 2025T1)")


_EXCEL_EPOCH = dt.date(1899, 12, 30)
# A time of day after a date, dropped when the date is read: `14:30`, `14:30:00`, `kl. 14.30`, `T14:30:00.000Z`.
_TIME = r"(?:(?:\s+|T)(?:kl\.?\s*)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:[.,]\d+)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?)?"
_DMY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{2,4})" + _TIME, re.IGNORECASE)
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})" + _TIME, re.IGNORECASE)


def _check_time(m: re.Match, value: object) -> None:
    hour, minute, second = m[4], m[5], m[6]
    if hour is not None and (int(hour) > 23 or int(minute) > 59 or (second is not None and int(second) > 59)):
        raise ParseError(f"«{value}» har et klokkeslett som ikke finnes (bruk dd.mm.åååå, for eksempel 31.03.2025)")


def parse_date(value: object) -> dt.date:
    """Read a date: an Excel date cell or serial number, `dd.mm.yyyy`, `dd.mm.yy` or `yyyy-mm-dd`, also with a
    time of day after it (`10.01.2025 14:30`, `10.01.2025 kl. 14.30`, `2025-01-10 14:30:00`), which is dropped."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value <= 80000:
            raise ParseError(f"«{value}» er ikke en dato")
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    s = str(value).strip()
    try:
        m = _DMY.fullmatch(s)
        if m:
            _check_time(m, value)
            if len(m[3]) == 2:  # `01.12.99`: 1999 or 2099? Never guessed.
                raise ParseError(
                    f"«{value}» har tosifret årstall, som kan bety både 19{m[3]} og 20{m[3]}",
                    "Skriv årstallet med fire sifre (dd.mm.åååå), for eksempel 01.12.1999, eller bruk en Excel-dato.",
                )
            year = int(m[3])
            return dt.date(_check_year(year), int(m[2]), int(m[1]))
        m = _ISO.fullmatch(s)
        if m:
            _check_time(m, value)
            return dt.date(_check_year(int(m[1])), int(m[2]), int(m[3]))
        if re.fullmatch(r"\d{5}(\.0+)?", s):
            return parse_date(float(s))
    except ValueError as e:
        if isinstance(e, ParseError):
            raise
        raise ParseError(f"«{value}» er ikke en gyldig dato") from None
    raise ParseError(f"«{value}» er ikke en dato (bruk dd.mm.åååå, for eksempel 31.03.2025)")


# ---------------------------------------------------------------- display


def format_number(value: float | None, decimals: int = 0) -> str:
    """Norwegian number: `1 234,5` (narrow no-break space as thousands separator, decimal comma)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    # Half away from zero on the decimal digits (2,25 → 2,3; 2,675 → 2,68), as people round and as the
    # scorecard SQL rounds before judging a status; Python's own formatting would round 2,25 to 2,2.
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = abs(rounded)  # a value that rounds to zero has no sign: never «−0,0»
    text = f"{rounded:,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")
    return text.replace("-", "\u2212")


def format_count(n: int, one: str, many: str) -> str:
    """A count with its noun as Norwegians write it: `1 rad`, `1 245 rader`."""
    return f"{format_number(n)} {one if n == 1 else many}"


def format_plain_number(value: float | None, decimals: int | None = None) -> str:
    """A number for a CSV file Excel reads as a number in Norwegian: `-1234,5` (decimal comma, no thousands
    separator, ASCII minus); rounded to `decimals` as `format_number` does, else up to six decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if decimals is not None:
        rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
        text = f"{rounded:.{decimals}f}"
    else:
        text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    if float(text) == 0:
        text = text.lstrip("-")  # no "-0,0"
    return text.replace(".", ",")


def format_value(value: float | None, unit: str, decimals: int = 0) -> str:
    """A value with its unit of measure as users read it: `4,7 %`, `12 300 kr`, `4,5`."""
    text = format_number(value, decimals)
    if text == "–":
        return text
    if unit == "%":
        return f"{text}\u00a0%"
    if unit in ("kr", "1000 kr"):
        return f"{text}\u00a0{unit}"
    return text


def format_period(period: dt.date, period_type: str) -> str:
    """A period as users say it: `2025`, `mars 2025`, `1. tertial 2025`, `2. kvartal 2025`."""
    if period_type == "year":
        return str(period.year)
    if period_type == "tertial":
        return f"{(period.month - 1) // 4 + 1}. tertial {period.year}"
    if period_type == "quarter":
        return f"{(period.month - 1) // 3 + 1}. kvartal {period.year}"
    return f"{MONTH_NAMES[period.month - 1]} {period.year}"


def format_date(day: dt.date | dt.datetime | None) -> str:
    """A date as `15.03.2026`."""
    return "–" if day is None else day.strftime("%d.%m.%Y")


STATUS_LABELS = {"green": "Grønn", "yellow": "Gul", "red": "Rød", "grey": "Grå"}
FOCUS_AREAS = ("Økonomi", "Ansatte", "Brukere", "Interne prosesser")
