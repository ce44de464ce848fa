"""Norwegian text in and out: header normalisation, numbers, periods and dates, display formatting.

The one place for how Norwegian numbers, periods and labels are read and written.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
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
    """A value that cannot be read; the message is Norwegian and says what was expected."""


def normalise_header(text: object) -> str:
    """Fold a header to its comparable form: lower case, no diacritics, letters and digits only."""
    s = str(text or "").strip().lower().translate(_FOLD)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "", s)


_NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f']")


def parse_number(value: object) -> float:
    """Read a number as Norwegian exports write it: `1 234,5`, `-12,3 %`, `1.234.567`, `(kr) 12 000`."""
    if isinstance(value, bool):
        raise ParseError("ventet et tall, fant en sannhetsverdi")
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            raise ParseError("tomt felt")
        return float(value)
    s = str(value).strip()
    s = s.replace("\u2212", "-").replace("kr", "").replace("%", "")
    s = _NUMBER_SPACES.sub("", s)
    if s.startswith("(") and s.endswith(")"):  # accounting negative
        s = "-" + s[1:-1]
    if not s:
        raise ParseError("tomt felt")
    if "," in s:
        # decimal comma; dots are thousands separators
        s = s.replace(".", "").replace(",", ".")
    elif s.count(".") > 1:
        s = s.replace(".", "")
    try:
        return float(s)
    except ValueError:
        raise ParseError(f"«{value}» er ikke et tall (bruk for eksempel 1 234,5)") from None


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


def parse_date(value: object) -> dt.date:
    """Read a date: an Excel date cell or serial number, `dd.mm.yyyy`, `dd.mm.yy` or `yyyy-mm-dd`."""
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
        m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{2,4})", s)
        if m:
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return dt.date(_check_year(year), int(m[2]), int(m[1]))
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ T][\d:.]+)?", s)
        if m:
            return dt.date(_check_year(int(m[1])), int(m[2]), int(m[3]))
        if re.fullmatch(r"\d{5}(\.0+)?", s):
            return parse_date(float(s))
    except ValueError:
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
    text = f"{rounded:,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")
    return text.replace("-", "\u2212")


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
