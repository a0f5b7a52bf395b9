"""Errata on the shipped files: the one way to correct a published figure. The shipped erratum
(the workbook's permuted 3C(2) 2018-19 region rows) is checked against the workbook's own
council rows, applied whichever order the commands run in, kept by re-imports and flagged when
the publisher's figure changes; the admin records errata through the validation layer, and
recording one recomputes the stored results."""

import csv
from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.db.models import Sum

from councils.models import Area
from indicators import errata
from indicators.models import Erratum, Indicator, Period, Value, ValueChange
from scorecard.models import Standing
from tests.test_freshness import assert_store_equals_a_rebuild
from tests.test_import_ascof import (
    ASCOF,
    REGION_ONS_CODES,
    _workbook_sheet,
    extract_rows,
    import_ascof,
    sheet_head,
    sheet_row,
    stored,
    write_xlsx,
)

ERRATA = errata.ERRATA_CSV
SHEET = "Table_3c(2)"
ADD = "/admin/indicators/erratum/add/"


def shipped() -> list[dict]:
    with open(ERRATA, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def corrections() -> dict[str, dict[str, float]]:
    """The shipped 3C(2) 2018-19 corrections: region code -> field -> corrected figure."""
    found = defaultdict(dict)
    for row in shipped():
        found[row["area"]][row["field"]] = float(row["corrected"])
    return found


def workbook_2018_19() -> tuple[dict, dict]:
    """The workbook's 2018-19 (respondents, outcome) by region row, and the sums of its own
    council rows by region: (Σ respondents, Σ respondents × outcome, councils)."""
    head = sheet_head(SHEET)[-1]
    base, outcome = (
        head.index(f"2018 to 2019 - {name}") for name in ("number of respondents", "outcome")
    )
    region_of = {}
    with open(ASCOF / "councils_cassr_2015-16_to_2024-25.csv", encoding="utf-8-sig") as file:
        for council in csv.DictReader(file):
            region_of[council["cassr_code"]] = REGION_ONS_CODES[council["region_ons_code"]]
    rows, sums = {}, defaultdict(lambda: [0.0, 0.0, 0])
    for row in _workbook_sheet(SHEET):
        if row[0] in REGION_ONS_CODES.values():
            rows[row[0]] = (row[base], round(row[outcome], 1))
        code = str(int(row[0])) if isinstance(row[0], float) else row[0]
        if code in region_of and isinstance(row[base], float) and isinstance(row[outcome], float):
            total = sums[region_of[code]]
            total[0] += row[base]
            total[1] += row[base] * row[outcome]
            total[2] += 1
    return rows, sums


def within_rounding(region_figure: float, council_sum: float, councils: int) -> bool:
    """Respondents are published rounded to 5: a region and each of its councils may each be
    up to 2.5 off."""
    return abs(region_figure - council_sum) <= 2.5 * (councils + 1)


# The shipped erratum, against the files ---------------------------------------------------


def test_the_shipped_correction_is_what_the_workbooks_own_council_rows_add_up_to():
    rows, sums = workbook_2018_19()
    fixed = corrections()
    assert set(fixed) == set(REGION_ONS_CODES.values())
    for region, (respondents, weighted, councils) in sums.items():
        published_base, _ = rows[region]
        assert within_rounding(fixed[region]["base"], respondents, councils), region
        assert not within_rounding(published_base, respondents, councils), region
        # A weighted survey: the respondent-weighted mean is close, not equal.
        assert abs(fixed[region]["outcome"] - weighted / respondents) < 1.5, region


def test_the_shipped_correction_gives_the_outcomes_of_the_official_2018_19_csv():
    extract = {
        REGION_ONS_CODES[row[2]]: float(row[5])
        for row in extract_rows("2018-19", "3D2")[1:]
        if row[6] == "Region"
    }
    assert {region: fields["outcome"] for region, fields in corrections().items()} == extract


def test_each_shipped_row_names_the_figure_the_workbook_publishes():
    rows, _ = workbook_2018_19()
    for row in shipped():
        base, outcome = rows[row["area"]]
        if row["field"] in ("base", "outcome"):
            assert float(row["published"]) == {"base": base, "outcome": outcome}[row["field"]]


# Applied whichever order the commands run in ----------------------------------------------


@pytest.mark.django_db
def test_after_make_demo_datas_order_each_region_row_equals_the_sum_of_its_council_rows():
    # conftest.py builds the test database as `make demo-data` does: load_reference first,
    # so the import applied the errata to the values it created.
    for region in REGION_ONS_CODES.values():
        value = stored(region, "3C(2)", 2018)
        councils = Value.objects.filter(
            indicator__code="3C(2)",
            period__year=2018,
            period__quarter=None,
            disaggregation="Total",
            area__region__code=region,
            base__isnull=False,
        )
        total = councils.aggregate(Sum("base"))["base__sum"]
        assert within_rounding(value.base, total, councils.count()), region
        assert (value.outcome, value.base) == (
            corrections()[region]["outcome"],
            corrections()[region]["base"],
        )
        audit = ValueChange.objects.filter(value=value, reason__startswith="Erratum: ")
        assert set(audit.values_list("field", flat=True)) == set(corrections()[region])


@pytest.mark.django_db
def test_load_reference_applies_the_errata_to_values_already_stored():
    value = stored("WM", "3C(2)", 2018)
    Value.objects.filter(pk=value.pk).update(outcome=62.9, base=4380, margin_of_error=1.6)

    call_command("load_reference", stdout=StringIO())

    value.refresh_from_db()
    assert (value.outcome, value.base, value.margin_of_error) == (57.6, 2920, 2.0)
    change = ValueChange.objects.filter(value=value, field="outcome").first()
    assert (change.old, change.new) == ("62.9", "57.6")
    assert change.reason.startswith("Erratum: The workbook's 2018-19 region rows")


def workbook_copy(tmp_path, **outcomes):
    """A workbook copy with the 3C(2) region rows, some 2018-19 outcomes replaced."""
    outcome = sheet_head(SHEET)[-1].index("2018 to 2019 - outcome")
    rows = []
    for region in REGION_ONS_CODES.values():
        row = sheet_row(SHEET, region)
        if region in outcomes:
            row[outcome] = outcomes[region]
        rows.append(row)
    return write_xlsx(tmp_path / "ascof_timeseries_copy.xlsx", {SHEET: [*sheet_head(SHEET), *rows]})


@pytest.mark.django_db
def test_an_erratum_survives_a_re_import_of_the_workbook(tmp_path):
    before = {region: stored(region, "3C(2)", 2018).outcome for region in REGION_ONS_CODES.values()}

    output = import_ascof(workbook_copy(tmp_path))

    assert before == {region: fields["outcome"] for region, fields in corrections().items()}
    after = {region: stored(region, "3C(2)", 2018).outcome for region in REGION_ONS_CODES.values()}
    assert after == before
    assert "erratum to review" not in output
    assert output.rstrip().endswith("No changes: the data was already up to date.")


@pytest.mark.django_db
def test_a_changed_publisher_figure_flags_the_erratum_for_review_and_keeps_the_correction(
    tmp_path,
):
    path = workbook_copy(tmp_path, WM=60.0)

    output = import_ascof(path)

    assert "  erratum to review: West Midlands 3C(2) 2018-19 Total outcome: 60 at " in output
    assert "is neither the 62.9 the erratum records as published nor its correction 57.6" in (
        output
    )
    erratum = Erratum.objects.get(area__code="WM", period__year=2018, field="outcome")
    assert (erratum.needs_review, erratum.republished) == (True, "60")
    assert stored("WM", "3C(2)", 2018).outcome == 57.6
    assert Erratum.objects.filter(needs_review=True).count() == 1


@pytest.mark.django_db
def test_pages_can_ask_which_values_carry_an_erratum_in_one_query(django_assert_num_queries):
    values = list(Value.objects.filter(indicator__code="3C(2)", period__year=2018))
    with django_assert_num_queries(1):
        found = errata.corrected_fields(values)
    assert len(found) == 9
    wm = stored("WM", "3C(2)", 2018)
    assert set(found[(wm.indicator_id, wm.period_id, wm.area_id, "Total")]) == {
        "outcome",
        "base",
        "margin_of_error",
    }
    corrected = Value.objects.with_errata().filter(corrected=True)
    assert corrected.count() == 9


# The admin --------------------------------------------------------------------------------


def lead(client) -> User:
    """A regional lead with the erratum permissions and the view permissions."""
    user = User.objects.create_user("errata-lead", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="indicators",
            codename__in=["add_erratum", "change_erratum", "delete_erratum", "view_value"],
        )
    )
    client.force_login(user)
    return user


