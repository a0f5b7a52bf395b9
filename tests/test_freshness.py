"""Stored results stay equal to a full rebuild whichever way the data is written, and a change
shows on the next request without anything rendered inside the save."""

import io
import random
import re
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command

from councils.models import Area, ComparatorGroup
from indicators import errata
from indicators.models import Availability, Erratum, Indicator, Period, SeriesBreak, Value
from scorecard import freshness
from scorecard.models import Standing, Summary, current_version
from tests.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


def store() -> tuple[list, list]:
    """Every stored result, in a fixed order, without row ids."""
    standings = Standing.objects.order_by(
        "indicator", "year", "quarter", "group", "area"
    ).values_list(*(f.attname for f in Standing._meta.fields if f.name != "id"))
    summaries = Summary.objects.order_by("indicator", "year", "quarter", "group").values_list(
        *(f.attname for f in Summary._meta.fields if f.name != "id")
    )
    return list(standings), list(summaries)


def assert_store_equals_a_rebuild():
    incremental = store()
    freshness.rebuild()
    rebuilt = store()
    assert incremental[1] == rebuilt[1]
    assert incremental[0] == rebuilt[0]


def council_values(rng, n=1, *, quarters=False, **lookup):
    """`n` councils' totals picked by the seeded generator: of years, or of quarters."""
    queryset = Value.objects.filter(
        area__kind="council", period__quarter__isnull=not quarters, disaggregation="Total", **lookup
    )
    pks = sorted(queryset.values_list("pk", flat=True))
    return Value.objects.filter(pk__in=rng.sample(pks, n))


def _save_a_new_outcome(rng, **context):
    value = council_values(rng, outcome_status=Availability.AVAILABLE, outcome__isnull=False)[0]
    value.outcome = round(value.outcome * rng.uniform(0.5, 1.5), 1)
    value.save()


def _suppress_a_value(rng, **context):
    value = council_values(rng, outcome_status=Availability.AVAILABLE, outcome__isnull=False)[0]
    value.outcome, value.outcome_status = None, Availability.SUPPRESSED
    value.text_value, value.date_value = "", None
    value.save()


def _delete_values(rng, **context):
    for value in council_values(rng, n=3):
        value.delete()


def _update_a_queryset(rng, **context):
    values = council_values(rng, n=5, outcome_status=Availability.AVAILABLE, outcome__gt=1)
    values.update(outcome=rng.choice([1.0, 50.0, 99.9]))


def _bulk_update(rng, **context):
    values = list(council_values(rng, n=6, outcome__isnull=False))
    for value in values:
        value.outcome = round(rng.uniform(0, 100), 1)
        value.outcome_status = Availability.AVAILABLE
    Value.objects.bulk_update(values, ["outcome", "outcome_status"])


def _move_a_value_to_an_earlier_year(rng, **context):
    value = council_values(rng, period__year=2024)[0]
    earlier = Period.objects.for_label("2009-10")
    value.period = earlier
    value.save()


def _pick(rng, queryset):
    """One row of `queryset`, chosen by the test's seeded random generator."""
    return queryset.get(pk=rng.choice(sorted(queryset.values_list("pk", flat=True))))


def _change_england(rng, **context):
    value = _pick(
        rng, Value.objects.filter(area__kind="england", indicator__is_survey=True, outcome__gt=0)
    )
    value.outcome += 5
    value.save()


def _flip_a_polarity(rng, **context):
    indicator = _pick(rng, Indicator.objects.filter(source="ascof"))
    indicator.polarity = (
        "lower_is_better" if indicator.polarity == "higher_is_better" else "higher_is_better"
    )
    indicator.save()


def _add_and_remove_a_break(rng, **context):
    indicator = _pick(rng, Indicator.objects.filter(source="ascof"))
    SeriesBreak.objects.get_or_create(
        indicator=indicator, year=2019, kind="break", defaults={"reason": "test"}
    )
    SeriesBreak.objects.filter(indicator=indicator, kind="partial_coverage").delete()


