"""The change log for regional leads (`/returns/changes/`): every source of change in one table
(typed, uploaded, submitted, returned, published, reopened, imported, edited in the admin),
its filters, its CSV, who may read it, its query count; and a return's history on its screen."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from councils.models import Area
from indicators.models import ImportRun, Value, ValueChange
from returns import workflow
from returns.models import Action, Event, Membership, Role
from tests.test_returns_workflow import FULL, PERIOD, ids

pytestmark = pytest.mark.django_db

LOG = "/returns/changes/"
LONDON = ZoneInfo("Europe/London")


def _user(username, role, *councils):
    user = get_user_model().objects.create_user(f"t-{username}", f"t-{username}@example.org")
    membership = Membership.objects.create(user=user, role=role)
    membership.councils.set(Area.objects.filter(slug__in=councils))
    return user


@pytest.fixture
def users(db):
    return {
        "walsall": _user("walsall-lead", Role.COUNCIL_LEAD, "walsall"),
        "dudley": _user("dudley-lead", Role.COUNCIL_LEAD, "dudley"),
        "regional": _user("regional-lead", Role.REGIONAL_LEAD),
        "viewer": _user("viewer", Role.VIEWER),
    }


def _council(slug):
    return Area.objects.get(slug=slug)


def _value(slug, code, label="2024-25"):
    year = int(label[:4])
    return Value.objects.filter(
        area__slug=slug, indicator__code=code, period__year=year, period__quarter=None
    ).first()


@pytest.fixture
def history(users, mailoutbox):
    """Walsall's Q3 return typed, submitted, returned, corrected, resubmitted and published by
    its lead and a regional lead; a Dudley draft typed in January 2025; an import's change and
    an admin edit of published values."""
    walsall, regional = _council("walsall"), users["regional"]
    ret = workflow.save_draft(users["walsall"], walsall, PERIOD, ids(FULL))
    workflow.submit(users["walsall"], ret)
    workflow.return_to_lead(regional, ret, "Check the agency staff")
    corrected = {"WM-AGENCY-STAFF": {"numerator": "13", "denominator": "100"}}
    workflow.save_draft(users["walsall"], walsall, PERIOD, ids(corrected))
    workflow.submit(users["walsall"], ret)
    workflow.publish(regional, ret)
    dudley = workflow.save_draft(
        users["dudley"], _council("dudley"), PERIOD, ids({"WM-CQC-LOCATIONS": {"outcome": 40}})
    )
    january = datetime.datetime(2025, 1, 15, 10, tzinfo=LONDON)
    Event.objects.filter(submission=dudley).update(at=january)
    run = ImportRun.objects.create(
        file_name="ascof-revised.csv",
        sha256="0" * 64,
        layout="csv",
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    imported = _value("walsall", "1A")
    ValueChange.objects.create(
        value=imported,
        field="outcome",
        old="19.1",
        new="19.3",
        import_run=run,
        via=ValueChange.Via.IMPORT,
    )
    edited = Value.objects.filter(area__slug="walsall", indicator__code="WM-BCF").first()
    ValueChange.objects.create(
        value=edited,
        field="text_value",
        old="Draft",
        new="Agreed",
        changed_by=regional,
        via=ValueChange.Via.ADMIN,
    )
    ValueChange.objects.create(
        value=imported,
        field="margin_of_error",
        old="3.1",
        new="2.9",
        reason="Erratum: the region rows are permuted",
        via=ValueChange.Via.ERRATUM,
    )
    return ret


def _csv(client, **query):
    """The CSV's rows, without `data_as_at`: the log stamps the time it is read, which moves on
    at a minute's turn between two downloads a test compares."""
    response = client.get(LOG, {**query, "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert all(row.pop("data_as_at") for row in rows)
    return rows


def _ours(rows):
    """The rows of this test's people and files (the shipped imports have their own)."""
    return [
        r
        for r in rows
        if r["Who"].startswith("t-")
        or r["Reason or file"].endswith("ascof-revised.csv")
        or r["Reason or file"] == "Erratum: the region rows are permuted"
    ]


@pytest.fixture
def regional_client(client, users):
    client.force_login(users["regional"])
    return client


# Every source, with who, when, old and new ----------------------------------------------------


def test_every_kind_of_change_is_in_the_log_with_who_when_old_and_new(regional_client, history):
    rows = _ours(_csv(regional_client))
    what = {r["What"] for r in rows}
    assert what == {
        "Typed in the return",
        "Submitted",
        "Returned to the lead",
        "Published",
        "Imported",
        "Edited in the admin",
        "Corrected by an erratum",
    }
    typed = next(
        r
        for r in rows
        if (r["What"], r["Measure"], r["Field"]) == ("Typed in the return", "WM-DASS-POST", "Value")
    )
    assert (typed["Who"], typed["Council"], typed["Period"]) == (
        "t-walsall-lead",
        "Walsall",
        PERIOD,
    )
    assert (typed["Old value"], typed["New value"]) == ("", "permanent")
    assert datetime.datetime.strptime(typed["When"], "%Y-%m-%d %H:%M:%S")
    corrected = [r for r in rows if r["Measure"] == "WM-AGENCY-STAFF" and r["Field"] == "Numerator"]
    assert [(r["What"], r["Old value"], r["New value"]) for r in corrected] == [
        ("Published", "", "13"),
        ("Typed in the return", "12", "13"),
        ("Typed in the return", "", "12"),
    ]
    returned = next(r for r in rows if r["What"] == "Returned to the lead")
    assert (returned["Field"], returned["Old value"], returned["New value"]) == (
        "State",
        "Submitted",
        "Returned",
    )
    assert (returned["Who"], returned["Reason or file"]) == (
        "t-regional-lead",
        "Check the agency staff",
    )
    imported = next(r for r in rows if r["What"] == "Imported")
    assert (imported["Who"], imported["Measure"], imported["Old value"], imported["New value"]) == (
        "",
        "1A",
        "19.1",
        "19.3",
    )
    assert imported["Reason or file"] == "From the file ascof-revised.csv"
    erratum = next(r for r in rows if r["What"] == "Corrected by an erratum")
    assert (erratum["Old value"], erratum["New value"], erratum["Reason or file"]) == (
        "3.1",
        "2.9",
        "Erratum: the region rows are permuted",
    )
    edited = next(r for r in rows if r["What"] == "Edited in the admin")
    assert (edited["Who"], edited["Field"], edited["Old value"], edited["New value"]) == (
        "t-regional-lead",
        "Value",
        "Draft",
        "Agreed",
    )
    suppressed = next(
        r
        for r in rows
        if r["Measure"] == "WM-SW-VACANCY" and r["Field"] == "Numerator availability"
    )
    assert suppressed["New value"] == "Suppressed [c]"


def test_the_log_is_newest_first_and_links_a_return_change_to_its_return(regional_client, history):
    response = regional_client.get(LOG)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    rows = list(response.context["table"].page.object_list)
    times = [row.record["happened"] for row in rows]
    assert times == sorted(times, reverse=True)
    html = response.content.decode()
    assert 'href="/returns/walsall/2025-26%20Q3/"' in html
    assert "Edited in the admin" in html


def test_uploads_and_reopenings_are_in_the_log(regional_client, history, users):
    workflow.reopen(users["regional"], history, "A late correction")
    workflow.save_draft(
        users["walsall"],
        _council("walsall"),
        PERIOD,
        ids({"WM-CQC-LOCATIONS": {"outcome": 121}}),
        action=Action.UPLOADED,
    )
    rows = _ours(_csv(regional_client, council="walsall"))
    reopened = next(r for r in rows if r["What"] == "Reopened")
    assert (reopened["Old value"], reopened["New value"], reopened["Reason or file"]) == (
        "Published",
        "Draft",
        "A late correction",
    )
    uploaded = next(r for r in rows if r["What"] == "Uploaded to the return")
    assert (uploaded["Measure"], uploaded["Old value"], uploaded["New value"]) == (
        "WM-CQC-LOCATIONS",
        "120",
        "121",
    )
    assert rows[:2] == [uploaded, reopened]


# Filters -----------------------------------------------------------------------------------------


def test_each_filter_narrows_the_log(regional_client, history):
    every = _ours(_csv(regional_client))
    assert {r["Council"] for r in every} == {"Walsall", "Dudley"}

    dudley = _csv(regional_client, council="dudley")
    assert dudley and {r["Council"] for r in dudley} == {"Dudley"}

    complaints = _csv(regional_client, measure="WM-COMPLAINTS")
    assert complaints and {r["Measure"] for r in complaints} == {"WM-COMPLAINTS"}
    assert len(complaints) < len(every)

    regional = _csv(regional_client, person="t-regional-lead")
    assert regional and {r["Who"] for r in regional} == {"t-regional-lead"}

    january = _csv(regional_client, from_date="2025-01-01", to_date="2025-01-31")
    assert _ours(january) == [r for r in every if r["Council"] == "Dudley"]
    since = _ours(_csv(regional_client, from_date="2025-02-01"))
    assert since == [r for r in every if r["Council"] != "Dudley"]


def test_the_history_of_one_value_is_the_log_filtered_by_council_and_measure(
    regional_client, history
):
    rows = _csv(regional_client, council="walsall", measure="WM-AGENCY-STAFF")
    assert {(r["Council"], r["Measure"]) for r in rows} == {("Walsall", "WM-AGENCY-STAFF")}
    assert {r["What"] for r in rows} == {"Typed in the return", "Published"}
    assert ("Numerator", "12", "13") in {(r["Field"], r["Old value"], r["New value"]) for r in rows}


def test_the_csv_holds_every_filtered_row_in_the_pages_order(regional_client, history):
    query = {"council": "walsall"}
    table = regional_client.get(LOG, query).context["table"]
    rows = _csv(regional_client, **query)
    assert len(rows) == table.paginator.count > 0
    shown = [
        (
            f"{timezone.localtime(r.record['happened']):%Y-%m-%d %H:%M:%S}",
            r.record["person"] or "",
            r.record["measure_code"] or "",
        )
        for r in table.page.object_list
    ]
    assert [(r["When"], r["Who"], r["Measure"]) for r in rows[: len(shown)]] == shown


def test_pages_hold_fifty_changes(regional_client, history, users):
    regional, walsall = users["regional"], _council("walsall")
    workflow.reopen(regional, history, "Corrections")
    for outcome in range(1, 50):
        workflow.save_draft(
            regional, walsall, PERIOD, ids({"WM-CQC-LOCATIONS": {"outcome": outcome}})
        )
    response = regional_client.get(LOG, {"council": "walsall"})
    table = response.context["table"]
    assert len(table.page.object_list) == 50
    count = table.paginator.count
    assert count > 50
    assert 'aria-label="Pages of this table"' in response.content.decode()
    second = regional_client.get(LOG, {"council": "walsall", "page": 2}).context["table"]
    assert len(second.page.object_list) == min(50, count - 50)
    assert second.page.object_list[0].record != table.page.object_list[0].record
    assert len(_csv(regional_client, council="walsall", page=2)) == count


# Bad filters -------------------------------------------------------------------------------------


def test_a_bad_date_is_explained_in_an_error_summary_and_left_out(regional_client, history):
    response = regional_client.get(LOG, {"from_date": "2025-13-45", "council": "dudley"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert '<a href="#id_from_date">The date from must be a real date, like 2025-10-01</a>' in html
    assert 'id="id_from_date-error"' in html
    # The council filter still applies; the date is left out.
    assert {r.record["council_name"] for r in response.context["table"].page.object_list} == {
        "Dudley"
    }
    assert _csv(regional_client, from_date="not a date", council="dudley")


def test_a_date_to_before_the_date_from_is_explained(regional_client, history):
    response = regional_client.get(LOG, {"from_date": "2025-06-01", "to_date": "2025-01-01"})
    assert response.status_code == 200
    assert '<a href="#id_to_date">The date to must be the same as or after the date from</a>' in (
        response.content.decode()
    )


def test_an_unknown_council_or_person_is_explained(regional_client, history):
    response = regional_client.get(LOG, {"council": "atlantis", "person": "nobody-at-all"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="#id_council">' in html and '<a href="#id_person">' in html


# Who may read it ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LOG, f"{LOG}?format=csv"])
def test_only_regional_leads_and_superusers_read_the_log(client, users, url):
    client.force_login(users["regional"])
    assert client.get(url).status_code == 200
    for who in ("walsall", "viewer"):
        client.force_login(users[who])
        assert client.get(url).status_code == 403
    client.force_login(get_user_model().objects.create_superuser("t-admin", "t-admin@example.org"))
    assert client.get(url).status_code == 200
    client.force_login(get_user_model().objects.create_user("t-no-role"))
    assert client.get(url).status_code == 403


def test_anonymous_readers_are_sent_to_sign_in(client):
    response = client.get(LOG)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_the_tracker_links_to_the_log_for_regional_leads_only(client, users):
    client.force_login(users["regional"])
    assert f'href="{LOG}"' in client.get("/returns/").content.decode()
    for who in ("walsall", "viewer"):
        client.force_login(users[who])
        assert f'href="{LOG}"' not in client.get("/returns/").content.decode()


# Query count -------------------------------------------------------------------------------------


def test_the_log_reads_a_fixed_number_of_queries(
    regional_client, history, users, django_assert_num_queries
):
    regional_client.get(LOG)  # warm
    with CaptureQueriesContext(connection) as queries:
        regional_client.get(LOG)
    count = len(queries)
    walsall = _council("walsall")
    workflow.reopen(users["regional"], history, "More to come")
    for outcome in (1, 2, 3):
        workflow.save_draft(
            users["regional"], walsall, PERIOD, ids({"WM-CQC-LOCATIONS": {"outcome": outcome}})
        )
    with django_assert_num_queries(count):
        regional_client.get(LOG)
    with django_assert_num_queries(count):
        regional_client.get(LOG, {"council": "walsall", "measure": "WM-CQC-LOCATIONS", "page": 2})
    # session, user, role, three lists of choices, the count, the page, the data version
    assert count == 9, "\n".join(q["sql"][:150] for q in queries)


# A return's history on its screen ----------------------------------------------------------------


def test_a_returns_screen_shows_each_step_with_the_fields_it_changed(client, users, history):
    client.force_login(users["walsall"])
    html = client.get(f"/returns/walsall/{PERIOD}/").content.decode()
    history_html = html[html.index('id="history"') :]
    assert "Check the agency staff" in history_html
    assert "WM-AGENCY-STAFF" in history_html and "12 → 13" in history_html
    assert "/returns/changes/?" not in html  # the value's history link is for regional leads
    client.force_login(users["regional"])
    html = client.get(f"/returns/walsall/{PERIOD}/").content.decode()
    assert "/returns/changes/?council=walsall&amp;measure=WM-AGENCY-STAFF" in html
