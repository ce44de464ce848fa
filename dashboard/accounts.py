"""Accounts, passwords, sessions and login throttling, on the application store.

Passwords are hashed with scrypt (hashlib, OpenSSL's implementation) and a random salt per password.
A session is a random token the browser keeps; the store keeps only its hash, when it expires and when it
ended, so a logged-out or expired session is refused even if its cookie is replayed.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from dashboard.store import AppStore, now_text

ROLES = ("radmann", "kommunalsjef", "leder", "analytiker")
ROLE_LABELS = {"radmann": "rådmann", "kommunalsjef": "kommunalsjef", "leder": "leder", "analytiker": "analytiker"}
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MIN_PASSWORD = 10


class AccountError(ValueError):
    """A request about an account that cannot be carried out (message in Norwegian)."""


@dataclass(frozen=True)
class User:
    """A signed-in person: name, role and the service areas (kommunalsjef) or units (leder) they hold."""

    username: str
    role: str
    scopes: tuple[str, ...] = ()
    full_name: str = ""


def hash_password(password: str) -> str:
    """A salted scrypt hash of a password, with its parameters: `scrypt$n$r$p$salt$hash`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, maxmem=64 * 1024 * 1024, **SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when the password matches a stored hash (constant-time comparison)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), maxmem=64 * 1024 * 1024
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Passordet må ha minst {MIN_PASSWORD} tegn.")


def _check_role(role: str, scopes: list[str]) -> None:
    if role not in ROLES:
        raise AccountError(f"Ukjent rolle «{role}». Bruk en av: {', '.join(ROLES)}.")
    if role in ("kommunalsjef", "leder") and not scopes:
        what = "tjenesteområder" if role == "kommunalsjef" else "enheter"
        raise AccountError(f"Rollen {role} trenger minst ett av sine {what} (for eksempel --scope E21).")


def add_user(
    store: AppStore,
    username: str,
    password: str,
    role: str,
    scopes: list[str],
    full_name: str = "",
    strict: bool = True,
) -> None:
    """Create an account; refuses a taken name, a short password (unless not `strict`) or an unknown role."""
    username = username.strip()
    if not username or any(c.isspace() for c in username):
        raise AccountError("Brukernavnet kan ikke være tomt eller inneholde mellomrom.")
    if strict or not password:
        _check_password(password)
    _check_role(role, scopes)
    if store.one("SELECT 1 FROM users WHERE username = ?", (username,)):
        raise AccountError(f"Brukeren «{username}» finnes allerede. Bruk bms users set-password eller set-role.")
    stamp = now_text()
    with store.tx() as con:
        con.execute(
            "INSERT INTO users (username, full_name, role, scopes, password_hash, created_at, changed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (username, full_name, role, json.dumps(scopes, ensure_ascii=False), hash_password(password), stamp, stamp),
        )


def _existing(store: AppStore, username: str) -> dict:
    row = store.one("SELECT * FROM users WHERE username = ?", (username,))
    if row is None:
        raise AccountError(f"Fant ingen bruker «{username}». Se bms users list.")
    return row


def set_password(store: AppStore, username: str, password: str) -> None:
    """Give an account a new password and end its sessions."""
    _existing(store, username)
    _check_password(password)
    with store.tx() as con:
        con.execute(
            "UPDATE users SET password_hash = ?, changed_at = ? WHERE username = ?",
            (hash_password(password), now_text(), username),
        )
    end_sessions(store, username)


def set_role(store: AppStore, username: str, role: str, scopes: list[str]) -> None:
    """Change an account's role and areas/units; its sessions end so the new role applies at once."""
    _existing(store, username)
    _check_role(role, scopes)
    with store.tx() as con:
        con.execute(
            "UPDATE users SET role = ?, scopes = ?, changed_at = ? WHERE username = ?",
            (role, json.dumps(scopes, ensure_ascii=False), now_text(), username),
        )
    end_sessions(store, username)


def set_disabled(store: AppStore, username: str, disabled: bool = True) -> None:
    """Disable (or enable again) an account; a disabled account cannot log in and its sessions end."""
    _existing(store, username)
    with store.tx() as con:
        con.execute(
            "UPDATE users SET disabled = ?, changed_at = ? WHERE username = ?", (int(disabled), now_text(), username)
        )
    end_sessions(store, username)


