#!/usr/bin/env python3
"""Seeded demo-data generator for Heim BMS (Heim kommune, kommune no. 5055), years 2021-2025.

    python data/demo/generate.py

First a synthetic "truth" is drawn (staff, sick leave, accounting, surveys, avvik, vedtak,
KOSTRA, manual figures). Then every input kind is written from that truth in the shapes real
exports have: title blocks, Norwegian header variants, a Windows-1252 CSV with numbers as text,
several period notations and SSB json-stat2. Bridge files (indikatorverdier/bro_*.xlsx) hold the
catalogue indicators of one source kind computed from the same truth, exactly as the catalogue's
formula says, for kinds whose readers do not exist yet. manifest.csv lists every file.

All figures are invented ("DEMODATA – oppdiktede tall"). The output is byte-identical on every
run: seeded random streams, fixed ordering, fixed workbook properties and zip timestamps.
"""

import csv
import io
import json
import zipfile
import zlib
from datetime import date, datetime, timedelta
from functools import partial
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

OUT = Path(__file__).resolve().parent
CATALOGUE = OUT.parent / "balansehandbok.csv"
YEARS = [2021, 2022, 2023, 2024, 2025]
TIFAKTOR_YEARS = [2021, 2023, 2025]
DEMO = "DEMODATA – oppdiktede tall"
FIXED_DT = datetime(2026, 1, 15, 8, 0, 0)  # workbook created/modified, zip entry times
AS_OF = date(2026, 1, 15)  # the registers (avvik, vedtak) were extracted on this day
KOSTRA_UPDATED = "2026-06-15T06:00:00Z"  # final KOSTRA figures for 2025
MIN_N = 3  # anonymity rule for survey results at unit level
FOLDERS = {
    "enheter": "enheter",
    "mål": "maal",
    "indikatorverdier": "indikatorverdier",
    "brukerundersøkelse": "brukerundersokelse",
    "medarbeiderundersøkelse": "medarbeiderundersokelse",
    "regnskap": "regnskap",
    "sykefravær": "sykefravaer",
    "personal": "personal",
    "avvik": "avvik",
    "vedtak": "vedtak",
    "kostra": "kostra",
    "klass": "klass",
}

# --- organisation -------------------------------------------------------------------------------
# enhet_id, enhet, tjenesteområde, tjeneste (the catalogue's `gjelder`)
UNITS = [
    ("E10", "Rådmannens stab", "administrasjon", "administrasjon"),
    ("E11", "Servicetorg og IKT", "administrasjon", "administrasjon"),
    ("E21", "Kyrksæterøra barnehage", "oppvekst", "barnehage"),
    ("E22", "Vinjeøra barnehage", "oppvekst", "barnehage"),
    ("E31", "Kyrksæterøra skole", "oppvekst", "skole"),
    ("E32", "Halsa skole", "oppvekst", "skole"),
    ("E41", "Hjemmetjenesten", "helse og mestring", "hjemmetjenester"),
    ("E42", "Heim helsetun", "helse og mestring", "sykehjem"),
    ("E43", "Helse og familie", "helse og mestring", "helse"),
    ("E51", "Drift og eiendom", "teknisk", "drift"),
    ("E52", "Plan og byggesak", "teknisk", "byggesak"),
]
UNIT_IDS = [u[0] for u in UNITS]
UNIT_NAME = {u[0]: u[1] for u in UNITS}
SERVICE = {u[0]: u[3] for u in UNITS}
UNIT_LEADER = {  # invented names: demo data
    "E10": "Ingrid Solheim, rådmann",
    "E11": "Tor Aune, leder servicetorg",
    "E21": "Kari Hansen, styrer",
    "E22": "Siri Vik, styrer",
    "E31": "Ola Lien, rektor",
    "E32": "Marit Bakken, rektor",
    "E41": "Anne Moen, enhetsleder",
    "E42": "Per Strand, enhetsleder",
    "E43": "Hilde Berg, enhetsleder",
    "E51": "Knut Dahl, driftssjef",
    "E52": "Lene Aas, enhetsleder",
}

LEADER = {
    "administrasjon": "Rådmann",
    "oppvekst": "Kommunalsjef oppvekst",
    "helse og mestring": "Kommunalsjef helse og mestring",
    "teknisk": "Kommunalsjef teknisk",
}

# per unit: (ansvar, ansvar_navn, funksjon, art mix, share of the unit's net budget)
ANSVAR = {
    "E10": [
        ("1000", "Politisk styring", "100", "politikk", 0.25),
        ("1010", "Rådmann", "120", "adm", 0.40),
        ("1020", "Økonomi og personal", "120", "adm", 0.35),
    ],
    "E11": [("1100", "Servicetorg", "120", "adm", 0.45), ("0450", "IKT-samarbeid", "120", "ikt", 0.55)],
    "E21": [("2100", "Kyrksæterøra barnehage", "201", "bhg", 1.0)],
    "E22": [("2200", "Vinjeøra barnehage", "201", "bhg", 1.0)],
    "E31": [("3100", "Kyrksæterøra skole", "202", "skole", 0.88), ("3110", "SFO Kyrksæterøra", "215", "sfo", 0.12)],
    "E32": [("3200", "Halsa skole", "202", "skole", 0.93), ("3210", "SFO Halsa", "215", "sfo", 0.07)],
    "E41": [("4100", "Hjemmesykepleie", "254", "hjemme", 0.75), ("4110", "Praktisk bistand", "254", "hjemme", 0.25)],
    "E42": [
        ("4200", "Heim helsetun – sykehjem", "253", "institusjon", 0.88),
        ("4210", "Heim helsetun – kjøkken", "253", "kjokken", 0.12),
    ],
    "E43": [
        ("4300", "Helsestasjon og skolehelse", "232", "helse", 0.30),
        ("4310", "Legetjenesten", "241", "helse", 0.45),
        ("4320", "Barnevern", "244", "barnevern", 0.25),
    ],
    "E51": [("5100", "Eiendom", "121", "bygg", 0.65), ("5110", "Kommunale veier", "332", "vei", 0.35)],
    "E52": [("5200", "Plan og byggesak", "302", "byggesak", 1.0)],
}
ARTS = {
    "10100": "Fastlønn",
    "10300": "Lønn vikarer",
    "10400": "Overtid",
    "10800": "Godtgjørelse folkevalgte",
    "10900": "Pensjon",
    "11000": "Undervisningsmateriell",
    "11150": "Matvarer",
    "11600": "Bilgodtgjørelse",
    "11850": "Energi",
    "11950": "Lisenser, avgifter og kontingenter",
    "12300": "Vedlikehold bygg og anlegg",
    "13700": "Kjøp fra private",
    "16000": "Brukerbetaling",
    "16010": "Foreldrebetaling",
    "16200": "Gebyrer",
    "17000": "Refusjon fra staten",
}
SALARY_ARTS = {"10100", "10300", "10400", "10900"}
# gross shares per art (income negative); normalised so that the lines sum to the net budget
MIXES = {
    "politikk": [("10800", 0.70), ("11950", 0.30)],
    "adm": [("10100", 0.66), ("10900", 0.12), ("11950", 0.12), ("13700", 0.10)],
    "ikt": [("10100", 0.30), ("10900", 0.05), ("11950", 0.65)],
    "bhg": [("10100", 0.72), ("10300", 0.08), ("10900", 0.13), ("11150", 0.05), ("16010", -0.14)],
    "skole": [("10100", 0.80), ("10300", 0.04), ("10900", 0.14), ("11000", 0.05)],
    "sfo": [("10100", 0.80), ("10900", 0.12), ("11150", 0.06), ("16010", -0.45)],
    "institusjon": [("10100", 0.66), ("10300", 0.12), ("10400", 0.03), ("10900", 0.12), ("16000", -0.14)],
    "kjokken": [("10100", 0.45), ("10900", 0.08), ("11150", 0.55), ("16000", -0.08)],
    "hjemme": [("10100", 0.70), ("10300", 0.10), ("10900", 0.13), ("11600", 0.05), ("16000", -0.05)],
    "helse": [("10100", 0.62), ("10900", 0.11), ("13700", 0.22), ("17000", -0.08)],
    "barnevern": [("10100", 0.36), ("10900", 0.07), ("13700", 0.57)],
    "bygg": [("10100", 0.34), ("10900", 0.06), ("11850", 0.25), ("12300", 0.35)],
    "vei": [("10100", 0.28), ("12300", 0.37), ("13700", 0.35)],
    "byggesak": [("10100", 0.95), ("10900", 0.17), ("11950", 0.08), ("16200", -0.55)],
}
NET_BUDGET_2021 = {
    "E10": 36e6,
    "E11": 17e6,
    "E21": 23e6,
    "E22": 8.5e6,
    "E31": 60e6,
    "E32": 25e6,
    "E41": 68e6,
    "E42": 86e6,
    "E43": 33e6,
    "E51": 44e6,
    "E52": 4.5e6,
}
GROWTH = {2021: 1.0, 2022: 1.045, 2023: 1.11, 2024: 1.17, 2025: 1.22}  # pay and price growth
PAY_SETTLEMENT = {2021: 0.016, 2022: 0.022, 2023: 0.031, 2024: 0.031, 2025: 0.026}  # in revised, not original budget
UNIT_OVERSPEND = {
    "E10": -1.5,
    "E11": -0.5,
    "E21": 1.0,
    "E22": -1.5,
    "E31": -0.5,
    "E32": -1.0,
    "E41": 2.0,
    "E42": 3.5,
    "E43": -1.5,
    "E51": 1.0,
    "E52": -1.0,
}  # % of budget, typical level
YEAR_OVERSPEND = {2021: -1.2, 2022: 0.2, 2023: 1.2, 2024: 0.3, 2025: -0.6}


