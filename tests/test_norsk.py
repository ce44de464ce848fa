import datetime as dt

import pytest

from etl.norsk import (
    ParseError,
    dot_use,
    format_count,
    format_number,
    format_period,
    format_value,
    normalise_header,
    parse_date,
    parse_number,
    parse_period,
)


@pytest.mark.parametrize(
    ("raw", "header"),
    [
        ("Ansvar nr.", "ansvarnr"),
        ("  ANSVARSNR ", "ansvarsnr"),
        ("Tjenesteområde", "tjenesteomrade"),
        ("Fokusområde", "fokusomrade"),
        ("Sykefravær", "sykefravaer"),
        ("Rød", "rod"),
        ("Grønn", "gronn"),
    ],
)
def test_headers_fold_case_space_and_diacritics(raw, header):
    assert normalise_header(raw) == header


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("1 234,5", 1234.5),
        ("1\u00a0234\u00a0567,25", 1234567.25),
        ("-12,3 %", -12.3),
        ("4,7%", 4.7),
        ("1.234.567,00", 1234567.0),
        ("(1 200)", -1200.0),
        ("\u2212 5", -5.0),
        ("12 000 kr", 12000.0),
        ("3.5", 3.5),
        (7, 7.0),
        (2.25, 2.25),
    ],
)
def test_norwegian_numbers(raw, number):
    assert parse_number(raw) == number


@pytest.mark.parametrize("raw", ["abc", "1,2,3", "12-3", ""])
def test_unreadable_numbers_are_refused(raw):
    with pytest.raises(ParseError):
        parse_number(raw)


@pytest.mark.parametrize(
    ("raw", "period", "kind"),
    [
        ("2025", dt.date(2025, 1, 1), "year"),
        (2025, dt.date(2025, 1, 1), "year"),
        ("2025-03", dt.date(2025, 3, 1), "month"),
        ("202503", dt.date(2025, 3, 1), "month"),
        ("03.2025", dt.date(2025, 3, 1), "month"),
        ("mars 2025", dt.date(2025, 3, 1), "month"),
        ("Des. 2024", dt.date(2024, 12, 1), "month"),
        ("2025M11", dt.date(2025, 11, 1), "month"),
        ("2025T2", dt.date(2025, 5, 1), "tertial"),
        ("3. tertial 2025", dt.date(2025, 9, 1), "tertial"),
        ("2025K4", dt.date(2025, 10, 1), "quarter"),
        ("2. kvartal 2024", dt.date(2024, 4, 1), "quarter"),
        (dt.datetime(2025, 3, 17), dt.date(2025, 3, 1), "month"),
    ],
)
def test_periods(raw, period, kind):
    assert parse_period(raw) == (period, kind)


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("2025-13", "1–12"),
        ("13.2025", "1–12"),
        ("2025T4", "tertial"),
        ("2025K5", "kvartal"),
        ("sommer 2025", "ikke en periode"),
    ],
)
def test_impossible_periods_say_why(raw, said):
    with pytest.raises(ParseError, match=said):
        parse_period(raw)


def test_a_lone_dot_is_a_decimal_point_unless_the_column_says_otherwise():
    # a single value cannot tell 1,2 from 1 200: on its own a lone dot is a decimal point, as before
    assert parse_number("1.200") == 1.2
    assert parse_number("1.200", dot="thousands") == 1200.0
    assert parse_number("12.000 kr", dot="thousands") == 12000.0
    assert parse_number("4.5", dot="unknown") == 4.5  # cannot be thousands
    assert parse_number("1.234.567", dot="unknown") == 1234567.0  # cannot be a decimal
    with pytest.raises(ParseError, match="«1.200» kan bety 1,2 eller 1 200") as refused:
        parse_number("1.200", dot="unknown")
    assert "Skriv 1 200 (mellomrom som tusenskille) eller 1,200 (desimalkomma)" in refused.value.fix
    with pytest.raises(ParseError, match="«12.000» kan bety 12 eller 12 000"):
        parse_number("12.000", dot="unknown")
    with pytest.raises(ParseError, match="desimalpunktum"):
        parse_number("4.5", dot="thousands")
    with pytest.raises(ParseError):
        parse_number("1,234.5")  # English: a dot after the decimal comma


@pytest.mark.parametrize(
    ("column", "use"),
    [
        (["1.200", "1 234,5"], "thousands"),  # a decimal comma: dots separate thousands
        (["1.200", "1.234.567"], "thousands"),  # several dots can only separate thousands
        (["1.200", "4.5"], "decimal"),  # a dot before other than three digits is a decimal point
        (["1.200", "12.75", "0.500"], "decimal"),
        (["1.200", "12.000", 1500.0], "unknown"),  # every dotted value could be either; Excel numbers say nothing
        (["1.200", "4,5", "4.5"], "unknown"),  # the column says both
        (["1 200", "300"], "unknown"),  # no dots at all: nothing to decide
    ],
)
def test_a_column_decides_what_its_dots_are(column, use):
    assert dot_use(column) == use


@pytest.mark.parametrize(
    "raw", ["10.01.2025 14:30", "2025-01-10 14:30:00", "10.01.2025 kl. 14.30", "10.1.2025 kl 9:05", "2025-01-10T14:30Z"]
)
def test_date_times_written_as_text_are_read_as_the_date(raw):
    assert parse_date(raw) == dt.date(2025, 1, 10)


@pytest.mark.parametrize("raw", ["10.01.2025 25:00", "10.01.2025 14:61", "10.01.2025 14", "2025-01-10 senere"])
def test_impossible_times_are_refused(raw):
    with pytest.raises(ParseError):
        parse_date(raw)


def test_dates_from_excel_serials_and_text():
    assert parse_date(45747) == dt.date(2025, 3, 31)
    assert parse_date("31.03.2025") == dt.date(2025, 3, 31)
    assert parse_date("2025-03-31") == dt.date(2025, 3, 31)
    with pytest.raises(ParseError):
        parse_date("31.02.2025")


def test_display_is_norwegian():
    assert format_number(1234.5, 1) == "1\u00a0234,5"
    assert format_number(-0.56, 1) == "\u22120,6"
    assert format_value(4.66, "%", 1) == "4,7\u00a0%"
    assert format_value(12300, "kr", 0) == "12\u00a0300\u00a0kr"
    assert format_count(1, "rad", "rader") == "1 rad" and format_count(1245, "rad", "rader") == "1\u00a0245 rader"
    assert format_count(0, "rad", "rader") == "0 rader"
    assert format_value(None, "%", 1) == "–"
    assert format_period(dt.date(2025, 5, 1), "tertial") == "2. tertial 2025"
    assert format_period(dt.date(2025, 3, 1), "month") == "mars 2025"


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (2.25, 1, "2,3"),
        (2.675, 2, "2,68"),
        (-2.25, 1, "\u22122,3"),
        (7.05, 1, "7,1"),
        (0.5, 0, "1"),
        (1813242.0, 0, "1\u00a0813\u00a0242"),
    ],
)
def test_halves_round_away_from_zero_like_the_scorecard(value, decimals, shown):
    assert format_number(value, decimals) == shown


@pytest.mark.parametrize("value", [-0.04, -0.0, -0.049999, 0.04])
def test_a_value_that_rounds_to_zero_has_no_sign(value: float) -> None:
    assert format_number(value, 1) == "0,0"
    assert format_value(value, "%", 1) == "0,0\u00a0%"
