"""Every refusal reason: the file is refused whole with a Norwegian message, filed in rejected/ with a
report (file, sheet, row, column, fix), logged, and the warehouse's data stays exactly as it was."""

from __future__ import annotations

import zipfile

from etl.load import load
from etl.settings import load_settings
from tests.helpers import UNITS_HEADER, patch_xlsx, refuse, snapshot, units_file, write_csv, write_xlsx

VALUES_HEADER = ["indikator_id", "enhet_id", "periode", "verdi", "antall_svar"]


def test_empty_file(dd):
    f = dd / "inbox" / "tom.xlsx"
    f.write_bytes(b"")
    refuse(dd, f, "fila er tom", "Slik retter du det")


def test_corrupt_excel(dd):
    good = units_file(dd / "tmp", "ok.xlsx").read_bytes()
    f = dd / "inbox" / "skadet.xlsx"
    f.write_bytes(good[: len(good) // 2])
    refuse(dd, f, "skadet")


def test_encrypted_excel(dd):
    # Office encrypts .xlsx into an OLE compound file; this is its signature and sector layout.
    f = dd / "inbox" / "passord.xlsx"
    f.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4088)
    refuse(dd, f, "kryptert eller passordbeskyttet", "fjern passordet")


def test_csv_named_xlsx(dd):
    f = dd / "inbox" / "enheter.xlsx"
    f.write_text("enhet_id;enhet;tjenesteområde\nE50;Teknisk;teknisk\n", encoding="utf-8")
    refuse(dd, f, "er en tekstfil (CSV)", "endelsen .csv")


def test_excel_named_csv(dd):
    f = dd / "inbox" / "enheter.csv"
    other = write_xlsx(dd / "tmp" / "x.xlsx", {"Enheter": [UNITS_HEADER, ["E50", "Teknisk", "teknisk", "", ""]]})
    f.write_bytes(other.read_bytes())
    refuse(dd, f, "er en Excel-fil", "endelsen .xlsx")


def test_unsupported_suffix(dd):
    f = dd / "inbox" / "notat.docx"
    f.write_bytes(b"PK\x03\x04 whatever")
    refuse(dd, f, "filtypen «.docx» støttes ikke")


def test_too_large(dd):
    f = write_csv(dd / "inbox" / "stor.csv", [UNITS_HEADER] + [["E9", "X" * 50, "teknisk", "", ""]] * 400)
    refuse(dd, f, "fila er for stor", "max_file_mb", max_file_mb=0.01)


def test_zip_bomb_is_refused_before_inflating(dd):
    f = dd / "inbox" / "bombe.xlsx"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as w:
            chunk = b"\x00" * (1 << 20)
            for _ in range(400):  # 400 MB of zeros in well under 1 MB on disk
                w.write(chunk)
    assert f.stat().st_size < 2_000_000
    refuse(dd, f, "pakker seg ut til 419 MB", "over grensen")


def test_unknown_kind_lists_kinds_and_headers_seen(dd):
    f = write_xlsx(dd / "inbox" / "noe.xlsx", {"Ark1": [["Fornavn", "Etternavn", "Telefon"], ["Ola", "N", 1]]})
    report = refuse(
        dd,
        f,
        "fant ikke hvilken filtype",
        "«Fornavn», «Etternavn», «Telefon»",
        "enheter (enhet_id, enhet, tjenesteområde)",
        "indikatorverdier (indikator_id, periode, verdi)",
    )
    assert "ark «Ark1»" in report


def test_missing_required_column_names_it_and_its_aliases(dd):
    f = write_xlsx(dd / "inbox" / "mål.xlsx", {"Mål": [["indikator_id", "mål", "enhet_id"], ["sykefravaer", 6, ""]]})
    refuse(dd, f, "ser ut som «Mål», men mangler kolonnen «år»", "godtatte varianter: ar, aar")


def test_unparsable_value_gives_sheet_row_column(dd):
    f = write_xlsx(
        dd / "inbox" / "verdier.xlsx",
        {
            "Verdier": [
                ["Manuelle tall 2025"],
                [],
                VALUES_HEADER,
                ["grunnskolepoeng", "E31", "2025", "41,2", 30],
                ["grunnskolepoeng", "", "2025", "førti", None],
            ]
        },
    )
    refuse(dd, f, "ark «Verdier», rad 5, kolonne D (verdi): «førti» er ikke et tall", "desimalkomma")


def test_negative_count(dd):
    f = write_xlsx(
        dd / "inbox" / "verdier.xlsx", {"Ark1": [VALUES_HEADER, ["trivsel_skole", "E31", "2025", "4,2", -3]]}
    )
    refuse(dd, f, "rad 2, kolonne E (antall_svar): «-3» er negativt", "minst 0")


def test_out_of_scale_score(dd):
    f = write_xlsx(dd / "inbox" / "verdier.xlsx", {"Ark1": [VALUES_HEADER, ["trivsel_skole", "", "2025", 7, 120]]})
    refuse(dd, f, "verdien 7 for trivsel_skole er utenfor skalaen 1–5", "rad 2")


def test_month_13(dd):
    f = write_csv(dd / "inbox" / "verdier.csv", [VALUES_HEADER, ["sykefravaer", "E21", "2025-13", "6,1", ""]])
    refuse(dd, f, "rad 2, kolonne C (periode): «2025-13» har måned 13; en måned er 1–12")


def test_contradicting_duplicates(dd):
    f = write_xlsx(
        dd / "inbox" / "verdier.xlsx",
        {
            "Ark1": [
                VALUES_HEADER,
                ["sykefravaer", "E21", "2025-03", "6,1", None],
                ["sykefravaer", "E21", "2025-03", "6,1", None],  # an exact repeat is harmless
                ["sykefravaer", "E21", "03.2025", "7,4", None],
            ]
        },
    )
    refuse(
        dd,
        f,
        "radene 2, 4 har samme nøkkel (indikator_id = sykefravaer, enhet_id = E21, periode = 2025-03), men ulike tall",
    )


def test_unknown_unit_codes_are_listed(dd):
    f = write_xlsx(
        dd / "inbox" / "verdier.xlsx",
        {
            "Ark1": [
                VALUES_HEADER,
                ["sykefravaer", "E99", "2025-03", "6,1", None],
                ["sykefravaer", "E99", "2025-04", "6", None],
                ["sykefravaer", "X1", "2025-04", "6", None],
            ]
        },
    )
    refuse(dd, f, "ukjent enhet «E99» (rad 2, 3)", "ukjent enhet «X1» (rad 4)", "kjente: E21, E31, E41")


def test_unknown_indicator(dd):
    f = write_xlsx(dd / "inbox" / "mål.xlsx", {"Mål": [["indikator_id", "år", "mål"], ["sykefravær", 2025, 6]]})
    refuse(dd, f, "ukjent indikator «sykefravær»", "balansehåndboka")


def test_one_bad_sheet_refuses_the_whole_workbook(dd):
    f = write_xlsx(
        dd / "inbox" / "arbeidsbok.xlsx",
        {
            "Verdier": [VALUES_HEADER, ["grunnskolepoeng", "E31", "2025", "41,2", 30]],
            "Mål": [["indikator_id", "år", "mål"], ["grunnskolepoeng", "tjuefem", 42]],
        },
    )
    report = refuse(dd, f, "ark «Mål», rad 2, kolonne B (år)")
    assert "Verdier" not in report  # the good sheet has no problem, but nothing of it is stored
    from tests.helpers import query

    assert query(dd, "SELECT count(*) FROM manual_values")[0][0] == 0


def test_every_problem_is_reported_not_just_the_first(dd):
    rows = [VALUES_HEADER] + [["grunnskolepoeng", "E31", f"20{10 + i}", "x", 30] for i in range(5)]
    f = write_xlsx(dd / "inbox" / "verdier.xlsx", {"Ark1": rows})
    report = refuse(dd, f, "Fant 5 problemer")
    for row in range(2, 7):
        assert f"rad {row}, kolonne D (verdi)" in report


def test_a_rejected_catalogue_keeps_the_published_one(dd):
    catalogue = dd / "balansehandbok.csv"
    text = catalogue.read_text(encoding="utf-8-sig").replace(";høyere;", ";oppover;", 1)
    catalogue.write_text(text, encoding="utf-8-sig")
    before = snapshot(dd)
    summary = load(load_settings(dd))
    [result] = summary.rejected
    assert "«oppover» er ikke en gyldig verdi for retning (gyldige: høyere, lavere, intervall)" in result.message
    assert snapshot(dd) == before
    assert catalogue.exists(), "the analyst's catalogue file is never moved or deleted"


SICK_HEADER = ["periode", "enhet_id", "mulige_dagsverk", "tapte_dagsverk_egenmeldt", "tapte_dagsverk_legemeldt"]


def test_checks_across_cells_run_on_the_rows_that_could_be_read(dd):
    rows = [
        SICK_HEADER,
        ["2025-03", "E21", "100", "60", "50"],  # more lost than possible days
        ["2025-03", "E31", "100", "-5", "10"],  # negative: cannot be read
        ["2025-03", "E41", "100", "5", "10"],
    ]
    f = write_csv(dd / "inbox" / "sykefravær.csv", rows)
    refuse(
        dd,
        f,
        "Fant 2 problemer",
        "rad 2, kolonne E (tapte_dagsverk_legemeldt): tapte dagsverk (60 egenmeldt + 50 legemeldt) er flere enn de "
        "100 mulige dagsverkene",
        "rad 3, kolonne D (tapte_dagsverk_egenmeldt): «-5» er negativt",
    )


def test_duplicate_checks_run_beside_unreadable_cells(dd):
    rows = [
        VALUES_HEADER,
        ["grunnskolepoeng", "E31", "2025", "førti", 30],
        ["sykefravaer", "E21", "2025-03", "6,1", None],
        ["sykefravaer", "E21", "2025-03", "7,4", None],
    ]
    f = write_xlsx(dd / "inbox" / "verdier.xlsx", {"Ark1": rows})
    refuse(dd, f, "Fant 2 problemer", "rad 2, kolonne D (verdi): «førti» er ikke et tall", "radene 3, 4 har samme")


def test_dot_thousands_that_could_be_decimals_are_refused(dd):
    rows = [
        ["periode", "ansvar", "art", "regnskap", "budsjett"],
        ["2025-01", "2100", "10100", "1.200", "1.500"],
        ["2025-01", "2100", "10200", "12.000", "900"],
    ]
    f = write_csv(dd / "inbox" / "regnskap.csv", rows)
    refuse(
        dd,
        f,
        "Fant 3 problemer",
        "rad 2, kolonne D (regnskap): «1.200» kan bety 1,2 eller 1 200",
        "Skriv 1 200 (mellomrom som tusenskille) eller 1,200 (desimalkomma)",
        "rad 3, kolonne D (regnskap): «12.000» kan bety 12 eller 12 000",
        "rad 2, kolonne E (budsjett): «1.500» kan bety 1,5 eller 1 500",
    )


def test_a_number_from_a_formula_excel_never_saved_is_refused(dd):
    rows = [
        VALUES_HEADER,
        ["grunnskolepoeng", "E31", "2025", "=40+1.5", 30],  # written by openpyxl: no saved value
        ["grunnskolepoeng", "E21", "2025", "=1/0", 30],
    ]
    f = write_xlsx(dd / "inbox" / "verdier.xlsx", {"Ark1": rows})
    # as Excel saves a formula whose value is an error
    patch_xlsx(f, "xl/worksheets/sheet1.xml", ('<c r="D3"><f>1/0</f><v />', '<c r="D3" t="e"><f>1/0</f><v>#DIV/0!</v>'))
    refuse(
        dd,
        f,
        "rad 2, kolonne D (verdi): cellen D2 er formelen «=40+1.5», og formelen har ingen lagret verdi",
        "Åpne fila i Excel og lagre den (da lagres verdiene formlene viser), eller kopier cellene og lim inn som "
        "verdier.",
        "rad 3, kolonne D (verdi): cellen D3 er formelen «=1/0», og den viser feilverdien #DIV/0!",
    )


def test_a_sum_of_lines_is_checked_again(dd):
    rows = [
        ["periode", "enhet_id", "Stillingsgruppe", "ansatte", "årsverk", "deltid", "ufrivillig_deltid"],
        ["2025", "E21", "Fagarbeider", "10", "8", "", "3"],  # each line passes its checks …
        ["2025", "E21", "Assistent", "10", "9", "1", ""],
    ]
    f = write_csv(dd / "inbox" / "personal.csv", rows)
    refuse(dd, f, "summen av radene 2, 3: 3 i ufrivillig deltid er flere enn de 1 i deltid")  # … their sum not