def profile(weights):
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


FLAT = profile([1] * 12)
BUDGET_PROFILE = {
    "10100": profile([1, 1, 1, 1, 1, 1.02, 0.86, 1, 1, 1, 1, 1.12]),  # July holidays, Dec. extra
    "10300": profile([0.9, 0.9, 0.9, 0.8, 0.9, 1.3, 2, 1.3, 0.8, 0.8, 0.8, 0.8]),  # summer substitutes
    "10400": profile([0.9, 0.9, 0.9, 0.8, 0.9, 1.3, 2, 1.3, 0.8, 0.8, 0.8, 0.8]),
    "11850": profile([1.6, 1.5, 1.3, 1, 0.7, 0.5, 0.4, 0.5, 0.7, 1, 1.3, 1.5]),  # energy
    "16010": profile([1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1]),
}  # parents pay 11 months
BUDGET_PROFILE["10900"] = BUDGET_PROFILE["10100"]
ACTUAL_PROFILE = {
    "11950": profile([4, 0.7, 0.8, 0.8, 0.8, 0.9, 0.5, 0.8, 0.9, 0.9, 0.9, 1])
}  # licences paid in January

# staff: (ansatte 2021, women share, part-time share 2021, temporary share, turnover, sick leave %)
STAFF = {
    "E10": (30, 0.62, 0.08, 0.05, 0.07, 4.0),
    "E11": (16, 0.55, 0.12, 0.06, 0.08, 4.5),
    "E21": (36, 0.94, 0.42, 0.14, 0.09, 9.5),
    "E22": (12, 0.92, 0.45, 0.16, 0.08, 7.5),
    "E31": (82, 0.76, 0.26, 0.10, 0.07, 6.5),
    "E32": (34, 0.74, 0.30, 0.11, 0.08, 7.0),
    "E41": (108, 0.90, 0.62, 0.15, 0.12, 9.5),
    "E42": (146, 0.88, 0.66, 0.16, 0.11, 10.5),
    "E43": (40, 0.85, 0.25, 0.10, 0.08, 6.0),
    "E51": (44, 0.18, 0.08, 0.07, 0.06, 6.5),
    "E52": (9, 0.45, 0.0, 0.05, 0.05, 3.5),
}
SICK_YEAR = {2021: 0.95, 2022: 1.12, 2023: 1.05, 2024: 1.0, 2025: 0.96}
SICK_SEASON = [1.22, 1.30, 1.12, 1.0, 0.94, 0.86, 0.70, 0.82, 0.95, 1.02, 1.06, 1.04]  # Q1 high, Q3 low
SELF_SEASON = [1.35, 1.45, 1.15, 1.0, 0.9, 0.8, 0.55, 0.7, 0.95, 1.05, 1.1, 1.0]
HOLIDAYS = ["01-01", "05-01", "05-17", "12-25", "12-26"]  # fixed-date public holidays only


def rng(section):
    """A stable random stream per section: changing one section leaves the others unchanged."""
    return np.random.default_rng([5055, zlib.crc32(section.encode())])


def scope_of(df, unit, col="unit"):
    """Rows for one unit, or all rows for the kommune (unit None)."""
    return df if unit is None else df[df[col] == unit]


def tertial_bounds(y, t):
    start = date(y, 4 * t - 3, 1)
    end = date(y + 1, 1, 1) if t == 3 else date(y, 4 * t + 1, 1)
    return start, end - timedelta(days=1)


# --- synthetic truth ----------------------------------------------------------------------------
def make_staff():
    r, rows = rng("personal"), []
    for uid in UNIT_IDS:
        base, women, part, temp, turnover, _ = STAFF[uid]
        for y in YEARS:
            k = y - 2021
            ansatte = int(round(base * (1 + 0.01 * k) * (1 + r.normal(0, 0.03))))
            deltid = int(r.binomial(ansatte, part * (1 - 0.05 * k)))
            kvinner = int(r.binomial(ansatte, women))
            rows.append(
                dict(
                    year=y,
                    unit=uid,
                    ansatte=ansatte,
                    årsverk=round(ansatte - deltid + deltid * r.uniform(0.52, 0.64), 1),
                    kvinner=kvinner,
                    menn=ansatte - kvinner,
                    deltid=deltid,
                    ufrivillig_deltid=int(r.binomial(deltid, 0.16 * (1 - 0.08 * k))),
                    midlertidige=int(r.binomial(ansatte, temp)),
                    sluttet=int(r.binomial(ansatte, turnover * (0.9, 1.2, 1.1, 1.0, 0.95)[k])),
                )
            )
    return pd.DataFrame(rows)


def make_sick(staff):
    r, rows = rng("sykefravær"), []
    fte = staff.set_index(["unit", "year"])["årsverk"]
    for uid, y, m in product(UNIT_IDS, YEARS, range(1, 13)):
        month = np.datetime64(f"{y}-{m:02d}", "M")
        days = np.busday_count(
            month.astype("datetime64[D]"), (month + 1).astype("datetime64[D]"), holidays=[f"{y}-{h}" for h in HOLIDAYS]
        )
        possible = round(fte[uid, y] * (1 + r.normal(0, 0.01)) * days, 1)
        noise = 1 + r.normal(0, 0.1 + 0.6 / np.sqrt(fte[uid, y]))  # small units vary more
        total = STAFF[uid][5] / 100 * SICK_YEAR[y] * SICK_SEASON[m - 1] * noise
        self_ = 0.012 * SELF_SEASON[m - 1] * (1 + r.normal(0, 0.15))
        egen = round(possible * max(self_, 0), 1)
        lege = round(max(possible * max(total, 0) - egen, 0), 1)
        rows.append(dict(year=y, month=m, unit=uid, mulige=possible, egen=egen, lege=lege))
    return pd.DataFrame(rows)


def make_accounting():
    """Monthly lines per ansvar × art × funksjon: actual, revised and original budget, forecasts."""
    r, rows = rng("regnskap"), []
    for uid, y in product(UNIT_IDS, YEARS):
        overspend = (UNIT_OVERSPEND[uid] + YEAR_OVERSPEND[y] + r.normal(0, 0.8)) / 100
        for ansvar, ansvar_navn, funksjon, mix, weight in ANSVAR[uid]:
            gross = sum(share for _, share in MIXES[mix])
            for art, share in MIXES[mix]:
                annual = NET_BUDGET_2021[uid] * GROWTH[y] * weight * share / gross
                if share < 0:  # income: only noise around the budget
                    drift, noise = r.normal(0, 0.03), 0.06
                else:  # substitutes and overtime carry most of an overspend
                    drift = overspend * (2 if art in ("10300", "10400") else 1) + r.normal(0, 0.01)
                    noise = 0.03 if art in SALARY_ARTS else 0.12
                bprof = BUDGET_PROFILE.get(art, FLAT)
                budget = np.rint(annual * bprof).astype(int)
                original = np.rint(annual / (1 + PAY_SETTLEMENT[y] * (art in SALARY_ARTS)) * bprof).astype(int)
                actual = np.rint(
                    annual * (1 + drift) * ACTUAL_PROFILE.get(art, bprof) * (1 + r.normal(0, noise, 12))
                ).astype(int)
                # year-end forecasts in April, August, December get closer to the actual outcome
                gap, total = actual.sum() - budget.sum(), budget.sum()
                forecast = {
                    4 * t: int(round(total + w * gap + r.normal(0, sd) * abs(total)))
                    for t, w, sd in ((1, 0.6, 0.015), (2, 0.85, 0.008), (3, 1.0, 0.003))
                }
                for m in range(1, 13):
                    rows.append(
                        dict(
                            year=y,
                            month=m,
                            unit=uid,
                            ansvar=ansvar,
                            ansvar_navn=ansvar_navn,
                            art=art,
                            art_navn=ARTS[art],
                            funksjon=funksjon,
                            regnskap=int(actual[m - 1]),
                            budsjett=int(budget[m - 1]),
                            opprinnelig_budsjett=int(original[m - 1]),
                            prognose=forecast.get(m),
                        )
                    )
    return pd.DataFrame(rows).sort_values(["year", "month", "ansvar", "art"], kind="stable", ignore_index=True)


