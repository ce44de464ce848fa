"""HTTP client for SSB: PxWebApi v2 and v0 (statistics) and Klass (classifications), with `requests`.

SSB's rules, kept here and nowhere else: about 30 requests a minute per IP (the `x-ratelimit-*` headers
say the current policy, `Retry-After` how long to wait after a 429), 503 while tables are updated (around
08:00 on publishing days), at most 800 000 cells per request, a GET URL over ~2 100 characters answers
404 (so long queries go as POST), the same code twice in a selection answers 500 with an empty body (so
selections are deduplicated), and a refused query answers 400 with a JSON body whose `title` says why.
Requests are sequential; every error becomes a one-line Norwegian BmsError.

What is retried: a 429/502/503/504 and a timeout or a connection lost on the way, `retries` times with
a growing wait (SSB comes back). A refused connection or a host name that does not resolve is not
transient (no network, a wrong address, a test server that is not running): one quick retry, then the
message, rather than a minute of backoff before the user learns that nothing answers.
"""

from __future__ import annotations

import email.utils
import json
import re
import socket
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from etl import __version__
from etl.errors import BmsError

RETRY_STATUS = {429, 502, 503, 504}
DEFAULT_BASE_URL = "https://data.ssb.no"
QUICK_RETRY_SECONDS = 1.0  # the one retry after a refused connection or an unknown host
USER_AGENT = f"heim-bms/{__version__} (balansert målstyring for kommuner; python-requests)"
# Klass sends CSV as ISO-8859-1 unless asked otherwise, and Sámi letters outside Latin-1 become «?».
KLASS_CSV = "text/csv; charset=UTF-8"
KLASS_NOT_FOUND = "Sjekk klassifikasjonen og datoen på www.ssb.no/klass"
STATBANK_NOT_FOUND = "Sjekk at tabellnummeret finnes på ssb.no/statbank"


def resume_hint(cache_dir: str | Path | None) -> str:
    """Where what was already fetched is kept (the data folder's real cache folder), and that it stays."""
    where = f"i {cache_dir}" if cache_dir else "i kostra/ i datamappa"
    return f"Det som alt er hentet, ligger {where} og hentes ikke på nytt når du kjører kommandoen igjen."


