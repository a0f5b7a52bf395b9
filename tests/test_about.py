"""About the data: sources, method, caveats, glossary and accessibility statement, with the
source and "data as at" in the footer of every page."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from django.utils.dateformat import format as format_date

from scorecard.context_processors import SOURCE_ATTRIBUTION
from scorecard.models import current_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def about(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # the data version, for "data as at"
        response = client.get("/about/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_about_page_names_the_sources_and_their_publication(about):
    assert "18 December 2025" in about
    assert "2017-18 to 2023-24" in about
    assert "Regional numerators and denominators for 2022-23" in about
    assert "Open Government Licence v3.0" in about


def test_the_about_page_states_the_method(about):
    for words in (
        "linear interpolation",
        "QUARTILE.INC",
        "Band 1 (upper) is the best quarter",
        "A value exactly on a cut-off goes to the better band",
        "=4th of 152",
        "(<var>n</var> − <var>r</var>) / (<var>n</var> − 1)",
        "within the tolerance",
        "more than 0.02",
        "0.25, 0.5 and 0.75",
        "Σnumerator / Σdenominator",
        "half away from zero",
        "never a mean or median of councils",
    ):
        assert words in about, words


def test_the_about_page_states_the_comparability_significance_and_minimum_base_rules(about):
    for words in (
        "blocks every comparison across it",
        "never either end of a comparison",
        "2021-22 is compared with 2019-20",
        "|Δ| &gt; √(MoE₁² + MoE₂²)",
        "a change equal to the combined margin is not significant",
        "Newcombe 1998, method 10",
        "static</em> (no significant change)",
        "<em>not tested</em>",
        "fewer than 30 survey respondents",
        "a denominator below 10",
        "Where the base is not published",
        "What the pages apply today.",
    ):
        assert words in about, words


def test_the_about_page_states_the_rules_of_quarterly_measures(about):
    for words in (
        "Quarterly measures",
        "<dt>Snapshot</dt>",
        "<dt>In-quarter</dt>",
        "<dt>Year to date</dt>",
        "The year's value is Q4's",
        "3 of 12, 25%",
        "the same quarter a year earlier",
        "Q1 with Q4 of the year before",
        "shown as incomplete, with the missing quarters named",
        "a year comes straight after its own Q4",
    ):
        assert words in about, words


@pytest.fixture
def uncached_pages():
    """Public pages are cached whole under the data version, whatever the settings: start
    without them, and leave none rendered with the test's settings behind."""
    cache.clear()
    yield
    cache.clear()


@override_settings(OVERALL_DIRECTION_TOLERANCE=0.05)
def test_the_about_page_states_the_overall_direction_tolerance_that_is_set(client, uncached_pages):
    about = client.get("/about/").content.decode()

    assert "rose by more than 0.05, negative if it fell by more than 0.05" in about
    assert "0.02" not in about


def test_the_about_page_gives_the_caveats(about):
    assert "only 18 councils" in about
    assert "official statistics in development" in about
    for marker in ("[c]", "[x]", "[z]"):
        assert f"<code>{marker}</code>" in about


def test_the_glossary_explains_every_abbreviation(about):
    for term in ("ASCOF", "ASCS", "SACE", "SALT", "CLD", "CASSR", "DASS", "DCS", "DPH", "BCF"):
        assert f"<dt><abbr>{term}</abbr></dt>" in about, term
    for term in ("RAG", "CQC", "MYE"):
        assert f"<dt><abbr>{term}</abbr></dt>" in about, term
    assert "<dt>ONS code</dt>" in about


def test_the_accessibility_statement_says_how_to_report_a_problem(about):
    assert 'id="accessibility"' in about
    assert "the table behind it" in about
    assert "WM ADASS regional performance lead" in about


def test_the_footer_shows_the_source_and_when_the_data_last_changed(about):
    changed_at = timezone.localtime(current_version()[1])

    assert SOURCE_ATTRIBUTION in about
    # To the second: a page's digits never include a fraction of a second from its footer.
    stamp = changed_at.strftime("%Y-%m-%dT%H:%M:%S%z")
    assert f'Data as at <time datetime="{stamp}">' in about
    assert format_date(changed_at, "j F Y, H:i") in about


def test_the_page_has_a_skip_link_and_marks_its_place_in_the_navigation(about):
    assert '<a href="#main-content" class="skip-link">Skip to main content</a>' in about
    assert 'href="/about/" aria-current="page">About the data</a>' in about
    assert "vendor/plotly" not in about  # chart scripts only on chart pages