# tjeneste: (skala_maks, units, {dimension: offset}, Helhetsvurdering level per year, national level)
USER_SURVEYS = {
    "barnehage": (
        5,
        ["E21", "E22"],
        {
            "Ute- og innemiljø": -0.25,
            "Relasjon mellom barn og voksen": 0.15,
            "Barnets trivsel": 0.2,
            "Informasjon": -0.2,
            "Barnets utvikling": 0,
            "Samarbeid mellom barnehage og hjem": -0.05,
            "Helhetsvurdering": 0,
        },
        [4.45, 4.5, 4.38, 4.55, 4.6],
        4.5,
    ),
    "hjemmetjenester": (
        6,
        ["E41"],
        {
            "Resultat for brukeren": 0,
            "Trivsel": 0.1,
            "Brukermedvirkning": -0.3,
            "Respektfull behandling": 0.3,
            "Tilgjengelighet": -0.2,
            "Informasjon": -0.35,
            "Helhetsvurdering": 0,
        },
        [5.1, 5.0, 4.7, 4.8, 4.95],
        5.0,
    ),
    "sykehjem": (
        6,
        ["E42"],
        {
            "Resultat for brukeren": -0.1,
            "Trivsel": 0.05,
            "Brukermedvirkning": -0.4,
            "Respektfull behandling": 0.25,
            "Tilgjengelighet": -0.1,
            "Informasjon": -0.3,
            "Helhetsvurdering": 0,
        },
        [5.3, 5.15, 5.05, 4.85, 5.0],
        5.1,
    ),
}
SURVEY_UNIT = {"E21": (-0.05, 34), "E22": (0.15, 7), "E41": (0, 55), "E42": (0, 30)}  # offset, typical n
SMALL_N_ROW = ("E22", 2022, "Helhetsvurdering")  # the one unit row below the anonymity minimum


def make_user_survey():
    r, rows = rng("brukerundersøkelse"), []
    for (service, (scale, units, dims, level, national)), y in product(USER_SURVEYS.items(), YEARS):
        unit_rows = []
        for uid in units:
            offset, typical = SURVEY_UNIT[uid]
            n_unit = 4 if (uid, y) == SMALL_N_ROW[:2] else max(3, int(r.poisson(typical)))
            for dim, d in dims.items():
                n = 2 if (uid, y, dim) == SMALL_N_ROW else max(3, n_unit - int(r.integers(0, 2)))
                mean = min(scale, level[y - 2021] + offset + d + r.normal(0, 0.05 + 0.25 / np.sqrt(n)))
                unit_rows.append(dict(year=y, service=service, unit=uid, dimension=dim, mean=mean, n=n))
        for dim, d in dims.items():
            part = [u for u in unit_rows if u["dimension"] == dim]
            n = sum(u["n"] for u in part)
            kommune = dict(
                year=y, service=service, unit=None, dimension=dim, n=n, mean=sum(u["mean"] * u["n"] for u in part) / n
            )
            nat = round(national + d + r.normal(0, 0.03), 1)
            for row in part + [kommune]:
                rows.append(dict(row, mean=round(row["mean"], 1), scale=scale, national=nat))
    return pd.DataFrame(rows)


# 10-FAKTOR: (code, name, name variant used in the 2021 export, all-municipality level)
FACTORS = [
    ("oppgavemotivasjon", "Oppgavemotivasjon", "Indre motivasjon", 4.45),
    ("mestringstro", "Mestringstro", None, 4.2),
    ("selvstendighet", "Selvstendighet", "Autonomi", 4.15),
    ("bruk_av_kompetanse", "Bruk av kompetanse", None, 4.35),
    ("mestringsorientert_ledelse", "Mestringsorientert ledelse", None, 4.0),
    ("rolleklarhet", "Rolleklarhet", None, 4.4),
    ("relevant_kompetanseutvikling", "Relevant kompetanseutvikling", "Relevant kompetanseheving", 3.8),
    ("fleksibilitetsvilje", "Fleksibilitetsvilje", None, 4.3),
    ("mestringsklima", "Mestringsklima", None, 4.0),
    ("nyttemotivasjon", "Nyttemotivasjon", "Prososial motivasjon", 4.6),
]
TF_UNIT = {
    "E10": 0.1,
    "E11": 0.05,
    "E21": 0.05,
    "E22": 0.2,
    "E31": 0,
    "E32": 0.1,
    "E41": -0.15,
    "E42": -0.25,
    "E43": 0.05,
    "E51": -0.05,
    "E52": 0.15,
}
TF_YEAR = {2021: -0.03, 2023: 0, 2025: 0.08}


def make_employee_survey(staff):
    r, rows = rng("medarbeiderundersøkelse"), []
    employees = staff.set_index(["unit", "year"])["ansatte"]
    for y in TIFAKTOR_YEARS:
        n = {u: int(r.binomial(employees[u, y], r.uniform(0.62, 0.88))) for u in UNIT_IDS}
        for code, _, _, level in FACTORS:
            means = {
                u: min(5, level + 0.05 + TF_UNIT[u] + TF_YEAR[y] + r.normal(0, 0.07 + 0.3 / np.sqrt(n[u])))
                for u in UNIT_IDS
            }
            benchmark = round(level + (y - 2021) * 0.01, 1)
            for u in UNIT_IDS:
                rows.append(
                    dict(
                        year=y,
                        unit=u,
                        factor=code,
                        mean=round(means[u], 1),
                        n=n[u],
                        rate=round(100 * n[u] / employees[u, y]),
                        benchmark=benchmark,
                    )
                )
            total = sum(n.values())
            rows.append(
                dict(
                    year=y,
                    unit=None,
                    factor=code,
                    n=total,
                    benchmark=benchmark,
                    mean=round(sum(means[u] * n[u] for u in UNIT_IDS) / total, 1),
                    rate=round(100 * total / sum(employees[u, y] for u in UNIT_IDS)),
                )
            )
    return pd.DataFrame(rows)


AVVIK_RATE = {
    "E10": 0.3,
    "E11": 0.4,
    "E21": 1.2,
    "E22": 0.5,
    "E31": 2.0,
    "E32": 1.0,
    "E41": 5.0,
    "E42": 7.0,
    "E43": 1.5,
    "E51": 1.2,
    "E52": 0.3,
}  # per month
ON_TIME = {"E41": 0.82, "E42": 0.72, "E31": 0.85}  # share closed by the deadline; .9 elsewhere
CATEGORY_MIX = {
    "care": {"Kvalitet": 0.5, "HMS": 0.2, "Vold og trusler": 0.2, "Personvern": 0.1},
    "school": {"HMS": 0.35, "Vold og trusler": 0.35, "Kvalitet": 0.2, "Personvern": 0.1},
    "other": {"HMS": 0.5, "Kvalitet": 0.3, "Personvern": 0.2},
}
SEVERITY = {"Lav": (0.6, 30), "Middels": (0.3, 14), "Høy": (0.1, 7)}  # probability, days to deadline
DESCRIPTIONS = {
    "HMS": [
        "Glatt føre ved inngangsparti",
        "Defekt løfteutstyr",
        "Ansatt skled på vått gulv, ingen skade",
        "Manglende verneutstyr ved rengjøring",
        "Dårlig inneklima i møterom",
    ],
    "Vold og trusler": [
        "Verbal trussel mot ansatt",
        "Utagerende atferd mot ansatt, ingen skade",
        "Truende telefonsamtale til resepsjonen",
        "Fysisk utagering, ansatt fikk blåmerke",
    ],
    "Personvern": [
        "Brev sendt til feil mottaker",
        "E-post med personopplysninger sendt ukryptert",
        "PC ulåst i fellesareal",
        "Dokumenter glemt på skriveren",
    ],
    "Kvalitet": [
        "Forsinket legemiddelutdeling",
        "Manglende dokumentasjon i journal",
        "Rutine for overlevering ikke fulgt",
        "Bestilt utstyr levert for sent",
        "Avtalt besøk ble ikke gjennomført",
    ],
}


def make_avvik():
    r, items = rng("avvik"), []
    for uid, y, m in product(UNIT_IDS, YEARS, range(1, 13)):
        kind = {
            "hjemmetjenester": "care",
            "sykehjem": "care",
            "helse": "care",
            "barnehage": "school",
            "skole": "school",
        }.get(SERVICE[uid], "other")
        categories = list(CATEGORY_MIX[kind])
        for _ in range(r.poisson(AVVIK_RATE[uid])):
            reported = date(y, m, 1) + timedelta(days=int(r.integers(0, 28)))
            severity = str(r.choice(list(SEVERITY), p=[p for p, _ in SEVERITY.values()]))
            days = SEVERITY[severity][1]
            category = str(r.choice(categories, p=list(CATEGORY_MIX[kind].values())))
            if r.random() < ON_TIME.get(uid, 0.9) + 0.015 * (y - 2021):
                closed = reported + timedelta(days=int(r.integers(0, days + 1)))
            elif r.random() < 0.03:  # forgotten: never closed
                closed = None
            else:
                closed = reported + timedelta(days=days + 1 + int(r.exponential(20)))
            items.append(
                dict(
                    unit=uid,
                    category=category,
                    severity=severity,
                    reported=reported,
                    due=reported + timedelta(days=days),
                    closed=closed if closed and closed <= AS_OF else None,  # still open when extracted
                    text=str(r.choice(DESCRIPTIONS[category])),
                )
            )
    items.sort(key=lambda a: (a["reported"], a["unit"]))
    per_year = {}
    for a in items:
        per_year[a["reported"].year] = per_year.get(a["reported"].year, 0) + 1
        a["id"] = f"AV-{a['reported'].year}-{per_year[a['reported'].year]:04d}"
    return items


