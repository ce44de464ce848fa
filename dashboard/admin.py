"""`bms users …`, `bms backup` and the demo accounts `bms demo` creates: the operator's side of logins."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import re
import secrets
import sys
from pathlib import Path

from dashboard import accounts
from dashboard.store import AppStore
from etl.errors import BmsError
from etl.settings import Settings

USER_ACTIONS = ("add", "list", "disable", "enable", "set-password", "set-role")


def add_user_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of `bms users`."""
    p.add_argument("action", choices=USER_ACTIONS, help="hva som skal gjøres")
    p.add_argument("username", nargs="?", help="brukernavnet")
    p.add_argument("--role", choices=accounts.ROLES, help="rollen (radmann, kommunalsjef, leder, analytiker)")
    p.add_argument(
        "--scope", action="append", default=[], help="tjenesteområde (kommunalsjef) eller enhet-id (leder); gjentas"
    )
    p.add_argument("--name", default="", help="fullt navn")
    p.add_argument("--password-stdin", action="store_true", help="les passordet fra standard inn (til skript)")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Nytt passord: ")
    if getpass.getpass("Gjenta passordet: ") != first:
        raise BmsError("Passordene var ikke like. Prøv igjen.")
    return first


def cmd_users(settings: Settings, args: argparse.Namespace) -> int:
    """Manage dashboard accounts: add, list, disable/enable, set-password, set-role."""
    store = AppStore.for_data_dir(settings.data_dir)
    if args.action == "list":
        for u in accounts.list_users(store):
            scopes = ", ".join(json.loads(u["scopes"]))
            state = " (sperret)" if u["disabled"] else ""
            print(f"{u['username']:28} {u['role']:13} {scopes}{state}")
        return 0
    if not args.username:
        raise BmsError(f"Oppgi brukernavnet, for eksempel: bms users {args.action} ola.nordmann")
    try:
        if args.action == "add":
            if not args.role:
                raise BmsError("Oppgi rollen med --role (radmann, kommunalsjef, leder eller analytiker).")
            accounts.add_user(store, args.username, _password(args), args.role, args.scope, args.name)
        elif args.action == "set-password":
            accounts.set_password(store, args.username, _password(args))
        elif args.action == "set-role":
            if not args.role:
                raise BmsError("Oppgi den nye rollen med --role.")
            accounts.set_role(store, args.username, args.role, args.scope)
        else:
            accounts.set_disabled(store, args.username, args.action == "disable")
    except accounts.AccountError as e:
        raise BmsError(str(e)) from None
    store.audit(f"cli:{os.environ.get('USER', 'operatør')}", f"konto {args.action}", args.username, args.role or "")
    print(f"Ferdig: {args.action} {args.username}.")
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Copy the application store consistently (also while the dashboard runs); restore by copying it back."""
    store = AppStore.for_data_dir(settings.data_dir)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = Path(args.target) if args.target else settings.data_dir / "backup" / f"bms-{stamp}.sqlite"
    store.backup(target)
    print(f"Sikkerhetskopi skrevet til {target}")
    print(f"Gjenopprett: stopp dashbordet og kopier fila til {store.path} (fjern {store.path.name}-wal og -shm).")
    return 0


def slug(text: str) -> str:
    """An account-name part from a service area: `helse og mestring` → `helse-og-mestring`."""
    text = text.strip().lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def demo_accounts(settings: Settings, units: list[tuple[str, str]]) -> None:
    """The demo installation's accounts (radmann, analytiker, kommunalsjef-<area>, leder-<unit>), made once.

    The password is BMS_DEMO_PASSWORD when set, otherwise generated and printed this once."""
    store = AppStore.for_data_dir(settings.data_dir)
    wanted: list[tuple[str, str, list[str]]] = [("radmann", "radmann", []), ("analytiker", "analytiker", [])]
    for area in sorted({a for _, a in units if a}):
        wanted.append((f"kommunalsjef-{slug(area)}", "kommunalsjef", [area]))
    wanted += [(f"leder-{unit_id}", "leder", [unit_id]) for unit_id, _ in units]
    existing = {u["username"].lower() for u in accounts.list_users(store)}
    missing = [w for w in wanted if w[0].lower() not in existing]
    if not missing:
        print("Demokontoene finnes fra før, med det passordet de fikk da.")
        return
    given = os.environ.get("BMS_DEMO_PASSWORD")
    password = given or secrets.token_urlsafe(12)
    for username, role, scopes in missing:
        accounts.add_user(store, username, password, role, scopes, "Demokonto", strict=False)
    store.audit("bms demo", "demokontoer opprettet", ", ".join(w[0] for w in missing))
    print(f"Demokontoer: {', '.join(w[0] for w in missing)}")
    if given:
        print("Passordet er verdien av BMS_DEMO_PASSWORD.")
    else:
        print(f"Passord for alle demokontoene (vises bare nå): {password}")