def erratum_form(value: Value, field: str, published, corrected) -> dict:
    return {
        "area": value.area_id,
        "indicator": value.indicator_id,
        "period": value.period_id,
        "disaggregation": value.disaggregation,
        "field": field,
        "published": published,
        "corrected": corrected,
        "reason": "The publisher's notice of a correction",
        "evidence": "The revised table, published later",
    }


def birmingham_1a_2022() -> Value:
    return stored("406", "1A", 2022)


@pytest.mark.django_db
def test_the_admin_refuses_an_invalid_correction_with_a_clear_message(client):
    lead(client)
    value = stored("406", "3C(2)", 2021)  # a percentage

    response = client.post(ADD, erratum_form(value, "outcome", value.outcome, 140))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["corrected"] == ["The corrected outcome 140% is outside 0 to 100%"]
    assert not Erratum.objects.filter(area=value.area, period=value.period).exists()


@pytest.mark.django_db
def test_the_admin_refuses_a_published_figure_other_than_the_stored_one(client):
    lead(client)
    value = stored("406", "3C(2)", 2021)

    response = client.post(ADD, erratum_form(value, "outcome", value.outcome + 1, 50))

    errors = response.context["adminform"].form.errors
    assert errors["published"] == [
        f"The stored outcome is {value.outcome:g}, as published: give that figure here."
    ]