def list_users(store: AppStore) -> list[dict]:
    """Every account (without its password hash), by name."""
    return store.rows(
        "SELECT username, full_name, role, scopes, disabled, created_at, changed_at FROM users ORDER BY username"
    )


def user_of(row: dict) -> User:
    """The User for a users row."""
    return User(row["username"], row["role"], tuple(json.loads(row["scopes"] or "[]")), row["full_name"] or "")


def authenticate(store: AppStore, username: str, password: str) -> User | None:
    """The user when the name and password match an enabled account, else None (same work either way)."""
    row = store.one("SELECT * FROM users WHERE username = ?", (username.strip(),))
    ok = verify_password(password, row["password_hash"] if row else _no_account())  # one scrypt either way
    if not row or not ok or row["disabled"]:
        return None
    return user_of(row)


@functools.cache
def _no_account() -> str:
    """A hash no password matches, made once: an unknown name then costs one scrypt run, as a known one does."""
    return hash_password(secrets.token_hex(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(store: AppStore, user: User, address: str | None, seconds: float) -> tuple[str, str]:
    """A new session for a user: (token for the cookie, CSRF token). Only the token's hash is stored."""
    token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.time()
    with store.tx() as con:
        con.execute(
            "INSERT INTO sessions (token_hash, username, csrf, address, created_at, last_seen, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (_token_hash(token), user.username, csrf, address, now, now, now + seconds),
        )
    return token, csrf


def session_user(store: AppStore, token: str, idle_seconds: float) -> tuple[User, str] | None:
    """The user and CSRF token of a live session, or None when it ended, expired, idled out or was disabled."""
    now = time.time()
    row = store.one(
        "SELECT s.csrf, s.last_seen, u.* FROM sessions s JOIN users u USING (username) "
        "WHERE s.token_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? AND u.disabled = 0",
        (_token_hash(token), now),
    )
    if row is None or now - row["last_seen"] > idle_seconds:
        return None
    if now - row["last_seen"] > 60:  # keep idle tracking cheap: at most one write a minute
        with store.tx() as con:
            con.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (now, _token_hash(token)))
    return user_of(row), row["csrf"]


def end_session(store: AppStore, token: str) -> None:
    """End one session (logout): its cookie is worthless from now on."""
    with store.tx() as con:
        con.execute("UPDATE sessions SET ended_at = ? WHERE token_hash = ?", (time.time(), _token_hash(token)))


def end_sessions(store: AppStore, username: str) -> None:
    """End every session of an account."""
    with store.tx() as con:
        con.execute(  # names are compared as the users table does (`set-password LEDER-E31` is leder-e31's)
            "UPDATE sessions SET ended_at = ? WHERE username = ? COLLATE NOCASE AND ended_at IS NULL",
            (time.time(), username),
        )


def record_failure(store: AppStore, username: str, address: str) -> int:
    """Remember one login attempt for the throttle, before its password is checked (so that attempts sent at
    once each count the others); its id, to forget it when it succeeds or is refused unchecked."""
    with store.tx() as con:
        cur = con.execute(
            "INSERT INTO login_failures (username, address, at) VALUES (?, ?, ?)", (username, address, time.time())
        )
        return int(cur.lastrowid or 0)


def forget_failure(store: AppStore, attempt: int) -> None:
    """Forget one recorded attempt (one refused by the throttle: a locked account's lock is not lengthened)."""
    with store.tx() as con:
        con.execute("DELETE FROM login_failures WHERE id = ?", (attempt,))


def recent_failures(store: AppStore, username: str, address: str, window: float) -> tuple[int, int]:
    """Failed logins within the window: (for the account, from the address)."""
    since = time.time() - window
    row = store.one(
        "SELECT count(*) FILTER (WHERE username = ?) AS account, count(*) FILTER (WHERE address = ?) AS address "
        "FROM login_failures WHERE at > ?",
        (username, address, since),
    )
    return (int(row["account"]), int(row["address"])) if row else (0, 0)


def clear_failures(store: AppStore, username: str) -> None:
    """Forget an account's failed logins after a successful one."""
    with store.tx() as con:
        con.execute("DELETE FROM login_failures WHERE username = ?", (username,))