class SsbError(BmsError):
    """SSB could not be reached, or answered with an error; the message says what to do.

    `status` is the HTTP status of SSB's error answer (None when no answer came at all)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class RateLimiter:
    """At most `per_minute` requests in any window of `window` seconds, and held back when SSB says so.

    `clock` and `sleep` are injectable so the schedule can be checked without waiting for real."""

    def __init__(
        self,
        per_minute: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.per_minute = max(1, per_minute)
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self.sent: deque[float] = deque()
        self.hold_until = 0.0

    def hold(self, seconds: float) -> None:
        """Send nothing for the next `seconds` (a 429's Retry-After, an exhausted quota, a backoff)."""
        self.hold_until = max(self.hold_until, self.clock() + max(0.0, seconds))

    def adopt(self, limit: int, window: float) -> None:
        """Follow SSB's announced policy (`x-ratelimit-policy: 40;w=60s`) when it is stricter than ours."""
        if limit > 0 and window > 0 and limit / window < self.per_minute / self.window:
            self.per_minute, self.window = limit, window

    def wait(self) -> float:
        """Sleep until the next request may go, record it, and return how long was slept."""
        now = self.clock()
        start = max(now, self.hold_until)
        while self.sent and start - self.sent[0] >= self.window:
            self.sent.popleft()
        if len(self.sent) >= self.per_minute:
            start = max(start, self.sent[-self.per_minute] + self.window)
        if start > now:
            self.sleep(start - now)
        self.sent.append(max(self.clock(), start))
        return start - now


def dedupe(codes: list[str]) -> list[str]:
    """Codes in their first order, each once: SSB answers 500 with an empty body to a repeated code."""
    return list(dict.fromkeys(str(c) for c in codes))


class SsbClient:
    """Sequential requests to SSB with rate limiting, retries with backoff and Norwegian errors."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        per_minute: int = 30,
        retries: int = 5,
        backoff: float = 2.0,
        timeout: float = 60.0,
        max_url: int = 2_000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
        progress: Callable[[str], None] = lambda _: None,
        session: requests.Session | None = None,
        cache_dir: str | Path | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.hint = resume_hint(cache_dir)
        self.limiter = RateLimiter(per_minute, clock=clock, sleep=sleep)
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.max_url = max_url
        self.wall = wall
        self.progress = progress
        self.session = session or requests.Session()
        # assigned, not setdefault: requests.Session already carries its own User-Agent
        self.session.headers["User-Agent"] = USER_AGENT
        self.requests = 0

    # ------------------------------------------------------------------ PxWebApi v2
    def v2_metadata(self, table: str) -> tuple[dict, bytes]:
        """The table's metadata as json-stat2 (empty `value`), and the raw answer."""
        url = f"{self.base_url}/api/pxwebapi/v2/tables/{table}/metadata?lang=no&outputFormat=json-stat2"
        return self._json("GET", url, what=f"metadata for tabell {table}")

    def v2_data(self, table: str, selection: dict[str, list[str]]) -> tuple[dict, bytes, dict]:
        """Data as json-stat2; GET while the URL is short, POST when it would be too long for SSB.

        Returns the document, the raw answer and the request as made (method, url, body)."""
        base = f"{self.base_url}/api/pxwebapi/v2/tables/{table}/data?lang=no&outputFormat=json-stat2"
        selection = {var: dedupe(codes) for var, codes in selection.items()}
        url = base + "".join(f"&valueCodes[{var}]={','.join(codes)}" for var, codes in selection.items())
        what = f"data fra tabell {table}"
        if len(requests.Request("GET", url).prepare().url or url) <= self.max_url:  # as sent: [ ] are escaped
            doc, raw = self._json("GET", url, what=what)
            return doc, raw, {"method": "GET", "url": url}
        body = {"selection": [{"variableCode": var, "valueCodes": codes} for var, codes in selection.items()]}
        doc, raw = self._json("POST", base, body=body, what=what)
        return doc, raw, {"method": "POST", "url": base, "body": body}

    # ------------------------------------------------------------------ PxWebApi v0
    def v0_metadata(self, table: str) -> tuple[dict, bytes]:
        """The v0 table description: `{"title", "variables": [{"code", "text", "values", "valueTexts"}]}`."""
        return self._json("GET", f"{self.base_url}/api/v0/no/table/{table}", what=f"metadata for tabell {table}")

    def v0_data(self, table: str, selection: dict[str, list[str]]) -> tuple[dict, bytes, dict]:
        """Data as json-stat2 through v0: always a POST of item filters."""
        body = {
            "query": [
                {"code": var, "selection": {"filter": "item", "values": dedupe(codes)}}
                for var, codes in selection.items()
            ],
            "response": {"format": "json-stat2"},
        }
        return self.v0_query(f"/api/v0/no/table/{table}", body, f"data fra tabell {table}")

    def v0_query(self, path: str, body: dict, what: str) -> tuple[dict, bytes, dict]:
        """POST a v0 query body (also one bookmarked from SSB's web pages) to a path on this client's base."""
        url = self.base_url + (urlsplit(path).path if "://" in path else path)
        doc, raw = self._json("POST", url, body=body, what=what)
        return doc, raw, {"method": "POST", "url": url, "body": body}

    # ------------------------------------------------------------------ Klass
    def klass(self, path: str, params: dict[str, str], accept: str = "application/json") -> bytes:
        """A Klass answer's bytes, as `accept` asks (KLASS_CSV: CSV in UTF-8, so Sámi names are exact)."""
        url = f"{self.base_url}/api/klass/v1/{path}"
        query = "&".join(f"{k}={v}" for k, v in params.items())
        target = f"{url}?{query}" if query else url
        return self._send("GET", target, headers={"Accept": accept}, what=f"Klass {path}", not_found=KLASS_NOT_FOUND)

    # ------------------------------------------------------------------ sending
    def _json(self, method: str, url: str, body: dict | None = None, what: str = "") -> tuple[dict, bytes]:
        raw = self._send(method, url, body=body, what=what)
        try:
            return json.loads(raw.decode("utf-8-sig")), raw  # a byte-order mark is not an error
        except (UnicodeDecodeError, ValueError):
            raise SsbError(f"SSB svarte med noe som ikke er JSON ({what}). Prøv igjen senere. {self.hint}") from None

    def _send(
        self,
        method: str,
        url: str,
        body: dict | None = None,
        headers: dict | None = None,
        what: str = "",
        not_found: str = STATBANK_NOT_FOUND,
    ) -> bytes:
        attempt = 0
        while True:
            self.limiter.wait()
            self.requests += 1
            try:
                r = self.session.request(method, url, json=body, headers=headers, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as e:
                fast = cannot_connect(e)
                if attempt >= (min(1, self.retries) if fast else self.retries):
                    raise SsbError(self._unreachable(e)) from None
                wait = min(self.backoff, QUICK_RETRY_SECONDS) if fast else self.backoff * 2**attempt
                self._pause(wait, f"får ikke kontakt med SSB ({what})")
                attempt += 1
                continue
            self._follow_limits(r)
            if r.status_code in RETRY_STATUS and attempt < self.retries:
                wait = max(self._asked_wait(r) or 0.0, self.backoff * 2**attempt)
                self._pause(wait, f"SSB svarte {r.status_code} ({what})")
                attempt += 1
                continue
            if r.status_code >= 400:
                message = error_message(r, what, self.retries, self.hint, self._custom_url(), not_found)
                raise SsbError(message, r.status_code)
            return r.content

    def _custom_url(self) -> str | None:
        """The base URL when it is not SSB's own (a mirror or test server given with --base-url or settings)."""
        return None if self.base_url == DEFAULT_BASE_URL else self.base_url

    def _unreachable(self, e: Exception) -> str:
        """No answer at all: what happened, and what to check, which depends on whose address it was."""
        where = (
            "Sjekk at adressen stemmer og at tjenesten der kjører."
            if self._custom_url()
            else "Sjekk nettverket (og eventuell proxy), eller pek på et speil med --base-url."
        )
        return f"Får ikke kontakt med SSB ({self.base_url}): {_reason(e)}. {where} {self.hint}"

    def _pause(self, seconds: float, why: str) -> None:
        self.progress(f"{why}; venter {seconds:.0f} s og prøver igjen")
        self.limiter.hold(seconds)

    def _follow_limits(self, r: requests.Response) -> None:
        """Adopt the announced policy; with no requests left in the window, wait it out."""
        policy = re.match(r"\s*(\d+)\s*;\s*w=(\d+)", r.headers.get("x-ratelimit-policy", ""))
        if policy:
            self.limiter.adopt(int(policy[1]), float(policy[2]))
        if r.headers.get("x-ratelimit-remaining", "").strip() == "0" and r.status_code < 400:
            self.limiter.hold(self._asked_wait(r) or self.limiter.window)

    def _asked_wait(self, r: requests.Response) -> float | None:
        """Seconds SSB asks us to wait: Retry-After (seconds or a date), else x-ratelimit-reset, else the
        policy's window when the quota is used up."""
        after = r.headers.get("Retry-After", "").strip()
        if after:
            if re.fullmatch(r"\d+(\.\d+)?", after):
                return float(after)
            try:
                return max(0.0, email.utils.parsedate_to_datetime(after).timestamp() - self.wall())
            except (TypeError, ValueError):
                pass
        reset = r.headers.get("x-ratelimit-reset", "").strip()
        if re.fullmatch(r"\d+(\.\d+)?", reset):
            value = float(reset)
            return max(0.0, value - self.wall()) if value > 1e9 else value  # an epoch time, or seconds
        if r.headers.get("x-ratelimit-remaining", "").strip() == "0":
            return self.limiter.window
        return None


def _causes(e: BaseException):
    """The exception and everything it wraps: requests wraps urllib3, which wraps the socket error."""
    seen: set[int] = set()
    stack: list[object] = [e]
    while stack:
        x = stack.pop()
        if not isinstance(x, BaseException) or id(x) in seen:
            continue
        seen.add(id(x))
        yield x
        stack += [*x.args, getattr(x, "reason", None), x.__cause__, x.__context__]


def cannot_connect(e: BaseException) -> bool:
    """A connection that could not be made at all (refused, unknown host, no route), as opposed to a
    timeout or a connection lost on the way, which are worth waiting for."""
    if isinstance(e, requests.Timeout):
        return False
    return any(
        isinstance(x, urllib3.exceptions.NewConnectionError | ConnectionRefusedError | socket.gaierror)
        for x in _causes(e)
    )


def _reason(e: Exception) -> str:
    causes = list(_causes(e))
    text = " ".join(str(x) for x in causes)
    if any(isinstance(x, urllib3.exceptions.NameResolutionError | socket.gaierror) for x in causes) or (
        "Name or service not known" in text or "getaddrinfo" in text or "NameResolution" in text
    ):
        return "fant ikke adressen (ingen DNS/nett?)"
    if any(isinstance(x, ConnectionRefusedError) for x in causes) or "Connection refused" in text:
        return "tilkoblingen ble avvist"
    if isinstance(e, requests.Timeout):
        return "svaret kom ikke i tide"
    return "ingen forbindelse"


def _detail(r: requests.Response) -> str:
    """SSB's explanation: PxWebApi v2 puts it in `title` (and sometimes `detail`), others in text."""
    text = r.content.decode("utf-8-sig", errors="replace").strip()
    try:
        body = json.loads(text)
    except ValueError:
        return re.sub(r"<[^>]+>", " ", text)[:200].strip()
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("title", "detail", "message", "error") if body.get(k)]
        return "; ".join(dict.fromkeys(parts))[:300]
    return text[:200]


def error_message(
    r: requests.Response,
    what: str,
    retries: int,
    hint: str | None = None,
    custom_url: str | None = None,
    not_found: str = STATBANK_NOT_FOUND,
) -> str:
    """One Norwegian line for an error answer: what SSB said and what to do about it. `hint` says where
    what was fetched is kept; `custom_url` is the mirror or test server asked instead of SSB, if any;
    `not_found` what to check after a 404 (a statbank table, or a Klass classification and date)."""
    hint = hint or resume_hint(None)
    detail = _detail(r)
    said = f": «{detail}»" if detail else ""
    code = r.status_code
    if code == 400:
        if "too many cells" in detail.lower():
            return f"SSB avviste spørringen ({what}) fordi den gir for mange celler{said}. Senk ssb_max_cells."
        return (
            f"SSB avviste spørringen ({what}), HTTP 400{said}. Sjekk tabellnummer og koder i balansehåndboka "
            "(kilde_ref) mot tabellen på ssb.no/statbank; SSB bytter iblant ut innholdskoder."
        )
    if code == 404:
        return f"SSB fant ikke {what} (HTTP 404){said}. {not_found}" + (
            f", og at {custom_url} er riktig adresse til SSB eller speilet." if custom_url else "."
        )
    if code == 429:
        return (
            f"SSB avviser fordi det er sendt for mange spørringer (HTTP 429), også etter {retries} nye forsøk. "
            f"Vent noen minutter og kjør kommandoen igjen. {hint}"
        )
    if code == 503:
        return (
            f"SSB er utilgjengelig akkurat nå (HTTP 503), trolig fordi statistikkbanken oppdateres (rundt kl. 08 "
            f"på publiseringsdager). Prøv igjen om litt. {hint}"
        )
    if code == 500 and not detail:
        return (
            f"SSB svarte med en intern feil uten forklaring (HTTP 500) for {what}. Det skjer blant annet når "
            f"samme kode står to ganger i en spørring. Prøv igjen senere, og meld feilen om den står seg. {hint}"
        )
    return f"SSB svarte med feil (HTTP {code}) for {what}{said}. Prøv igjen senere. {hint}"
