"""settings.toml is a typed model: unknown keys and impossible values are refused with a Norwegian line
naming the setting and the fix, through the CLI as a user meets them."""

from __future__ import annotations

import pytest

from dashboard.cli import main as bms
from etl.settings import load_settings


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("min_n = 0", "«min_n»"),
        ("min_n = -5", "«min_n»"),
        ("min_n = true", "«true»"),  # a truth value is not 1
        ("min_n = 2.9", "«2.9»"),  # a fraction is not 2
        ("workers = 0", "«workers»"),
        ("watch_seconds = 0", "«watch_seconds»"),
        ("port = 70000", "«port»"),
        ("kommune_code = 5055", "kommunenummer"),  # a number loses leading zeros: codes are text
    ],
)
def test_an_impossible_value_stops_every_command_with_the_fix(data_dir, capsys, line, said):
    (data_dir / "settings.toml").write_text(line + "\n", encoding="utf-8")
    assert bms(["status", "--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert said in err and "ugyldige verdien" in err and "Rett verdien" in err, err
    assert "Traceback" not in err


def test_a_misspelt_key_is_refused_not_ignored(data_dir, capsys):
    (data_dir / "settings.toml").write_text("min-n = 10\n", encoding="utf-8")
    assert bms(["load", "--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert "Innstillingen «min-n»" in err and "finnes ikke" in err and "Mente du «min_n»?" in err, err
    assert not (data_dir / "warehouse" / "current.duckdb").exists()  # nothing was loaded on a wrong minimum


def test_an_environment_variable_is_checked_like_the_file(data_dir, monkeypatch):
    monkeypatch.setenv("BMS_MIN_N", "0")
    with pytest.raises(Exception, match="miljøvariabelen BMS_MIN_N"):
        load_settings(data_dir)
    monkeypatch.setenv("BMS_MIN_N", "5")
    assert load_settings(data_dir).min_n == 5


def test_the_shipped_settings_file_is_valid(data_dir):
    settings = load_settings(data_dir)
    assert settings.min_n == 3 and settings.workers >= 1
