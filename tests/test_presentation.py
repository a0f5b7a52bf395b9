"""The presentation faults of issue 13: how the pages say years, the spread of a regional
measure, the bands of a regional measure's bars, date measures in the overview, the order of
the domains, the sparklines' scale, trend lines at a boundary change, the legend and the
written definitions."""

import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from indicators.importing import _spreadsheet, _workbook_header, sheet_definition
from indicators.models import Indicator
from scorecard import cells, charts, data, narrative

WORKBOOK = Path(settings.ASCOF_DATA_DIR) / "ascof_timeseries_2015-16_to_2024-25_official.ods"
YEAR = SimpleNamespace(kind="year", decimals=0, is_numeric=True)


def _cell(outcome=None, *, text="", date=None):
    return SimpleNamespace(
        has_value=outcome is not None or bool(text) or date is not None,
        outcome=outcome,
        text=text,
        date=date,
        numerator=None,
        denominator=None,
        quality_flag="",
        status_label="No value",
        correction="",
        correction_review="",
    )


def test_a_year_is_shown_as_a_year_in_a_cell_and_a_compact_quarter():
    assert str(cells.value_html(_cell(2024.0), YEAR)) == "2024"
    quarters = cells.quarters_html([((2024, 1), _cell(2023.0)), ((2024, 2), _cell(2024.0))], YEAR)
    assert "2,02" not in quarters and "2024" in quarters


def _spread(source, *, england=None, region=None, aggregate=None):
    return SimpleNamespace(
        indicator=SimpleNamespace(
            source=source,
            kind="percentage",
            decimals=1,
            polarity="higher_is_better",
            is_numeric=True,
        ),
        national=SimpleNamespace(n=14, p25=10.0, median=12.0, p75=14.0),
        england=SimpleNamespace(has_value=england is not None, outcome=england),
        region=SimpleNamespace(has_value=region is not None, outcome=region),
        region_name="West Midlands",
        group_name="West Midlands ADASS",
        period="2024-25",
        aggregate=aggregate,
    )


def test_a_regional_measure_says_it_is_compared_within_the_group_not_nationally():
    sentence = narrative.spread_sentence(_spread("local"))

    assert "Nationally" not in sentence
    assert sentence.startswith("Within West Midlands ADASS in 2024-25")
    assert "compared within the group" in sentence


def test_the_spread_sentence_ends_with_one_full_stop_whatever_follows_england():
    sentence = narrative.spread_sentence(_spread("ascof", england=12.3))

    assert sentence.endswith("England: 12.3.")
    assert ".." not in sentence
    assert ".." not in narrative.spread_sentence(_spread("ascof", england=12.3, region=11.0))


def test_a_regional_measures_bars_carry_its_band_within_the_group():
    rows = [
        SimpleNamespace(
            council=SimpleNamespace(name=name),
            cell=_cell(value),
            national=None,  # a regional measure has no national band
            group=SimpleNamespace(band=band),
            group_rank_label=f"{band}",
            trend={},
        )
        for name, value, band in (("A", 9.0, 1), ("B", 12.0, 2), ("C", 15.0, 3), ("D", 20.0, 4))
    ]
    info = SimpleNamespace(
        slug="wm-sw-vacancy",
        short_name="Vacancies",
        decimals=1,
        unit="%",
        breaks={},
        source="local",
        polarity="lower_is_better",
        kind="percentage",
    )
    result = SimpleNamespace(
        indicator=info,
        published_code="WM-SW-VACANCY",
        group_name="West Midlands ADASS",
        period="2024-25",
        rows=rows,
        rows_by_name=rows,
        national_points=(),
        england=_cell(),
        region=_cell(),
        region_name="",
    )

    ranked = charts.indicator_figures(result)[0]

    names = {trace["name"] for trace in ranked.figure["data"]}
    assert "No band" not in names
    assert names == {
        f"{n} {b} (in group)"
        for n, b in enumerate(("Upper", "Upper middle", "Lower middle", "Lower"), start=1)
    }
    assert ranked.header[-1] == "Band in group"