def _change_the_group(rng, **context):
    group = ComparatorGroup.objects.get(is_default=True)
    group.councils.remove(_pick(rng, group.councils.all()))
    group.councils.add(_pick(rng, Area.objects.councils().exclude(comparator_groups=group)))


def _save_a_new_group(rng, **context):
    group = ComparatorGroup.objects.create(
        name=f"Group {rng.random()}", slug=f"g{rng.randint(0, 9**9)}"
    )
    councils = sorted(Area.objects.councils().values_list("pk", flat=True))
    group.councils.set(rng.sample(councils, 8))


def _edit_in_the_admin(rng, admin_client, **context):
    # An entered count (published values are read-only in the admin) of a council still in
    # the region's group (the region's own measures are for its councils only): any count
    # plus one is a valid count.
    value = council_values(
        rng,
        outcome__isnull=False,
        import_run=None,
        indicator__kind="count",
        area__comparator_groups__is_default=True,
    )[0]
    url = f"/admin/indicators/value/{value.pk}/change/"
    data = admin_form_data(admin_client.get(url))
    data["outcome"] = str(round(value.outcome + 1, 1))
    assert admin_client.post(url, data).status_code == 302


def _bulk_delete_in_the_admin(rng, admin_client, **context):
    pks = list(council_values(rng, n=4, import_run=None).values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/indicators/value/",
        {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
    )
    assert response.status_code == 302


def _import_new_then_revised_figures(rng, tmp_path, **context):
    """The 2024-25 layout's figures imported afresh (created), then revised (updated)."""
    Value.objects.filter(
        period__year=2024,
        indicator__code__in=["1A", "3D(2a)"],
        area__code__in=["England", "406", "407", "415"],
    ).delete()
    header, *rows = (FIXTURES / "ascof_2024-25_csv_layout.csv").read_text().splitlines()
    revised = []
    for row in rows:
        *cells, measure_type, number = row.split(",")
        if measure_type == "Outcome" and number.replace(".", "").isdigit():
            number = f"{float(number) + rng.choice([-3, 2]):.1f}"
        revised.append(",".join([*cells, measure_type, number]))
    path = tmp_path / "ascof_2024-25_revised.csv"
    path.write_text("\n".join([header, *revised]) + "\n")
    for source in (FIXTURES / "ascof_2024-25_csv_layout.csv", path):
        out = io.StringIO()
        call_command("import_ascof", str(source), stdout=out)
        assert "Imported" in out.getvalue()


def _change_a_quarter(rng, **context):
    value = council_values(rng, quarters=True, outcome__isnull=False)[0]
    value.outcome = round(value.outcome * rng.uniform(0.5, 1.5), 1)
    if value.denominator:
        value.numerator = min(value.denominator, value.numerator + 1)
    value.save()


def _delete_a_fourth_quarter(rng, **context):
    council_values(rng, quarters=True, period__quarter=4)[0].delete()


def _change_a_quarterly_basis(rng, **context):
    indicator = _pick(rng, Indicator.objects.filter(quarterly_basis="snapshot", kind="percentage"))
    indicator.quarterly_basis = "year_to_date"
    indicator.save()


def _reload_the_demo_values(rng, **context):
    Value.objects.filter(indicator__source="local", area__name="Walsall").delete()
    call_command("load_demo", stdout=io.StringIO())


def _record_an_erratum(rng, **context):
    value = council_values(
        rng, indicator__source="ascof", outcome_status=Availability.AVAILABLE, outcome__gt=1
    )[0]
    erratum = Erratum.objects.create(
        area=value.area,
        indicator=value.indicator,
        period=value.period,
        field="outcome",
        published=value.outcome,
        corrected=round(value.outcome - 1, 1),
        reason="A correction",
        evidence="The publisher's notice",
    )
    errata.apply(erratum)


WRITES = [
    _save_a_new_outcome,
    _suppress_a_value,
    _delete_values,
    _update_a_queryset,
    _bulk_update,
    _move_a_value_to_an_earlier_year,
    _change_england,
    _flip_a_polarity,
    _add_and_remove_a_break,
    _change_the_group,
    _save_a_new_group,
    _edit_in_the_admin,
    _bulk_delete_in_the_admin,
    _import_new_then_revised_figures,
    _reload_the_demo_values,
    _change_a_quarter,
    _delete_a_fourth_quarter,
    _change_a_quarterly_basis,
    _record_an_erratum,
]


def test_the_shipped_data_is_stored_as_a_rebuild_stores_it():
    assert Summary.objects.exists()
    assert_store_equals_a_rebuild()


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__.strip("_"))
def test_each_write_path_keeps_the_store_equal_to_a_rebuild(write, admin_client, tmp_path):
    before = current_version()[0]
    write(random.Random(write.__name__), admin_client=admin_client, tmp_path=tmp_path)
    assert current_version()[0] > before
    assert_store_equals_a_rebuild()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_series_of_writes_keeps_the_store_equal_to_a_rebuild(seed, admin_client, tmp_path):
    rng = random.Random(seed)
    for write in rng.choices(WRITES, k=8):
        write(rng, admin_client=admin_client, tmp_path=tmp_path)
    assert_store_equals_a_rebuild()