# utvalg: (meeting months, decisions per meeting (low, high), units that follow up)
UTVALG = {
    "Kommunestyret": ([2, 3, 4, 6, 9, 10, 11, 12], (1, 4), None),
    "Formannskapet": ([1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12], (1, 2), None),
    "Hovedutvalg oppvekst": ([2, 4, 6, 9, 11], (1, 2), ["E21", "E22", "E31", "E32"]),
    "Hovedutvalg helse og mestring": ([2, 4, 6, 9, 11], (1, 2), ["E41", "E42", "E43"]),
    "Hovedutvalg teknisk og miljø": ([2, 4, 6, 9, 11], (1, 2), ["E51", "E52"]),
}
TITLES = {
    None: [
        "Kommunal planstrategi",
        "Revisjon av finansreglement",
        "Heltidskultur – handlingsplan",
        "Salg av kommunal tomt på Kyrksæterøra",
        "Mandat for ungdomsrådet",
        "Eierskapsmelding",
        "Eiendomsskatt – utredning",
        "Digitaliseringsstrategi",
        "Overordnet beredskapsplan – revisjon",
        "Boligsosial handlingsplan",
        "Klimaplan – tiltaksdel",
        "Samarbeidsavtale om legevakt",
        "Innkjøpsstrategi",
    ],
    "Hovedutvalg oppvekst": [
        "Tilstandsrapport for grunnskolen",
        "Kompetanseplan for barnehagene",
        "Skolestruktur – utredning",
        "Handlingsplan mot mobbing",
        "Opptaksregler for barnehage",
    ],
    "Hovedutvalg helse og mestring": [
        "Omsorgsboliger – behovsutredning",
        "Velferdsteknologi – innføring",
        "Demensplan",
        "Rekruttering av sykepleiere",
        "Bemanningsplan Heim helsetun",
    ],
    "Hovedutvalg teknisk og miljø": [
        "Hovedplan vann og avløp",
        "Reguleringsplan for Kyrksæterøra sentrum",
        "Vedlikeholdsplan for kommunale bygg",
        "Gatelys – utskifting til LED",
        "Gebyrregulativ plan og byggesak",
    ],
}
STATUS = {
    "iverksatt": ["Iverksatt"],
    "pågår": ["Under arbeid", "Pågår"],
    "ikke startet": ["Ikke påbegynt", "Ikke startet"],
}  # canonical status: spellings in the register
DONE_BY_DUE_YEAR = {2021: 0.93, 2022: 0.9, 2023: 0.8, 2024: 0.84, 2025: 0.72}  # chance a past-due decision is done
COMMENTS = {
    "iverksatt": ["", "Gjennomført som vedtatt", "Rapportert i tertialrapport"],
    "pågår": ["", "Forsinket på grunn av kapasitet", "Anbud er ute", "Avventer statlig avklaring"],
    "ikke startet": ["", "Avventer budsjettbehandling", "Ikke prioritert innenfor rammen"],
}
SPECIAL_TITLES = {
    (2024, 5): "Innbyggerforslag om gatelys <script>alert(1)</script>",
    (2025, 9): '=HYPERLINK("http://x","y")',
}  # markup and formula injection test cases


