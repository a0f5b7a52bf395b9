"""`manage.py benchmark` on the shipped data (the session test database, see conftest.py)."""

import csv
import io
import re

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

HEADER = [
    "cassr_code",
    "ons_code",
    "council",
    "value",
    "status",
    "national_rank",
    "national_n",
    "national_quartile",
    "group_rank",
    "group_quartile",
    "direction",
    "significance",
    "previous_value",
    "previous_period",
    "national_p25",
    "national_median",
    "national_p75",
]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("benchmark", *args, stdout=out)
    return out.getvalue()


def run_csv(*args: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(run(*args, "--format", "csv"))))


def by_council(rows: list[dict]) -> dict[str, dict]:
    return {row["council"]: row for row in rows}


@pytest.mark.parametrize("code", ["1C2A", "1C(2a)", "1c(2A)", "3D(2a)", "3d2a"])
def test_codes_as_published_or_stable_resolve_to_the_same_indicator(code):
    rows = run_csv("--indicator", code, "--period", "2022-23")
    assert {row["indicator"] for row in rows} == {"3D(2a)"}
    assert {row["published_code"] for row in rows} == {"1C(2a)"}


def test_csv_header_and_a_row_per_west_midlands_council():
    text = run("--indicator", "1C(2a)", "--period", "2022-23", "--format", "csv")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header[: len(HEADER)] == HEADER
    rows = list(reader)
    assert len(rows) == 14
    assert all(len(row) == len(header) for row in rows)


def test_direct_payments_2022_23_birmingham_and_stoke():
    rows = by_council(run_csv("--indicator", "1C(2a)", "--period", "2022-23"))
    birmingham = rows["Birmingham"]
    assert birmingham["cassr_code"] == "406"
    assert birmingham["ons_code"] == "E08000025"
    assert float(birmingham["value"]) == 39.1
    assert (birmingham["national_rank"], birmingham["national_n"]) == ("14", "151")
    assert birmingham["national_quartile"] == "1"
    assert birmingham["group_rank"] == "1"
    assert birmingham["direction"] == "improving"
    assert float(birmingham["previous_value"]) == 38.2
    stoke = rows["Stoke-on-Trent"]
    assert float(stoke["value"]) == 4.0
    assert stoke["national_quartile"] == "4"
    assert stoke["group_rank"] == "14"
    assert float(birmingham["national_median"]) == 25.2


def test_table_format_is_aligned_and_summarises_the_distribution():
    text = run("--indicator", "1C2A", "--period", "2022-23")
    assert "Published as 1C(2a) in 2022-23" in text
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Code"))
    table = lines[header : header + 16]
    # Every row lines up: the value column ends at the same place in each.
    value_end = table[0].index("Value") + len("Value")
    assert all(line[value_end - 1] != " " for line in table[2:])
    assert "39.1" in next(line for line in table if "Birmingham" in line)
    assert "14th of 151" in text
    assert "median 25.200" in text
    assert "West Midlands region (published): 26.7." in text


def test_values_are_printed_as_published_rounded_half_away_from_zero():
    # The workbook stores 2D(1) for 2024-25 to 2 dp; the publisher shows 1 dp. Liverpool's 60.05
    # is binary 60.04999…, which Python's own format rounds down to 60.0.
    text = run("--indicator", "2D(1)", "--period", "2024-25", "--group", "england")
    cells = {
        columns[1]: columns[2]
        for line in text.splitlines()
        if len(columns := re.split(r"\s{2,}", line.strip())) > 2
    }
    assert (cells["Liverpool"], cells["Doncaster"], cells["Walsall"]) == ("60.1", "56.7", "56.4")
    rows = by_council(run_csv("--indicator", "2D(1)", "--period", "2024-25", "--group", "england"))
    assert (rows["Liverpool"]["value"], rows["Walsall"]["value"]) == ("60.1", "56.4")


def test_table_shows_the_group_aggregate_against_the_published_region():
    text = run("--indicator", "1C(2a)", "--period", "2020-21")
    assert "11,911 / 42,720 = 27.9" in text
    assert "West Midlands region (published): 27.9." in text
    assert "MISMATCH" not in text


def test_england_group_has_every_council():
    rows = run_csv("--indicator", "3D(2a)", "--period", "2022-23", "--group", "england")
    assert 150 <= len(rows) <= 153
    assert len({row["cassr_code"] for row in rows}) == len(rows)


def test_england_aggregate_flagged_incomplete_when_a_council_is_missing():
    text = run("--indicator", "2D", "--period", "2020-21", "--group", "england")
    assert "INCOMPLETE" in text
    assert "Hackney" in text


def test_unknown_code_lists_the_valid_ones():
    with pytest.raises(CommandError) as error:
        run("--indicator", "9Z", "--period", "2022-23")
    message = str(error.value)
    assert "Unknown indicator code '9Z' for 2022-23" in message
    assert "3D(2a)" in message and "1C(2a)" in message


def test_unknown_period_and_group_list_the_valid_ones():
    with pytest.raises(CommandError, match="Periods with data: 2015-16, 2016-17"):
        run("--indicator", "1A", "--period", "2030-31")
    with pytest.raises(CommandError, match="not a financial year"):
        run("--indicator", "1A", "--period", "2022")
    with pytest.raises(CommandError, match="Valid groups: west-midlands-adass, england"):
        run("--indicator", "1A", "--period", "2022-23", "--group", "nowhere")


def test_2020_21_survey_measure_has_no_national_quartile_and_says_why():
    rows = run_csv("--indicator", "1A", "--period", "2020-21", "--group", "england")
    with_value = [row for row in rows if row["value"]]
    assert len(with_value) == 18
    assert all(row["national_quartile"] == "" for row in rows)
    assert all(row["national_rank"] == "" for row in rows)
    text = run("--indicator", "1A", "--period", "2020-21")
    assert "No national quartile for 2020-21" in text
    assert "18 councils only" in text
