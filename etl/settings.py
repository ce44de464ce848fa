"""Settings: command-line options, then `BMS_…` environment variables, then `settings.toml`, then defaults."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from etl.errors import BmsError

SETTINGS_FILE = "settings.toml"
CATALOGUE_FILE = "balansehandbok.csv"
# The repository's own data folder: the defaults `bms init` copies and the bundled demo.
BUNDLED_DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Settings:
    """One installation's settings; every field can be set in settings.toml or as BMS_<FIELD>."""

    data_dir: Path
    kommune_code: str = "5055"
    kommune_name: str = "Heim"
    min_n: int = 3  # anonymity minimum for survey results where the catalogue says nothing
    max_file_mb: float = 50.0
    max_unzipped_mb: float = 300.0
    keep_versions: int = 5
    host: str = "127.0.0.1"
    port: int = 8050
    workers: int = 2
    watch_seconds: float = 2.0
    peers: tuple[str, ...] = ("5056", "5014", "5059", "1576", "1566", "5061")
    # KOSTRA comparison regions: codes as SSB writes them, or "kostragruppe" / "fylke" for the kommune's own
    # KOSTRA group and county, read from Klass for each year (EKG02 and EKA50 for Heim).
    comparison_regions: tuple[str, ...] = ("kostragruppe", "fylke", "EAKUO")
    kostra_years: tuple[str, ...] = ()  # "2021-2025" or a list of years; empty: the five newest SSB has
    klass_date: str = ""  # municipalities valid at this date (yyyy-mm-dd); empty: 1 January this year
    ssb_base_url: str = "https://data.ssb.no"  # or a mirror / test server (bms fetch --base-url)
    ssb_api: str = "v2"  # PxWebApi version for bms fetch kostra: v2, or v0 (the older API)
    ssb_requests_per_minute: int = 30
    ssb_max_cells: int = 800_000  # per request (SSB's limit)
    ssb_max_url: int = 2_000  # longer GET URLs go as POST (SSB answers 404 to URLs over ~2 100 characters)
    ssb_retries: int = 5  # on 429, 503 and lost connections, with backoff
    ssb_backoff_seconds: float = 2.0
    ssb_timeout_seconds: float = 60.0
    ignored_sheets: tuple[str, ...] = ("forklaring", "les meg", "info", "notater", "readme", "instruksjoner")
    extra: dict = field(default_factory=dict)

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


def _coerce(f: dataclasses.Field, raw: object) -> object:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind.startswith("tuple"):
            items = raw.split(",") if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
            return tuple(str(x).strip() for x in items if str(x).strip())
        if kind == "int":
            return int(raw)  # type: ignore[call-overload]
        if kind == "float":
            return float(raw)  # type: ignore[arg-type]
        return str(raw)
    except (TypeError, ValueError):
        raise BmsError(f"Innstillingen {f.name} har ugyldig verdi «{raw}».") from None


def load_settings(data_dir: str | Path | None = None, **overrides: object) -> Settings:
    """The settings for a data folder (default `BMS_DATA_DIR` or `./data`)."""
    root = Path(data_dir or os.environ.get("BMS_DATA_DIR") or "data").resolve()
    values: dict[str, object] = {}
    path = root / SETTINGS_FILE
    extra: dict = {}
    if path.exists():
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise BmsError(f"Innstillingsfila {path} kan ikke leses: {e}. Rett eller slett fila.") from None
    fields = {f.name: f for f in dataclasses.fields(Settings) if f.name not in ("data_dir", "extra")}
    for name in fields:
        env = os.environ.get(f"BMS_{name.upper()}")
        if env is not None:
            values[name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    extra = {k: v for k, v in values.items() if k not in fields}
    kwargs = {k: _coerce(fields[k], v) for k, v in values.items() if k in fields}
    return Settings(data_dir=root, extra=extra, **kwargs)  # type: ignore[arg-type]