def make_vedtak():
    r, items = rng("vedtak"), []
    for y in YEARS:
        meetings = []
        for utvalg, (months, (lo, hi), _) in UTVALG.items():
            for m in months:
                first_thursday = date(y, m, 1) + timedelta(days=(3 - date(y, m, 1).weekday()) % 7)
                meeting = first_thursday + timedelta(days=7 * int(r.integers(1, 3)))
                meetings.append((meeting, utvalg, int(r.integers(lo, hi + 1))))
        seq, k = int(r.integers(5, 15)), 0
        for met, utvalg, count in sorted(meetings):
            for _ in range(count):
                k += 1
                seq += int(r.integers(3, 25))
                units = UTVALG[utvalg][2] or (["E10"] * 6 + UNIT_IDS)
                months_to_due = int(r.choice([2, 3, 4, 6, 9, 12]))
                due_month = met.month - 1 + months_to_due
                due = date(met.year + (due_month + 1) // 12, (due_month + 1) % 12 + 1, 1) - timedelta(days=1)
                if due < AS_OF:
                    done = r.random() < DONE_BY_DUE_YEAR[due.year]
                    state = "iverksatt" if done else str(r.choice(["pågår", "ikke startet"], p=[0.8, 0.2]))
                else:
                    state = str(r.choice(list(STATUS), p=[0.25, 0.55, 0.2]))
                title = str(r.choice(TITLES[utvalg if UTVALG[utvalg][2] else None]))
                items.append(
                    dict(
                        saksnr=f"{y % 100}/{seq}",
                        utvalg=utvalg,
                        meeting=met,
                        due=due,
                        unit=str(r.choice(units)),
                        state=state,
                        status=str(r.choice(STATUS[state])),
                        title=SPECIAL_TITLES.get((y, k), title),
                        comment=str(r.choice(COMMENTS[state])),
                    )
                )
    return items


REGIONS = {
    "EAKUO": "Landet uten Oslo",
    "EKA50": "Trøndelag - Trööndelage",
    "EKG02": "KOSTRA-gruppe 2",
    "1566": "Surnadal",
    "1576": "Aure",
    "5014": "Frøya",
    "5055": "Heim",
    "5056": "Hitra",
    "5059": "Orkland",
    "5061": "Rindal",
}  # EKG02 as Heim's KOSTRA group is a demo assumption
# table: (title, dimension order, [(ContentsCode, label, unit, decimals)])
KOSTRA_TABLES = {
    "12134": (
        "Utvalgte nøkkeltall for kommuneregnskapet",
        ["KOKkommuneregion0000", "ContentsCode", "Tid"],
        [
            ("KOSAGD230000", "Netto driftsresultat i prosent av brutto driftsinntekter", "prosent", 1),
            ("KOSKG210000", "Disposisjonsfond i prosent av brutto driftsinntekter", "prosent", 1),
            (
                "KOSKG320000",
                "Langsiktig gjeld (eksklusive pensjonsforpliktelser) i prosent av brutto driftsinntekter",
                "prosent",
                1,
            ),
        ],
    ),
    "13502": (
        "Barnehager - nøkkeltall",
        ["ContentsCode", "KOKkommuneregion0000", "Tid"],  # region not first
        [
            ("KOSandel150000", "Andel barn 1-5 år i barnehage", "prosent", 1),
            ("KOSbarnaav0000", "Barn korrigert for alder per årsverk til grunnbemanning", "antall", 1),
        ],
    ),
    "12255": (
        "Grunnskole - nøkkeltall",
        ["KOKkommuneregion0000", "ContentsCode", "Tid"],
        [("KOSgrstr20000", "Gruppestørrelse 2, 1.-10. årstrinn", "antall", 1)],
    ),
}
# ContentsCode: (Heim 2021-2025 = truth, landet uten Oslo 2021-2025, spread between kommuner, small-kommune shift)
KOSTRA_SERIES = {
    "KOSAGD230000": ([3.1, 1.8, -0.6, 0.9, 1.7], [3.9, 2.6, 0.9, 0.8, 2.0], 1.5, 0),
    "KOSKG210000": ([9.8, 9.1, 6.4, 6.9, 7.6], [13.2, 13.8, 12.1, 10.9, 10.6], 4, 0),
    "KOSKG320000": ([118.4, 124.9, 133.7, 138.2, 136.5], [104.0, 106.5, 110.2, 114.8, 116.1], 18, 12),
    "KOSandel150000": ([91.8, 93.4, 95.1, 94.2, 95.6], [93.4, 93.1, 93.4, 93.6, 93.8], 2.5, -1),
    "KOSgrstr20000": ([13.1, 13.6, 14.2, 15.4, 15.9], [16.2, 16.1, 16.2, 16.3, 16.3], 1.5, -3),
    "KOSbarnaav0000": (None, [5.9, 5.8, 5.8, 5.7, 5.7], 0.5, 0.2),  # Heim's figure: its barnehager's (BASIL)
}
PEER_OFFSET = {
    ("KOSAGD230000", "5056"): 4.0,
    ("KOSAGD230000", "5014"): 5.0,  # aquaculture revenue
    ("KOSKG210000", "5056"): 10.0,
    ("KOSKG210000", "5014"): 14.0,
}
KOSTRA_MISSING = {
    ("KOSKG210000", "1576", 2025): "..",
    ("KOSandel150000", "5061", 2022): ":",
    ("KOSgrstr20000", "5014", 2021): ".",
}  # peer cells only, never Heim


def make_kostra(heim_from_units):
    """{(ContentsCode, region, year): value or None}; Heim's values are the truth, peers are drawn.
    `heim_from_units`: Heim's figures that SSB computes from the units' own reports (BASIL)."""
    r, cells = rng("kostra"), {}
    for code, (heim, national, spread, small) in KOSTRA_SERIES.items():
        heim = heim or heim_from_units[code]
        for region in REGIONS:
            aggregate = not region.isdigit()
            if region == "EAKUO":
                offset = 0
            else:
                offset = PEER_OFFSET.get((code, region), r.normal(0, spread / (3 if aggregate else 1)))
                offset += small if region.isdigit() or region == "EKG02" else 0
            for k, y in enumerate(YEARS):
                if region == "5055":
                    value = heim[k]
                elif (code, region, y) in KOSTRA_MISSING:
                    value = None
                else:
                    value = round(national[k] + offset + r.normal(0, spread / (8 if aggregate else 4)), 1)
                cells[code, region, y] = value
    return cells


def make_manual():
    """Catalogue indicators entered by hand (kilde manuell): rows for indikatorverdier/manuelle_tall.xlsx."""
    r, rows = rng("manuell"), []

    def add(ind, unit, period, value=None, num=None, den=None, n=None, comment=""):
        if num is not None:
            value = num / den
        rows.append(
            dict(ind=ind, unit=unit, period=period, value=round(value, 4), num=num, den=den, n=n, comment=comment)
        )

    for y in YEARS:  # Elevundersøkelsen (trivsel) and grunnskolepoeng from Skoleporten
        k, trivsel, points = y - 2021, {}, {}
        for uid, level, pupils in (("E31", 4.16 + 0.03 * k, 58), ("E32", 4.38, 22)):
            n = int(r.poisson(pupils))
            trivsel[uid] = (level + r.normal(0, 0.06), n)
            add("trivsel_skole", uid, str(y), round(trivsel[uid][0], 1), n=n)
        n = sum(t[1] for t in trivsel.values())
        add("trivsel_skole", None, str(y), round(sum(m * c for m, c in trivsel.values()) / n, 1), n=n)
        for uid, level, pupils in (("E31", 40.4, 38), ("E32", 42.0, 14)):
            n = int(r.integers(pupils - 5, pupils + 6))
            points[uid] = (round(round(level + r.normal(0, 0.8 + 4 / np.sqrt(n)), 1) * n, 1), n)
            add(
                "grunnskolepoeng",
                uid,
                str(y),
                num=points[uid][0],
                den=n,
                comment="Få elever – tolk med varsomhet" if n < 15 else "",
            )
        add(
            "grunnskolepoeng",
            None,
            str(y),
            num=round(sum(p for p, _ in points.values()), 1),
            den=sum(n for _, n in points.values()),
        )
    for y, t in product(YEARS, (1, 2, 3)):  # byggesaker with a three-week deadline, from the case system
        cases = int(r.poisson(38 if t == 2 else 30))
        days = int(round(cases * ({2021: 19, 2022: 24, 2023: 31, 2024: 26, 2025: 20}[y] + r.normal(0, 3))))
        comment = "Vakant saksbehandlerstilling" if days / cases > 28 else ""
        for unit in (None, "E52"):
            add("saksbehandlingstid_byggesak", unit, f"{y}T{t}", num=days, den=cases, comment=comment)
    return rows


def make_targets():
    """(indikator_id, år, mål, enhet_id, grønn, rød); grønn/rød are tolerances as in the catalogue, None = default."""
    rows = [("netto_driftsresultat", y, v, None, 0, 1) for y, v in zip(YEARS, [1.75, 1.75, 1.0, 1.5, 2.0], strict=True)]
    rows += [("disposisjonsfond", y, v, None, None, None) for y, v in ((2023, 7), (2024, 7), (2025, 7.5))]
    rows += [("langsiktig_gjeld", y, 130, None, 0, 10) for y in (2024, 2025)]
    rows += [("sykefravaer", y, v, None, 0, 1.5) for y, v in zip(YEARS, [7.5, 7.5, 7.5, 7.2, 7.0], strict=True)]
    sick = {
        "E10": 4.5,
        "E11": 4.5,
        "E21": 8.5,
        "E22": 7.5,
        "E31": 6.5,
        "E32": 6.5,
        "E41": 8.5,
        "E42": 9.5,
        "E43": 6.0,
        "E51": 6.0,
        "E52": 4.0,
    }
    rows += [
        ("sykefravaer", y, round(v - 0.3 * (y - 2024), 1), u, None, None) for y in (2024, 2025) for u, v in sick.items()
    ]
    rows += [("andel_heltid", y, v, None, 0, 10) for y, v in zip(YEARS, [55, 56, 58, 60, 62], strict=True)]
    rows += [("andel_heltid", y, v, u, 0, 8) for y in (2024, 2025) for u, v in (("E41", 40), ("E42", 42))]
    rows += [("tifaktor_snitt", y, 4.4, None, None, None) for y in (2023, 2025)]
    rows += [("tifaktor_snitt", 2025, 4.2, "E42", 0.1, 0.3)]
    rows += [("tilfredshet_barnehage", y, 4.6, None, None, None) for y in (2024, 2025)]
    rows += [("budsjettavvik", 2025, 0, "E42", 2, 4)]
    rows += [("avvik_lukket", 2025, 85, None, 0, 15), ("avvik_lukket", 2025, 80, "E42", 0, 15)]
    rows += [("vedtak_iverksatt", y, 80, None, None, None) for y in (2024, 2025)]
    rows += [("grunnskolepoeng", 2025, 41.5, None, None, None)]
    rows += [("saksbehandlingstid_byggesak", 2025, 18, u, 0, 6) for u in (None, "E52")]
    return rows


# --- file writers -------------------------------------------------------------------------------
MANIFEST = []  # (file, kind, bridge_for)


def emit(rel, kind, data, bridge_for=""):
    path = OUT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    MANIFEST.append((rel, kind, bridge_for))


def plain(v):
    """Python scalars for the writers: numpy → int/float, NaN and '' → None."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
        return None
    return v.item() if isinstance(v, np.generic) else v


def xlsx_bytes(sheet, title, header, rows):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for line in title:
        ws.append([line] if line else [])
    ws.append(header)
    for row in rows:
        ws.append([plain(v) for v in row])
    for cells in ws.iter_rows(min_row=len(title) + 2):
        for cell in cells:
            if isinstance(cell.value, date):
                cell.number_format = "dd.mm.yyyy"
            elif isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # keep text that looks like a formula as text
    wb.properties.creator = "Heim BMS demo-generator"
    wb.properties.title = DEMO
    wb.properties.created = wb.properties.modified = FIXED_DT
    raw, out = io.BytesIO(), io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()  # save_workbook would stamp "now"
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # re-pack with fixed entry times
            dst.writestr(
                zipfile.ZipInfo(info.filename, FIXED_DT.timetuple()[:6]), src.read(info.filename), zipfile.ZIP_DEFLATED
            )
    return out.getvalue()


def csv_bytes(title, header, rows, delimiter, encoding):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([[line] if line else [] for line in title] + [header])
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buf.getvalue().encode(encoding)


def no_number(x, decimals=2):
    """Norwegian number text: space as thousands separator and decimal comma, e.g. '1 234,50'."""
    return f"{x:,.{decimals}f}".replace(",", " ").replace(".", ",")


def write_enheter():
    rows = [
        [uid, name, area, service, ",".join(a[0] for a in ANSVAR[uid]), UNIT_LEADER[uid], LEADER[area]]
        for uid, name, area, service in UNITS
    ]
    emit(
        "enheter/enheter.xlsx",
        "enheter",
        xlsx_bytes(
            "Enheter",
            ["Heim kommune – organisasjonskart", DEMO, ""],
            ["enhet_id", "enhet", "tjenesteområde", "tjeneste", "ansvar", "leder", "kommunalsjef"],
            rows,
        ),
    )


def write_targets(targets, catalogue):
    unknown = {t[0] for t in targets} - set(catalogue["id"])
    assert not unknown, f"targets for indicators not in the catalogue: {unknown}"
    emit(
        "maal/maal_2021-2025.xlsx",
        "mål",
        xlsx_bytes(
            "Mål",
            ["Heim kommune – mål fra handlingsprogram og budsjett 2021–2025", DEMO],
            ["indikator_id", "år", "mål", "enhet_id", "grønn", "rød"],
            targets,
        ),
    )


def regnskap_rows(acc, y, period, amount, annual=False):
    """Rows of one year; prognose only where the accounting system holds a forecast (Apr, Aug, Dec).
    `annual` adds the line's revised budget for the whole year (årsbudsjett), as tertial exports have it."""
    d = acc[acc.year == y]
    year_budget = d.groupby(["ansvar", "art", "funksjon"]).budsjett.transform("sum")
    return [
        [
            period(r.month),
            r.ansvar,
            r.ansvar_navn,
            r.art,
            r.art_navn,
            r.funksjon,
            amount(r.regnskap),
            amount(r.budsjett),
            amount(r.opprinnelig_budsjett),
            None if pd.isna(r.prognose) else amount(int(r.prognose)),
        ]
        + ([amount(int(b))] if annual else [])
        for r, b in zip(d.itertuples(), year_budget, strict=True)
    ]


# The accounting exports' headers: the template's own, and two systems' variants of it.
REGNSKAP_CANONICAL = [
    "periode", "ansvar", "ansvar_navn", "art", "art_navn", "funksjon", "regnskap", "budsjett",
    "opprinnelig_budsjett", "prognose",
]  # fmt: skip
REGNSKAP_HEADERS_2021 = [
    "Periode", "Ansvar", "Ansvarsnavn", "Art", "Artsnavn", "Funksjon", "Regnskap", "Revidert budsjett",
    "Opprinnelig budsjett", "Prognose",
]  # fmt: skip
REGNSKAP_HEADERS_2022 = [
    "Periode", "Ansvar nr.", "Ansvar navn", "Art", "Art navn", "Funksjon", "Regnskap", "Rev. budsjett",
    "Oppr. budsjett", "Prognose",
]  # fmt: skip


def write_regnskap(acc):
    """One file per year, each in a different export shape."""
    # 2021: Windows-1252, ';', periods 202101, amounts as Norwegian number text
    emit(
        "regnskap/regnskap_2021.csv",
        "regnskap",
        csv_bytes(
            ["Heim kommune – regnskap per måned 2021", DEMO, ""],
            REGNSKAP_HEADERS_2021,
            regnskap_rows(acc, 2021, lambda m: f"2021{m:02d}", no_number),
            ";",
            "cp1252",
        ),
    )
    # 2022: report layout with a title block, header variants, periods 01.2022
    emit(
        "regnskap/regnskap_2022.xlsx",
        "regnskap",
        xlsx_bytes(
            "Regnskap 2022",
            ["Heim kommune", "Regnskapsrapport 2022 – ansvar, art og funksjon", DEMO, ""],
            REGNSKAP_HEADERS_2022,
            regnskap_rows(acc, 2022, lambda m: f"{m:02d}.2022", int),
        ),
    )
    # 2023: UTF-8 with BOM, ',' separated, periods 2023-01
    emit(
        "regnskap/regnskap_2023.csv",
        "regnskap",
        csv_bytes(
            [f"{DEMO} – regnskap 2023"],
            REGNSKAP_CANONICAL,
            regnskap_rows(acc, 2023, lambda m: f"2023-{m:02d}", int),
            ",",
            "utf-8-sig",
        ),
    )
    # 2024; 2025 also with the year's revised budget on every line (årsbudsjett), as a tertial export has it
    for y in (2024, 2025):
        emit(
            f"regnskap/regnskap_{y}.xlsx",
            "regnskap",
            xlsx_bytes(
                "Regnskap",
                [f"Heim kommune – regnskap {y}", DEMO],
                REGNSKAP_CANONICAL + (["årsbudsjett"] if y == 2025 else []),
                regnskap_rows(acc, y, lambda m, y=y: f"{y}-{m:02d}", int, annual=y == 2025),
            ),
        )


def write_sykefravaer(sick):
    rows = [[f"{r.year}-{r.month:02d}", r.unit, r.mulige, r.egen, r.lege] for r in sick.itertuples()]
    emit(
        "sykefravaer/sykefravaer_2021-2025.xlsx",
        "sykefravær",
        xlsx_bytes(
            "Sykefravær",
            ["Heim kommune – sykefravær per enhet og måned 2021–2025", DEMO, ""],
            ["Periode", "enhet_id", "Mulige dagsverk", "Tapte dagsverk egenmeldt", "Tapte dagsverk legemeldt"],
            rows,
        ),
    )


def write_personal(staff):
    cols = ["ansatte", "årsverk", "kvinner", "menn", "deltid", "ufrivillig_deltid", "midlertidige", "sluttet"]
    rows = [[str(r["year"]), r["unit"]] + [r[c] for c in cols] for _, r in staff.iterrows()]
    emit(
        "personal/personal_2021-2025.xlsx",
        "personal",
        xlsx_bytes(
            "Personal", ["Heim kommune – personaldata per enhet og år", DEMO], ["periode", "enhet_id"] + cols, rows
        ),
    )


def write_user_survey(user):
    header = ["år", "tjeneste", "enhet_id", "enhet", "dimensjon", "snitt", "antall_svar", "skala_maks", "landssnitt"]
    for rel, services, title in (
        (
            "brukerundersokelse/foreldreundersokelsen_barnehage.xlsx",
            ["barnehage"],
            "Foreldreundersøkelsen i barnehage (Udir), skala 1–5 – Heim kommune",
        ),
        (
            "brukerundersokelse/bedrekommune_hjemmetjenester_sykehjem.xlsx",
            ["hjemmetjenester", "sykehjem"],
            "Brukerundersøkelser fra bedrekommune.no, skala 1–6 – Heim kommune",
        ),
    ):
        d = user[user.service.isin(services)]
        rows = [
            [
                r.year,
                r.service,
                r.unit,
                UNIT_NAME.get(r.unit, "Heim kommune"),
                r.dimension,
                r.mean,
                r.n,
                r.scale,
                r.national,
            ]
            for r in d.itertuples()
        ]
        emit(rel, "brukerundersøkelse", xlsx_bytes("Resultater", [title, DEMO], header, rows))


def write_employee_survey(emp):
    for y in TIFAKTOR_YEARS:  # the 2021 export uses older factor names
        names = {code: (variant if y == 2021 and variant else name) for code, name, variant, _ in FACTORS}
        d = emp[emp.year == y]
        rows = [[y, r.unit, names[r.factor], r.mean, r.n, r.rate, r.benchmark] for r in d.itertuples()]
        emit(
            f"medarbeiderundersokelse/10-faktor_{y}.xlsx",
            "medarbeiderundersøkelse",
            xlsx_bytes(
                "10-FAKTOR",
                [f"10-FAKTOR medarbeiderundersøkelse {y} – Heim kommune", DEMO],
                ["år", "enhet_id", "faktor", "snitt", "antall_svar", "svarprosent", "snitt_alle_kommuner"],
                rows,
            ),
        )


def write_avvik(avvik):
    rows = [
        [
            a["id"],
            a["unit"],
            a["category"],
            a["severity"],
            f"{a['reported']:%d.%m.%Y}",
            f"{a['due']:%d.%m.%Y}",
            f"{a['closed']:%d.%m.%Y}" if a["closed"] else "",
            a["text"],
        ]
        for a in avvik
    ]
    emit(
        "avvik/avvik_2021-2025.csv",
        "avvik",
        csv_bytes(
            [f"Avviksregister – uttrekk {AS_OF:%d.%m.%Y} – {DEMO}"],
            ["avvik_id", "enhet_id", "kategori", "alvorlighet", "meldt_dato", "frist", "lukket_dato", "beskrivelse"],
            rows,
            ";",
            "utf-8-sig",
        ),
    )


def write_vedtak(vedtak):
    rows = [
        [v["saksnr"], v["utvalg"], v["meeting"], v["title"], v["status"], v["unit"], v["due"], v["comment"]]
        for v in vedtak
    ]
    emit(
        "vedtak/vedtaksoppfolging.xlsx",
        "vedtak",
        xlsx_bytes(
            "Vedtak",
            ["Heim kommune – oppfølging av politiske vedtak", f"Uttrekk {AS_OF:%d.%m.%Y}", DEMO, ""],
            ["saksnr", "utvalg", "møtedato", "tittel", "status", "ansvarlig_enhet", "frist", "kommentar"],
            rows,
        ),
    )


def write_kostra(cells):
    """One json-stat2 file per table, shaped like SSB's PxWebApi responses (row-major values, status symbols)."""
    dim_label = {"KOKkommuneregion0000": "region", "ContentsCode": "statistikkvariabel", "Tid": "år"}
    for table, (title, order, contents) in KOSTRA_TABLES.items():
        codes = {
            "KOKkommuneregion0000": list(REGIONS),
            "ContentsCode": [c[0] for c in contents],
            "Tid": [str(y) for y in YEARS],
        }
        labels = {
            "KOKkommuneregion0000": REGIONS,
            "Tid": {str(y): str(y) for y in YEARS},
            "ContentsCode": {c: f"{lab} ({unit})" for c, lab, unit, _ in contents},
        }
        dimension = {}
        for d in order:
            dimension[d] = {
                "label": dim_label[d],
                "category": {"index": {c: i for i, c in enumerate(codes[d])}, "label": labels[d]},
            }
            if d == "ContentsCode":
                dimension[d]["category"]["unit"] = {c: {"base": unit, "decimals": dec} for c, _, unit, dec in contents}
            if d == "KOKkommuneregion0000":
                dimension[d]["link"] = {"describedby": [{"extension": {d: "urn:ssb:classification:klass:231"}}]}
        values, status = [], {}
        for i, combo in enumerate(product(*(codes[d] for d in order))):
            key = dict(zip(order, combo, strict=True))
            cell = (key["ContentsCode"], key["KOKkommuneregion0000"], int(key["Tid"]))
            values.append(cells[cell])
            if cells[cell] is None:
                status[str(i)] = KOSTRA_MISSING[cell]
        doc = {
            "class": "dataset",
            "label": f"{table}: {title}, etter {', '.join(dim_label[d] for d in order[:-1])} og år ({DEMO})",
            "source": "Statistisk sentralbyrå",
            "updated": KOSTRA_UPDATED,
            "id": order,
            "size": [len(codes[d]) for d in order],
            "dimension": dimension,
            "value": values,
            "status": status,
            "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
            "version": "2.0",
            "extension": {"px": {"infofile": "al", "tableid": table, "decimals": 1}},
        }
        emit(f"kostra/{table}.json", "kostra", json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"))


VALUE_HEADER = ["indikator_id", "enhet_id", "periode", "verdi", "teller", "nevner", "antall_svar", "kommentar"]


# Barnehage staffing as each barnehage reports it to BASIL on 15 December: children corrected for age
# (a child under three counts as two) and årsverk in the basic staffing. SSB's KOSTRA figure for the
# kommune is the sum of children over the sum of årsverk, so Heim's 13502/KOSbarnaav0000 follows from it.
BASIL_UNITS = {"E21": (70.0, 12.4), "E22": (23.0, 3.3)}  # 2021 level: (children corrected, årsverk)


def make_basil():
    """{(unit, year): (children corrected for age, årsverk)} for the barnehager."""
    r, out = rng("basil"), {}
    for uid, (children, fte) in BASIL_UNITS.items():
        for k, y in enumerate(YEARS):
            c = round(children * (1 + 0.01 * k) + r.normal(0, 1.5), 1)
            out[uid, y] = (c, round(fte * (1 + 0.015 * k) + r.normal(0, 0.15), 1))
    return out


def basil_kommune(basil):
    """Heim's figure as SSB computes it: weighted (sum of children / sum of årsverk), never a mean of ratios."""
    return {
        "KOSbarnaav0000": [
            round(sum(basil[u, y][0] for u in BASIL_UNITS) / sum(basil[u, y][1] for u in BASIL_UNITS), 1) for y in YEARS
        ]
    }


def write_basil(basil):
    rows = [
        ["barn_per_arsverk", uid, str(y), round(c / f, 4), c, f, None, "BASIL per 15.12."]
        for (uid, y), (c, f) in sorted(basil.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
    emit(
        "indikatorverdier/basil_barnehage_2021-2025.xlsx",
        "indikatorverdier",
        xlsx_bytes(
            "Indikatorverdier",
            ["Barnehagene – barn korrigert for alder og årsverk til grunnbemanning (BASIL)", DEMO],
            VALUE_HEADER,
            rows,
        ),
    )


# --- Klass (SSB's classifications): real kommune and fylke names, KOSTRA groups a demo assumption ----
KLASS_DATE = "2026-01-01"
KLASS_KOMMUNER = [
    ("1566", "Surnadal"),
    ("1576", "Aure"),
    ("3101", "Halden"),
    ("5001", "Trondheim - Tråante"),
    ("5014", "Frøya"),
    ("5055", "Heim"),
    ("5056", "Hitra"),
    ("5059", "Orkland"),
    ("5061", "Rindal"),
    ("9999", "Uoppgitt"),
]
KLASS_FYLKER = [("15", "Møre og Romsdal"), ("31", "Østfold"), ("50", "Trøndelag - Trööndelage"), ("99", "Uoppgitt")]
# kommune: [(KOSTRA group, valid from, valid to)]; Orkland moves group in 2024 to show membership by date
KLASS_GROUPS = {
    "1566": [("EKG02", "2020-01-01", None)],
    "1576": [("EKG02", "2020-01-01", None)],
    "3101": [("EKG10", "2024-01-01", None)],
    "5001": [("EKG12", "2020-01-01", None)],
    "5014": [("EKG03", "2020-01-01", None)],
    "5055": [("EKG02", "2020-01-01", None)],
    "5056": [("EKG02", "2020-01-01", None)],
    "5059": [("EKG08", "2020-01-01", "2024-01-01"), ("EKG07", "2024-01-01", None)],
    "5061": [("EKG01", "2020-01-01", None)],
}
# Klass's change list (real changes): the 2020 reform around Heim and one 2024 renumbering
KLASS_CHANGES = [
    ("1571", "Halsa", "5055", "Heim", "2020-01-01"),
    ("5011", "Hemne", "5055", "Heim", "2020-01-01"),
    ("5012", "Snillfjord", "5055", "Heim", "2020-01-01"),
    ("5012", "Snillfjord", "5056", "Hitra", "2020-01-01"),
    ("5012", "Snillfjord", "5059", "Orkland", "2020-01-01"),
    ("5013", "Hitra", "5056", "Hitra", "2020-01-01"),
    ("5016", "Agdenes", "5059", "Orkland", "2020-01-01"),
    ("5023", "Meldal", "5059", "Orkland", "2020-01-01"),
    ("5024", "Orkdal", "5059", "Orkland", "2020-01-01"),
    ("3001", "Halden", "3101", "Halden", "2024-01-01"),
]


def klass_csv(rows):
    """Klass's CSV export as it comes: comma-separated, quoted like SSB quotes it, ISO-8859-1."""
    header = '"code","parentCode","level","name","shortName","presentationName","validFrom","validTo","notes"'
    lines = [header] + [f'"{code}",,"1","{name}","","",,,""' for code, name in rows]
    return ("\n".join(lines) + "\n").encode("iso-8859-1")


def write_klass():
    emit(f"klass/131_codesAt_{KLASS_DATE}.csv", "klass", klass_csv(KLASS_KOMMUNER))
    emit(f"klass/104_codesAt_{KLASS_DATE}.csv", "klass", klass_csv(KLASS_FYLKER))
    for y in YEARS:
        day = f"{y}-01-01"
        items = [
            {
                "sourceCode": code,
                "sourceName": dict(KLASS_KOMMUNER)[code],
                "sourceShortName": "",
                "targetCode": group,
                "targetName": f"KOSTRA-gruppe {int(group[3:])}",
                "targetShortName": "",
                "validFrom": start,
                "validTo": end,
            }
            for code, spans in KLASS_GROUPS.items()
            for group, start, end in spans
            if start <= day and (end is None or day < end)
        ]
        doc = {"correspondenceItems": items, "_demo": f"{DEMO}: KOSTRA-gruppene er antatt for demoen"}
        body = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
        emit(f"klass/131-112_correspondsAt_{day}.json", "kostragrupper", body)
    changes = [
        {
            "oldCode": old,
            "oldName": old_name,
            "oldShortName": "",
            "newCode": new,
            "newName": new_name,
            "newShortName": "",
            "changeOccurred": day,
        }
        for old, old_name, new, new_name, day in KLASS_CHANGES
    ]
    body = json.dumps({"codeChanges": changes}, ensure_ascii=False, indent=2).encode("utf-8")
    emit("klass/131_changes_2020-01-01_2026-01-02.json", "kommuneendringer", body)


def write_manual(manual, catalogue):
    expected = set(catalogue.loc[catalogue.kilde == "manuell", "id"])
    assert {r["ind"] for r in manual} == expected, "manual figures must cover exactly the kilde=manuell indicators"
    rows = [[r["ind"], r["unit"], r["period"], r["value"], r["num"], r["den"], r["n"], r["comment"]] for r in manual]
    emit(
        "indikatorverdier/manuelle_tall.xlsx",
        "indikatorverdier",
        xlsx_bytes(
            "Indikatorverdier", ["Heim kommune – manuelt registrerte indikatorverdier", DEMO], VALUE_HEADER, rows
        ),
    )


# --- bridges: catalogue indicators computed from the truth --------------------------------------
def held_back(df, group, min_n):
    """The survey cells (unit or None for the kommune, *group) never published: a unit with fewer answers
    than min_n, and, in its group, the smallest other units until the answers no shown unit accounts for
    are at least min_n (else its mean would be the kommune's less theirs); the kommune figure itself too if
    it rests on fewer answers than that. The rule of etl/checks/context.py, applied to the truth."""
    held = set()
    for key, g in df.groupby(group, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        units = g[g.unit.notna()]
        under = units[units.n < min_n]
        if under.empty:
            continue
        held |= {(u, *key) for u in under.unit}
        unaccounted = g.loc[g.unit.isna(), "n"].iloc[0] - units[units.n >= min_n].n.sum()
        for u, n in units[units.n >= min_n].sort_values(["n", "unit"])[["unit", "n"]].itertuples(index=False):
            if unaccounted >= min_n:
                break
            held.add((u, *key))
            unaccounted += n
        if unaccounted < min_n:
            held.add((None, *key))
    return held


def bridge_sources(t, catalogue):
    """kilde_ref prefix → function(arg, unit or None, year, month/tertial/None) → (verdi, teller, nevner, n) or None."""
    strictest = {k: max(int(n or MIN_N) for n in c.min_n) for k, c in catalogue.groupby("kilde")}
    held_user = held_back(t["user"], ["year", "service", "dimension"], strictest["brukerundersøkelse"])
    held_emp = held_back(t["emp"], ["year", "factor"], strictest["medarbeiderundersøkelse"])
    return {
        "accounting": partial(_bridge_accounting, t["acc"]),
        "sick_leave": partial(_bridge_sick_leave, t["sick"]),
        "staff": partial(_bridge_staff, t["staff"]),
        "employee_survey": partial(_bridge_employee_survey, t["emp"], held_emp),
        "user_survey": partial(_bridge_user_survey, t["user"], held_user),
        "deviations": partial(_bridge_deviations, t["avvik"]),
        "decisions": partial(_bridge_decisions, t["vedtak"]),
        "KOSTRA": partial(_bridge_kostra, t["kostra"]),
    }


def _ytd(acc, unit, y, m):
    d = scope_of(acc, unit)
    d = d[(d.year == y) & (d.month <= m)]
    return int(d.regnskap.sum()), int(d.budsjett.sum())


def _bridge_accounting(acc, arg, unit, y, sub):
    if arg == "units_within_budget":
        ok = sum(a <= b for a, b in (_ytd(acc, u, y, sub) for u in UNIT_IDS))
        return ok / len(UNIT_IDS) * 100, ok, len(UNIT_IDS), None
    if arg == "forecast_pct":  # sub = tertial; forecasts sit in the April, August, December rows
        d = scope_of(acc, unit)
        d = d[d.year == y]
        budget, forecast = int(d.budsjett.sum()), int(d.loc[d.month == 4 * sub, "prognose"].sum())
        return (forecast - budget) / budget * 100, forecast - budget, budget, None
    actual, budget = _ytd(acc, unit, y, sub)
    return (
        ((actual - budget) / budget * 100, actual - budget, budget, None)
        if arg == "deviation_pct"
        else (actual - budget, None, None, None)
    )


def _bridge_sick_leave(sick, arg, unit, y, m):
    d = scope_of(sick, unit)
    d = d[(d.year == y) & ((d.month == m) if m is not None else True)]  # no month: the whole year
    lost = {"total": d.egen.sum() + d.lege.sum(), "self": d.egen.sum(), "doctor": d.lege.sum()}[arg]
    return lost / d.mulige.sum() * 100, lost, d.mulige.sum(), None


def _bridge_staff(staff, arg, unit, y, _):
    s = scope_of(staff, unit)
    last_year = s[s.year == y - 1]
    s = s[s.year == y].sum(numeric_only=True)
    # turnover: left over the average employees, (last year-end + this year-end) / 2; 2021 has no 2020
    average = (last_year.ansatte.sum() + s.ansatte) / 2 if len(last_year) else s.ansatte
    num, den = {
        "turnover": (s.sluttet, average),
        "full_time_share": (s.ansatte - s.deltid, s.ansatte),
        "involuntary_part_time_share": (s.ufrivillig_deltid, s.ansatte),
        "temporary_share": (s.midlertidige, s.ansatte),
        "women_share": (s.kvinner, s.kvinner + s.menn),
    }[arg]
    return num / den * 100, num, den, None


def _survey_rows(df, unit, y):
    return df[(df.year == y) & (df.unit.isna() if unit is None else df.unit == unit)]


def _bridge_employee_survey(emp, held_emp, arg, unit, y, _):
    factors = [c for c, *_ in FACTORS] if arg == "all" else [arg]  # the ten factors' mean needs all ten
    if any((unit, y, f) in held_emp for f in factors):
        return None
    d = _survey_rows(emp, unit, y)
    mean = d["mean"].mean() if arg == "all" else d.loc[d.factor == arg, "mean"].iloc[0]
    return mean, None, None, d.n.iloc[0]


def _bridge_user_survey(user, held_user, arg, unit, y, _):
    service, dimension = arg.split("/")
    if (unit, y, service, dimension) in held_user:
        return None
    d = _survey_rows(user, unit, y)
    d = d[(d.service == service) & (d.dimension == dimension)]
    return d["mean"].iloc[0], None, None, d.n.iloc[0]


def _bridge_deviations(avvik, arg, unit, y, tertial):
    start, end = tertial_bounds(y, tertial)
    items = [a for a in avvik if unit is None or a["unit"] == unit]
    if arg == "open_overdue":  # open at the end of the tertial, deadline passed
        return sum(a["due"] < end and (a["closed"] is None or a["closed"] > end) for a in items), None, None, None
    due = [a for a in items if start <= a["due"] <= end]
    ok = sum(a["closed"] is not None and a["closed"] <= a["due"] for a in due)
    return (ok / len(due) * 100, ok, len(due), None) if due else None


def _bridge_decisions(vedtak, arg, unit, y, tertial):
    start, end = tertial_bounds(y, tertial)
    due = [v for v in vedtak if start <= v["due"] <= end and (unit is None or v["unit"] == unit)]
    done = sum(v["state"] == "iverksatt" for v in due)  # the register has no completion date
    return (done / len(due) * 100, done, len(due), None) if due else None


def _bridge_kostra(kostra, ref, unit, y, _):
    if unit is not None:  # unit-level twins come from the units' own reports (basil_barnehage.xlsx)
        return None
    return kostra[ref.split("/")[1], "5055", y], None, None, None


def periods(freq, kilde):
    if freq == "måned":
        months = [(y, m, f"{y}-{m:02d}") for y in YEARS for m in range(1, 13)]
        # sick leave's whole years too (the warehouse sums a year's twelve months); the ledger's months are
        # year to date already
        return months + ([(y, None, str(y)) for y in YEARS] if kilde == "sykefravær" else [])
    if freq == "tertial":
        return [(y, t, f"{y}T{t}") for y in YEARS for t in (1, 2, 3)]
    return [(y, None, str(y)) for y in (TIFAKTOR_YEARS if kilde == "medarbeiderundersøkelse" else YEARS)]


def scopes(ind):
    """Kommune (None) and/or every unit whose tjeneste matches the catalogue's `gjelder`."""
    units = [u for u in UNIT_IDS if not ind["gjelder"] or SERVICE[u] == ind["gjelder"]]
    kommune = [None] if ind["nivå"] in ("kommune", "begge") else []
    return kommune + (units if ind["nivå"] in ("enhet", "begge") else [])


def rounded(x):
    x = plain(x)
    return round(x, 4) if isinstance(x, float) else x


def write_bridges(catalogue, truth):
    sources = bridge_sources(truth, catalogue)
    ascii_name = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})
    for kilde, inds in catalogue[catalogue.kilde != "manuell"].groupby("kilde", sort=False):
        kind = "kostra" if kilde == "KOSTRA" else kilde
        rows = []
        for _, ind in inds.iterrows():
            prefix, arg = ("KOSTRA", ind["kilde_ref"]) if kilde == "KOSTRA" else ind["kilde_ref"].split(":", 1)
            min_n = int(ind["min_n"] or MIN_N)
            for unit, (y, sub, period) in product(scopes(ind), periods(ind["frekvens"], kilde)):
                result = sources[prefix](arg, unit, y, sub)
                if result is None:  # nothing to measure (no deadline in the period), or held back (anonymity)
                    continue
                value, num, den, n = result
                if unit is not None and n is not None and n < min_n:  # anonymity: never at unit level
                    continue
                rows.append([ind["id"], unit, period, rounded(value), rounded(num), rounded(den), plain(n), None])
        emit(
            f"indikatorverdier/bro_{kind.translate(ascii_name)}.xlsx",
            "indikatorverdier",
            xlsx_bytes(
                "Indikatorverdier",
                [f"Indikatorverdier beregnet fra kilden «{kilde}» (bro til egen leser finnes)", DEMO],
                VALUE_HEADER,
                rows,
            ),
            bridge_for=kind,
        )


def main():
    catalogue = pd.read_csv(CATALOGUE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for folder in FOLDERS.values():  # remove earlier output so the folder holds exactly this run
        for old in sorted((OUT / folder).glob("*")):
            old.unlink()
    staff = make_staff()
    basil = make_basil()
    truth = {
        "staff": staff,
        "sick": make_sick(staff),
        "acc": make_accounting(),
        "user": make_user_survey(),
        "emp": make_employee_survey(staff),
        "avvik": make_avvik(),
        "vedtak": make_vedtak(),
        "basil": basil,
        "kostra": make_kostra(basil_kommune(basil)),
    }
    write_enheter()
    write_targets(make_targets(), catalogue)
    write_regnskap(truth["acc"])
    write_sykefravaer(truth["sick"])
    write_personal(staff)
    write_user_survey(truth["user"])
    write_employee_survey(truth["emp"])
    write_avvik(truth["avvik"])
    write_vedtak(truth["vedtak"])
    write_kostra(truth["kostra"])
    write_basil(truth["basil"])
    write_klass()
    write_manual(make_manual(), catalogue)
    write_bridges(catalogue, truth)
    manifest = io.StringIO()
    csv.writer(manifest, lineterminator="\n").writerows([("file", "kind", "bridge_for")] + sorted(MANIFEST))
    (OUT / "manifest.csv").write_bytes(manifest.getvalue().encode("utf-8"))
    print(f"{len(MANIFEST)} files written to {OUT}")


if __name__ == "__main__":
    main()
