"""Settings: command-line options, then `BMS_…` environment variables, then `settings.toml`, then defaults.

The settings are a typed model (pydantic) that refuses what it cannot mean: an unknown key (a misspelt
`min-n` would otherwise be ignored without a word), a truth value or a fraction where a whole number
belongs, and impossible values (a minimum of 0 answers, no server workers). Each refusal is one Norwegian
line naming the setting and saying how to fix it.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from etl.errors import BmsError

SETTINGS_FILE = "settings.toml"
CATALOGUE_FILE = "balansehandbok.csv"
# The repository's own data folder: the defaults `bms init` copies and the bundled demo.
BUNDLED_DATA = Path(__file__).resolve().parent.parent / "data"


def _whole(value: object) -> object:
    """A whole number: never a truth value (`true` is not 1) and never a fraction (`2.9` is not 2)."""
    if isinstance(value, bool):
        raise ValueError("sannhetsverdi")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("desimaltall")
    return value


def _number(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("sannhetsverdi")
    return value


def _codes(value: object) -> object:
    """A list of codes: a TOML list, or a comma-separated text (environment variables, options)."""
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list | tuple):
        if any(isinstance(x, bool | float | dict | list) for x in value):
            raise ValueError("liste med annet enn tekst")
        return tuple(str(x).strip() for x in value if str(x).strip())
    return value


def _text(value: object) -> object:
    if isinstance(value, bool | dict | list):
        raise ValueError("ikke tekst")
    return str(value) if isinstance(value, int | float) else value


def _code(value: object) -> object:
    """A code is text: a number would have lost its leading zeros (`0301` as 301)."""
    if not isinstance(value, str):
        raise ValueError("ikke tekst")
    return value


Whole = Annotated[int, BeforeValidator(_whole)]
Number = Annotated[float, BeforeValidator(_number)]
Codes = Annotated[tuple[str, ...], BeforeValidator(_codes)]
Text = Annotated[str, BeforeValidator(_text)]
Code = Annotated[str, BeforeValidator(_code)]
DAY_MONTH = r"^\d{2}\.\d{2}$"  # a due date in the year, "dd.mm"


def _day_months(value: tuple[str, ...]) -> tuple[str, ...]:
    """Every due date of a list must be "dd.mm"."""
    if any(not re.match(DAY_MONTH, v) for v in value):
        raise ValueError("ikke datoer som dd.mm")
    return value


DayMonth = Annotated[Text, Field(pattern=DAY_MONTH)]
DayMonths = Annotated[Codes, AfterValidator(_day_months)]

# What each setting must be, in Norwegian, for the fix-it line of a refused value.
RULES = {
    "min_n": "et helt tall, minst 1 (færreste antall svar før et enhetstall vises; 3 eller mer anbefales)",
    "max_file_mb": "et tall over 0 (megabyte)",
    "max_unzipped_mb": "et tall over 0 (megabyte)",
    "keep_versions": "et helt tall, minst 1",
    "port": "et helt tall fra 1 til 65535",
    "workers": "et helt tall, minst 1",
    "watch_seconds": "et tall over 0 (sekunder)",
    "ssb_api": "«v2» eller «v0»",
    "ssb_requests_per_minute": "et helt tall, minst 1",
    "ssb_max_cells": "et helt tall, minst 1",
    "ssb_max_url": "et helt tall, minst 100",
    "ssb_retries": "et helt tall, 0 eller mer",
    "ssb_backoff_seconds": "et tall, 0 eller mer (sekunder)",
    "ssb_timeout_seconds": "et tall over 0 (sekunder)",
    "kommune_code": 'et kommunenummer med fire sifre, som tekst (for eksempel "5055")',
    "klass_date": "en dato som åååå-mm-dd, eller tom",
    "threads": "et helt tall, minst 1",
    "header_timeout_seconds": "et tall over 0 (sekunder)",
    "max_request_mb": "et tall over 0 (megabyte)",
    "max_upload_mb": "et tall over 0 (megabyte)",
    "employee_survey_every_years": "et helt tall, minst 1 (år)",
    "secure_cookies": "true eller false",
    "session_hours": "et tall over 0 (timer)",
    "idle_minutes": "et tall over 0 (minutter)",
    "login_account_limit": "et helt tall, minst 1",
    "login_address_limit": "et helt tall, minst 1",
    "login_cooldown_seconds": "et tall over 0 (sekunder)",
    "login_slow_after": "et helt tall, 0 eller mer",
    "login_delay_seconds": "et tall, 0 eller mer (sekunder)",
    **{
        name: 'en dato i året som "dd.mm" (for eksempel "15.06"), eller en liste av slike'
        for name in (
            "due_kostra_preliminary",
            "due_kostra_final",
            "due_accounts",
            "due_user_surveys",
            "due_employee_survey",
            "due_deviations",
            "due_decisions",
            "due_report_tertial",
            "due_report_services",
            "due_report_employer",
            "due_report_decisions",
        )
    },
}


class Settings(BaseModel):
    """One installation's settings; every field can be set in settings.toml or as BMS_<FIELD>."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path
    kommune_code: Annotated[Code, Field(pattern=r"^\d{4}$")] = "5055"
    kommune_name: Text = "Heim"
    # anonymity minimum for survey results: a floor that a catalogue row's min_n can raise, never lower
    min_n: Annotated[Whole, Field(ge=1)] = 3
    max_file_mb: Annotated[Number, Field(gt=0)] = 50.0
    max_unzipped_mb: Annotated[Number, Field(gt=0)] = 300.0
    keep_versions: Annotated[Whole, Field(ge=1)] = 5
    host: Text = "127.0.0.1"
    port: Annotated[Whole, Field(ge=1, le=65535)] = 8050
    workers: Annotated[Whole, Field(ge=1)] = 2
    # per worker: a slow client or a long callback holds one thread, never the server
    threads: Annotated[Whole, Field(ge=1)] = 8
    # a client that sends part of a request and stalls is dropped after this
    header_timeout_seconds: Annotated[Number, Field(gt=0)] = 10.0
    # the largest request body the dashboard reads (uploads have their own limit)
    max_request_mb: Annotated[Number, Field(gt=0)] = 2.0
    max_upload_mb: Annotated[Number, Field(gt=0)] = 50.0  # the largest upload (a file sent to an upload route)
    # Logins (dashboard/security.py): cookies only over TLS when served behind HTTPS; how long a session lasts;
    # failed logins per account / per address within the cooling period before 429, and the slowing before it.
    secure_cookies: bool = False
    session_hours: Annotated[Number, Field(gt=0)] = 10.0  # a session ends this long after login
    idle_minutes: Annotated[Number, Field(gt=0)] = 120.0  # … or after this long without a request
    login_account_limit: Annotated[Whole, Field(ge=1)] = 5
    login_address_limit: Annotated[Whole, Field(ge=1)] = 20
    login_cooldown_seconds: Annotated[Number, Field(gt=0)] = 900.0
    login_slow_after: Annotated[Whole, Field(ge=0)] = 2  # failures after which every further attempt is slowed
    login_delay_seconds: Annotated[Number, Field(ge=0)] = 0.5  # added per failure beyond that (at most 5 s)
    watch_seconds: Annotated[Number, Field(gt=0)] = 2.0
    # Comparison kommuner and why each is there: see the comment in data/settings.toml.
    peers: Codes = ("5056", "5014", "5059", "1576", "1566", "5061")
    # KOSTRA comparison regions: codes as SSB writes them, or "kostragruppe" / "fylke" for the kommune's own
    # KOSTRA group and county, read from Klass for each year at fetch time.
    comparison_regions: Codes = ("kostragruppe", "fylke", "EAKUO")
    kostra_years: Codes = ()  # "2021-2025" or a list of years; empty: the five newest SSB has
    klass_date: Annotated[Text, Field(pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = ""  # municipalities valid then
    ssb_base_url: Text = "https://data.ssb.no"  # or a mirror / test server (bms fetch --base-url)
    ssb_api: Annotated[Text, Field(pattern=r"^v[02]$")] = "v2"  # PxWebApi version: v2, or v0 (the older API)
    ssb_requests_per_minute: Annotated[Whole, Field(ge=1)] = 30
    ssb_max_cells: Annotated[Whole, Field(ge=1)] = 800_000  # per request (SSB's limit)
    ssb_max_url: Annotated[Whole, Field(ge=100)] = 2_000  # longer GET URLs go as POST
    ssb_retries: Annotated[Whole, Field(ge=0)] = 5  # on 429, 503 and lost connections, with backoff
    ssb_backoff_seconds: Annotated[Number, Field(ge=0)] = 2.0
    ssb_timeout_seconds: Annotated[Number, Field(gt=0)] = 60.0
    # Styringshjulet (seed ch. 8.4): when each source and report is due in the year, as "dd.mm".
    due_kostra_preliminary: DayMonth = "15.03"  # SSB's foreløpige KOSTRA-tall for last year
    due_kostra_final: DayMonth = "15.06"  # SSB's endelige KOSTRA-tall for last year
    due_accounts: DayMonths = ("15.05", "15.09", "15.02")  # each tertial's accounts (the third: next year)
    due_user_surveys: DayMonth = "01.12"  # the user surveys, each service once a year
    due_employee_survey: DayMonth = "01.12"  # 10-FAKTOR
    employee_survey_every_years: Annotated[Whole, Field(ge=1)] = 2
    due_deviations: DayMonths = ("15.05", "15.09", "15.01")  # avvik extracts, one per tertial
    due_decisions: DayMonths = ("15.05", "15.11")  # vedtak status extracts, twice a year
    due_report_tertial: DayMonths = ("15.06", "15.10")  # tertialrapporter
    due_report_services: DayMonth = "01.04"  # tjenesterapporter
    due_report_employer: DayMonth = "01.04"  # arbeidsgiverrapport
    due_report_decisions: DayMonths = ("01.06", "01.12")  # vedtak status to the kommunestyre
    ignored_sheets: Codes = ("forklaring", "les meg", "info", "notater", "readme", "instruksjoner")

    @property
    def inbox(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def archive(self) -> Path:
        return self.data_dir / "archive"

    @property
    def rejected(self) -> Path:
        return self.data_dir / "rejected"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def current(self) -> Path:
        """The published warehouse; notebooks and the dashboard open this path read-only."""
        return self.warehouse_dir / "current.duckdb"

    @property
    def catalogue(self) -> Path:
        return self.data_dir / CATALOGUE_FILE

    @property
    def kostra_dir(self) -> Path:
        """SSB's raw answers (KOSTRA tables and Klass lists) with the query beside each: the fetch cache."""
        return self.data_dir / "kostra"


FIELDS = [name for name in Settings.model_fields if name != "data_dir"]


def load_settings(data_dir: str | Path | None = None, **overrides: object) -> Settings:
    """The settings for a data folder (default `BMS_DATA_DIR` or `./data`), or BmsError naming what is wrong."""
    root = Path(data_dir or os.environ.get("BMS_DATA_DIR") or "data").resolve()
    path = root / SETTINGS_FILE
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if path.exists():
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise BmsError(f"Innstillingsfila {path} kan ikke leses: {e}. Rett eller slett fila.") from None
        origin = dict.fromkeys(values, f"i {path}")
    for name in FIELDS:
        env = os.environ.get(f"BMS_{name.upper()}")
        if env is not None:
            values[name], origin[name] = env, f"i miljøvariabelen BMS_{name.upper()}"
    for name, value in overrides.items():
        if value is not None:
            values[name], origin[name] = value, "på kommandolinja"
    try:
        return Settings(data_dir=root, **values)
    except ValidationError as e:
        raise BmsError(_explain(e, origin)) from None


def _explain(error: ValidationError, origin: dict[str, str]) -> str:
    """Every refused setting, one Norwegian line each with the fix."""
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        where = origin.get(name, "")
        if problem["type"] == "extra_forbidden":
            close = difflib.get_close_matches(name.replace("-", "_").lower(), FIELDS, n=1, cutoff=0.6)
            guess = f"Mente du «{close[0]}»? " if close else ""
            lines.append(
                f"Innstillingen «{name}» {where} finnes ikke, og ville blitt oversett. {guess}"
                f"Rett navnet eller fjern linja (kjente innstillinger: {', '.join(FIELDS)})."
            )
            continue
        rule = RULES.get(name) or _rule_from(problem["type"])
        lines.append(
            f"Innstillingen «{name}» {where} har den ugyldige verdien «{_shown(problem.get('input'))}»: "
            f"den må være {rule}. Rett verdien, eller fjern linja for å bruke standardverdien."
        )
    return "\n".join(re.sub(r"\s+", " ", line) for line in lines)


def _rule_from(kind: str) -> str:
    return {"int_parsing": "et helt tall", "float_parsing": "et tall"}.get(kind, "en verdi av riktig type")


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)[:80]