def test_a_write_that_rolls_back_takes_its_results_with_it():
    before = store()
    value = Value.objects.filter(area__name="Walsall", indicator__code="2D(1)", period__year=2024)
    with pytest.raises(RuntimeError), freshness.batch():
        value.update(outcome=12.3)
        raise RuntimeError("the writer failed")
    assert store() == before


def test_deleting_a_value_makes_the_next_year_compare_with_the_year_before_it():
    national = Standing.objects.filter(group__isnull=True, area__name="Walsall")
    chained = {
        (s.indicator_id, s.year)
        for s in national.filter(year=2022, previous_year=2021, previous_value__isnull=False)
    }
    later = next(
        s
        for s in national.filter(year=2023, previous_year=2022)
        if (s.indicator_id, 2022) in chained
    )
    Value.objects.get(
        area__name="Walsall", indicator=later.indicator_id, period__year=2022, period__quarter=None
    ).delete()
    later.refresh_from_db()
    assert later.previous_year == 2021  # the next comparable year, after the gap
    assert not national.filter(indicator=later.indicator_id, year=2022).exists()


def _scorecard_value_cell(client, url, code):
    """The council's own value cell in the scorecard row for a measure (not the page, whose
    footer carries a timestamp that may contain any digits)."""
    html = client.get(url).content.decode()
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a [^>]*>{re.escape(code)}</a>.*?</tr>", html, re.S)
    assert row, f"no scorecard row for {code}"
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)[0]


def test_a_change_to_a_value_shows_on_the_next_request(client):
    url = "/councils/birmingham/"
    assert "38.8" in _scorecard_value_cell(client, url, "3D(2a)")
    value = Value.objects.get(
        area__name="Birmingham", indicator__code="3D(2a)", period__year=2024, period__quarter=None
    )
    value.outcome = 41.2
    value.save()
    cell = _scorecard_value_cell(client, url, "3D(2a)")
    assert "41.2" in cell and "38.8" not in cell


def test_rebuild_results_recomputes_the_store(django_assert_max_num_queries):
    Standing.objects.all().delete()
    out = io.StringIO()
    call_command("rebuild_results", stdout=out)
    assert "Rebuilt" in out.getvalue()
    assert Standing.objects.filter(group__isnull=True).count() > 10_000
    assert_store_equals_a_rebuild()


def test_a_bulk_action_in_the_admin_recomputes_once(admin_client):
    pks = list(
        Value.objects.filter(area__name="Walsall", period__year=2023, import_run=None).values_list(
            "pk", flat=True
        )
    )
    with mock.patch.object(freshness, "_apply", wraps=freshness._apply) as apply:
        response = admin_client.post(
            "/admin/indicators/value/",
            {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
        )
    assert response.status_code == 302
    assert len(pks) >= 10 and not Value.objects.filter(pk__in=pks).exists()
    assert apply.call_count == 1
    assert_store_equals_a_rebuild()