@pytest.mark.django_db
def test_the_admin_refuses_a_correction_that_changes_nothing(client):
    lead(client)
    value = stored("406", "3C(2)", 2021)
    response = client.post(ADD, erratum_form(value, "outcome", value.outcome, value.outcome))
    assert "there is nothing to correct" in str(response.context["adminform"].form.errors)


@pytest.mark.django_db
def test_a_user_without_the_erratum_permissions_cannot_record_one(client):
    user = User.objects.create_user("viewer-only", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_value"))
    client.force_login(user)
    assert client.get(ADD).status_code == 403


@pytest.mark.django_db
def test_recording_an_erratum_corrects_the_value_and_recomputes_the_stored_results(client):
    user = lead(client)
    value = birmingham_1a_2022()
    published = value.outcome
    corrected = round(published - 1.0, 1)

    response = client.post(ADD, erratum_form(value, "outcome", published, corrected))

    assert response.status_code == 302, response.context["adminform"].form.errors
    value.refresh_from_db()
    assert value.outcome == corrected
    standing = Standing.objects.get(
        indicator=value.indicator, year=2022, quarter=0, area=value.area, group__isnull=True
    )
    assert standing.value == corrected
    change = ValueChange.objects.get(value=value, field="outcome", changed_by=user)
    assert (change.old, change.new) == (f"{published:g}", f"{corrected:g}")
    assert change.reason == "Erratum: The publisher's notice of a correction"
    assert_store_equals_a_rebuild()


@pytest.mark.django_db
def test_deleting_an_erratum_puts_the_published_figure_back(client):
    lead(client)
    value = birmingham_1a_2022()
    published = value.outcome
    client.post(ADD, erratum_form(value, "outcome", published, round(published - 1.0, 1)))
    erratum = Erratum.objects.get(area=value.area, indicator=value.indicator, period=value.period)

    client.post(f"/admin/indicators/erratum/{erratum.pk}/delete/", {"post": "yes"})

    value.refresh_from_db()
    assert value.outcome == published
    assert not Erratum.objects.filter(pk=erratum.pk).exists()


@pytest.mark.django_db
def test_a_shipped_erratum_with_an_unknown_area_is_refused_and_nothing_is_loaded(tmp_path):
    rows = shipped()
    rows[0]["area"] = "XX"
    path = tmp_path / "errata.csv"
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    Erratum.objects.all().delete()

    with pytest.raises(ValueError, match="errata.csv, row 2: area code 'XX' names 0 areas"):
        errata.load(path)
    assert not Erratum.objects.exists()
    assert Indicator.objects.exists() and Area.objects.exists() and Period.objects.exists()


@pytest.mark.django_db
def test_a_lead_reviews_a_flagged_erratum_by_recording_the_new_published_figure(client, tmp_path):
    lead(client)
    path = workbook_copy(tmp_path, WM=60.0)
    import_ascof(path)
    erratum = Erratum.objects.get(area__code="WM", period__year=2018, field="outcome")
    url = f"/admin/indicators/erratum/{erratum.pk}/change/"

    response = client.post(
        url, {"published": 60, "corrected": 57.6, "reason": "Permuted", "evidence": "Sums"}
    )

    assert response.status_code == 302
    erratum.refresh_from_db()
    assert (erratum.needs_review, erratum.republished, erratum.published) == (False, "", 60)
    assert "erratum to review" not in import_ascof(path)
    assert stored("WM", "3C(2)", 2018).outcome == 57.6