def test_a_date_measure_counts_its_councils_with_a_date_not_as_no_data():
    when = datetime.date(2024, 5, 1)
    result = SimpleNamespace(
        indicator=SimpleNamespace(categories=()),
        rows=[SimpleNamespace(cell=_cell(date=when)) for _ in range(13)]
        + [SimpleNamespace(cell=_cell())],
    )

    assert data.category_counts(result) == {"with a date": 13, "no data": 1}


def _result_in(domain):
    info = SimpleNamespace(
        is_numeric=False, place=lambda year: (f"domain-{domain}", f"Domain {domain}")
    )
    return SimpleNamespace(indicator=info, rows=[], year=2022)


def test_domains_are_in_number_order_whatever_order_their_measures_come_in():
    sections = data.sections([_result_in(d) for d in ("1", "3", "2", "3", "4")])

    assert [section.key for section in sections] == [f"domain-{d}" for d in "1234"]


def test_a_sparkline_shows_its_scale_in_text():
    line = charts.sparkline_svg([24.4, 30.1, 38.8], labels=["a", "b", "c"], decimals=1)

    assert "lowest 24.4, highest 38.8" in line
    assert '<span class="sparkline__scale" aria-hidden="true">24.4 to 38.8</span>' in line


def test_a_trend_line_is_not_joined_across_a_councils_boundary_change():
    info = SimpleNamespace(breaks={}, partial={})
    trend = {2017: 1.0, 2018: 2.0, 2019: 3.0, 2020: 4.0}

    assert charts.line_gaps(trend, info, boundary=2019) == {"2019-20"}
    assert charts.line_gaps(trend, SimpleNamespace(breaks={}, partial={2018: "x"})) == {
        "2018-19",
        "2019-20",
    }

    figure = charts.trend_range(
        {p: (1.0, 4.0) for p in ("2017-18", "2018-19", "2019-20", "2020-21")},
        "Trend",
        dates={
            p: charts.period_middle(2017 + i)
            for i, p in enumerate(("2017-18", "2018-19", "2019-20", "2020-21"))
        },
        council=("Dorset", {"2017-18": 1.0, "2018-19": 2.0, "2019-20": 3.0, "2020-21": 4.0}),
        council_gaps={"2019-20"},
    )
    assert figure["data"][-1]["y"] == [1.0, 2.0, None, 3.0, 4.0]
    assert figure["data"][1]["y"] == [4.0, 4.0, 4.0, 4.0]  # the range has no break


def test_the_legend_names_no_significant_change_and_not_tested():
    legend = render_to_string("includes/legend.html")

    assert "No significant change" in legend
    assert "(not tested)" in legend


def test_a_definition_is_the_workbooks_header_without_table_number_notes_or_boilerplate():
    sheets = dict(_spreadsheet(WORKBOOK.read_bytes()))
    rows = sheets["Table_1a"]

    definition = sheet_definition(rows[: _workbook_header(rows)])

    assert definition.startswith("Social care-related quality of life score.")
    assert "eight" in definition and "score out of 24" in definition
    assert "[note" not in definition and "Table 1a" not in definition
    assert "Cells marked" not in definition and "This worksheet" not in definition
    assert sheet_definition([]) == ""


@pytest.mark.django_db
def test_import_stores_each_measures_written_definition_and_the_page_shows_it(client):
    quality = Indicator.objects.get(code="1A")
    assert "eight" in quality.definition and quality.definition != quality.name

    page = client.get(quality.get_absolute_url()).content.decode()

    assert "score out of 24" in page
    retired = client.get(Indicator.objects.get(code="old-1E").get_absolute_url())
    assert "None: a retired measure" in retired.content.decode()


@pytest.mark.django_db
def test_a_regional_measure_shows_its_catalogue_definition_and_years_without_commas(client):
    account = Indicator.objects.get(code="WM-LOCAL-ACCOUNT")

    page = client.get(account.get_absolute_url() + "?period=2024-25").content.decode()

    assert "last published a local account" in page
    assert "2,02" not in page
    assert "Nationally" not in page
