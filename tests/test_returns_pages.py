"""The returns pages: the submission tracker, a council's return screen, and the reminder of
overdue returns, for each role (a Walsall council lead, a regional lead, a viewer) and for
anonymous readers."""

import datetime
import statistics
import time
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from councils.models import Area
from indicators.models import Collection, Period
from returns.models import Event, Membership, Return, Role, State

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
Q3 = "2025-26 Q3"
TRACKER = "/returns/"
WALSALL = f"/returns/walsall/{Q3}/"
DUDLEY = f"/returns/dudley/{Q3}/"

_frozen: list[datetime.datetime] = []


def frozen() -> datetime.datetime:
    return _frozen[-1]


@pytest.fixture
def freeze(settings):
    def at(day: datetime.date) -> None:
        _frozen.append(datetime.datetime.combine(day, datetime.time(9), tzinfo=LONDON))
        settings.SCORECARD_CLOCK = f"{__name__}.frozen"

    yield at
    _frozen.clear()


@pytest.fixture
def collecting():
    """2025-26 Q3 is being collected, due 30 January 2026."""
    period = Period.objects.for_label(Q3)
    Collection.objects.update_or_create(
        pk=1, defaults={"period": period, "due_on": datetime.date(2026, 1, 30)}
    )
    return period


def _user(username, role, *councils, email=""):
    username = f"t-{username}"  # the demo's own users (load_demo) keep their names
    user = get_user_model().objects.create_user(
        username, email=email or f"{username}@example.org", password="pw", is_staff=True
    )
    membership = Membership.objects.create(user=user, role=role)
    membership.councils.set(Area.objects.filter(slug__in=councils))
    return user


@pytest.fixture
def walsall_lead(db):
    return _user("walsall-lead", Role.COUNCIL_LEAD, "walsall")


@pytest.fixture
def regional_lead(db):
    return _user("regional-lead", Role.REGIONAL_LEAD)


@pytest.fixture
def viewer(db):
    return _user("viewer", Role.VIEWER)


@pytest.fixture
def users(walsall_lead, regional_lead, viewer):
    return {"walsall": walsall_lead, "regional": regional_lead, "viewer": viewer}


def _return(slug, state, by, revision=0):
    return Return.objects.create(
        council=Area.objects.get(slug=slug),
        period=Period.objects.for_label(Q3),
        state=state,
        revision=revision,
        updated_by=by,
    )


# Anonymous readers -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [TRACKER, WALSALL, DUDLEY, f"{TRACKER}?format=csv"])
def test_anonymous_readers_are_sent_to_sign_in(client, url, collecting):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_anonymous_post_changes_nothing(client, collecting):
    response = client.post(WALSALL, {"action": "save"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Return.objects.exists()


def test_navigation_shows_returns_to_signed_in_users_only(client, walsall_lead):
    assert ">Returns</a>" not in client.get("/about/").content.decode()
    client.force_login(walsall_lead)
    assert ">Returns</a>" in client.get("/about/").content.decode()


# The tracker ------------------------------------------------------------------------------------


def test_tracker_shows_every_council_of_the_group_to_regional_leads_and_viewers(
    client, users, collecting
):
    for who in ("regional", "viewer"):
        client.force_login(users[who])
        response = client.get(TRACKER)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
        rows = response.context["rows"]
        assert len(rows) == 14
        assert {r.council.slug for r in rows} >= {"walsall", "dudley"}
    assert response.context["period"] == Q3


def test_tracker_shows_a_council_lead_their_councils(client, walsall_lead, collecting):
    client.force_login(walsall_lead)
    response = client.get(TRACKER)
    rows = response.context["rows"]
    assert [r.council.slug for r in rows] == ["walsall"]
    assert rows[0].url == WALSALL.replace(" ", "%20")


def test_tracker_links_for_leads_only(client, users, collecting):
    client.force_login(users["viewer"])
    assert all(not r.url for r in client.get(TRACKER).context["rows"])
    client.force_login(users["regional"])
    assert all(r.url for r in client.get(TRACKER).context["rows"])


def test_tracker_states_counts_and_overdue(client, users, collecting, freeze):
    freeze(datetime.date(2026, 2, 2))  # after the due date
    by = users["walsall"]
    _return("walsall", State.PUBLISHED, by)
    _return("dudley", State.SUBMITTED, by)
    _return("sandwell", State.RETURNED, by, revision=2)
    _return("wolverhampton", State.DRAFT, by)
    client.force_login(users["regional"])
    response = client.get(TRACKER)
    html = response.content.decode()
    rows = {r.council.slug: r for r in response.context["rows"]}
    assert rows["walsall"].state_words == "Published" and not rows["walsall"].overdue
    assert rows["dudley"].state_words == "Submitted" and not rows["dudley"].overdue
    assert rows["sandwell"].state_words == "Returned, revision 2" and rows["sandwell"].overdue
    assert rows["wolverhampton"].overdue and rows["shropshire"].state_words == "Not started"
    assert "1 published, 1 submitted, 1 returned, 1 draft, 10 not started." in html
    assert html.count(">Overdue</strong>") == 12
    assert "Due 30 January 2026." in html
    assert "t-walsall-lead" in html


def test_tracker_is_not_overdue_before_the_due_date(client, regional_lead, collecting, freeze):
    freeze(datetime.date(2026, 1, 30))
    client.force_login(regional_lead)
    response = client.get(TRACKER)
    assert not any(r.overdue for r in response.context["rows"])
    assert "Overdue" not in response.content.decode()


def test_tracker_csv(client, users, collecting, freeze):
    freeze(datetime.date(2026, 2, 2))
    _return("walsall", State.SUBMITTED, users["walsall"], revision=1)
    client.force_login(users["viewer"])
    response = client.get(TRACKER, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("period,council,state,revision,changed_by,changed_at,due,overdue")
    walsall = next(line for line in lines if ",Walsall," in line)
    assert walsall.startswith("2025-26 Q3,Walsall,Submitted,1,t-walsall-lead,")
    assert ",2026-01-30,no," in walsall
    dudley = next(line for line in lines if ",Dudley," in line)
    assert ",Not started,0,,,2026-01-30,yes," in dudley
    assert len(lines) == 15


def test_tracker_chooses_an_earlier_period_with_returns(client, users, collecting):
    Return.objects.create(
        council=Area.objects.get(slug="walsall"),
        period=Period.objects.for_label("2025-26 Q2"),
        state=State.PUBLISHED,
    )
    client.force_login(users["regional"])
    response = client.get(TRACKER, {"period": "2025-26 Q2"})
    assert response.context["period"] == "2025-26 Q2"
    assert response.context["periods"] == ["2025-26 Q2", Q3]
    assert "1 published, 13 not started." in response.content.decode()
    response = client.get(TRACKER, {"period": "2019-20"})
    assert response.context["period"] == Q3
    assert "There is a problem" in response.content.decode()


def test_tracker_query_count(client, users, collecting, django_assert_num_queries):
    for slug in ("walsall", "dudley", "sandwell"):
        _return(slug, State.DRAFT, users["walsall"])
    client.force_login(users["regional"])
    client.get(TRACKER)  # warm
    with CaptureQueriesContext(connection) as queries:
        client.get(TRACKER)
    count = len(queries)
    for slug in ("wolverhampton", "coventry"):
        _return(slug, State.SUBMITTED, users["walsall"])
    with django_assert_num_queries(count):
        client.get(TRACKER)
    assert count <= 12, [q["sql"] for q in queries]


# remind_overdue -----------------------------------------------------------------------------------


def test_remind_overdue_emails_leads_of_overdue_returns(
    users, collecting, freeze, mailoutbox, capsys, settings
):
    settings.SITE_URL = "https://scorecard.example.org"
    freeze(datetime.date(2026, 2, 2))
    Membership.objects.exclude(user__username__startswith="t-").delete()
    _user("dudley-lead", Role.COUNCIL_LEAD, "dudley")
    _user("sandwell-lead", Role.COUNCIL_LEAD, "sandwell")
    nobody = _user("no-email", Role.COUNCIL_LEAD, "coventry")
    nobody.email = ""
    nobody.save()
    _return("dudley", State.SUBMITTED, users["walsall"])
    _return("sandwell", State.RETURNED, users["walsall"])
    call_command("remind_overdue")
    out = capsys.readouterr().out
    assert {m.to[0] for m in mailoutbox} == {
        "t-walsall-lead@example.org",
        "t-sandwell-lead@example.org",
    }
    assert "E-mailed t-walsall-lead <t-walsall-lead@example.org>: Walsall" in out
    assert "t-dudley-lead" not in out and "t-no-email" not in out
    assert "2025-26 Q3" in mailoutbox[0].subject
    walsall = next(m for m in mailoutbox if m.to == ["t-walsall-lead@example.org"])
    assert "30 January 2026" in walsall.body
    assert "Walsall: https://scorecard.example.org/returns/walsall/2025-26%20Q3/" in walsall.body


def test_remind_overdue_sends_nothing_before_the_due_date(users, collecting, freeze, mailoutbox):
    Membership.objects.exclude(user__username__startswith="t-").delete()
    freeze(datetime.date(2026, 1, 30))
    call_command("remind_overdue")
    assert mailoutbox == []
    call_command("remind_overdue", "--period", "2025-26 Q2")  # due 30 October 2025
    assert [m.to for m in mailoutbox] == [["t-walsall-lead@example.org"]]


# The return screen --------------------------------------------------------------------------------


def _payload(action="save", version=0, **overrides) -> dict:
    """A whole valid return for 2025-26 Q3: a value for every measure due."""
    from returns.workflow import due_measures

    data = {"action": action, "version": str(version)}
    for m in due_measures(None, Q3):
        prefix = f"m{m.pk}-"
        if m.is_counted:
            data[prefix + "numerator"], data[prefix + "denominator"] = "3", "10"
        elif m.kind == "category":
            data[prefix + "text_value"] = m.categories[0]
        elif m.kind == "rag":
            data[prefix + "text_value"] = "green"
        else:
            data[prefix + "outcome"] = "150"
        data[prefix + "comment"] = f"about {m.code}"
    data.update(overrides)
    return data


def _field(code: str, name: str) -> str:
    from indicators.models import Indicator

    return f"m{Indicator.objects.get(code=code).pk}-{name}"


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("walsall", WALSALL, 200),
        ("walsall", DUDLEY, 404),
        ("regional", WALSALL, 200),
        ("regional", DUDLEY, 200),
        ("viewer", WALSALL, 404),
        ("viewer", DUDLEY, 404),
    ],
)
def test_return_screen_for_each_role(client, users, collecting, who, url, status):
    client.force_login(users[who])
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        assert "no-store" in response["Cache-Control"]
    response = client.post(url, _payload())
    assert response.status_code in ((302,) if status == 200 else (404,))
    slug = url.split("/")[2]
    assert Return.objects.filter(council__slug=slug).exists() == (status == 200)


def test_return_screen_shows_every_measure_due_with_last_quarters_value(
    client, walsall_lead, collecting
):
    client.force_login(walsall_lead)
    html = client.get(WALSALL).content.decode()
    assert "Not started" in html
    assert 'value="save">Save draft</button>' in html and 'value="submit">Submit</button>' in html
    assert "Publish</button>" not in html and "Return to lead</button>" not in html
    assert "WM-CARE-ACT" in html and "Published for 2025-26 Q2: <strong>Amber</strong>" in html
    assert f'name="{_field("WM-COMPLAINTS", "numerator")}"' in html
    assert f'name="{_field("WM-COMPLAINTS", "denominator_status")}"' in html
    assert "33 % (1 of 3)" in html


def test_a_draft_saved_through_the_screen(client, walsall_lead, collecting):
    client.force_login(walsall_lead)
    response = client.post(WALSALL, _payload())
    assert response.status_code == 302
    ret = Return.objects.get(council__slug="walsall")
    assert ret.state == State.DRAFT and ret.updated_by == walsall_lead
    assert ret.entries.count() == 7
    html = client.get(response["Location"]).content.decode()
    assert "Your draft was saved." in html and "about WM-CARE-ACT" in html
    assert Event.objects.filter(submission=ret, action="saved").count() == 1


def test_an_invalid_entry_keeps_what_was_typed_and_shows_the_error_summary(
    client, walsall_lead, collecting
):
    client.force_login(walsall_lead)
    numerator = _field("WM-COMPLAINTS", "numerator")
    locations = _field("WM-CQC-LOCATIONS", "outcome")
    response = client.post(
        WALSALL, _payload(**{numerator: "twelve", locations: "", _field("WM-BCF", "x"): "1"})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert f'href="#id_{numerator}"' in html
    assert 'value="twelve"' in html and "about WM-CARE-ACT" in html
    assert "Enter numerator as a number" in html
    assert not Return.objects.exists()
    # The form's own checks pass: the workflow's are shown the same way.
    response = client.post(WALSALL, _payload(**{numerator: "12", locations: ""}))
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html
    assert (
        f'href="#id_{numerator}"' in html
        or f'href="#id_{_field("WM-COMPLAINTS", "denominator")}"' in html
    )
    assert f'href="#id_{locations}"' in html
    assert not Return.objects.exists()


def test_submit_return_publish_and_reopen(client, users, collecting):
    client.force_login(users["walsall"])
    assert client.post(WALSALL, _payload("submit")).status_code == 302
    ret = Return.objects.get(council__slug="walsall")
    assert ret.state == State.SUBMITTED
    html = client.get(WALSALL).content.decode()
    assert "Submitted" in html and "Save draft</button>" not in html
    # A council lead cannot publish.
    assert client.post(WALSALL, {"action": "publish"}).status_code == 200
    assert Return.objects.get(pk=ret.pk).state == State.SUBMITTED

    client.force_login(users["regional"])
    html = client.get(WALSALL).content.decode()
    assert "Return to lead</button>" in html and "Publish</button>" in html
    response = client.post(WALSALL, {"action": "return", "reason": ""})
    assert "Enter the reason for returning it to its lead" in response.content.decode()
    assert Return.objects.get(pk=ret.pk).state == State.SUBMITTED
    response = client.post(WALSALL, {"action": "return", "reason": "Check WM-CQC-LOCATIONS"})
    assert response.status_code == 302
    html = client.get(WALSALL).content.decode()
    assert "Returned" in html and "Check WM-CQC-LOCATIONS" in html

    client.force_login(users["walsall"])
    ret.refresh_from_db()
    loc = _field("WM-CQC-LOCATIONS", "outcome")
    response = client.post(WALSALL, _payload("submit", ret.version, **{loc: "151"}))
    assert response.status_code == 302
    client.force_login(users["regional"])
    assert client.post(WALSALL, {"action": "publish"}).status_code == 302
    ret.refresh_from_db()
    assert ret.state == State.PUBLISHED

    client.logout()
    page = client.get("/councils/walsall/", {"period": Q3}).content.decode()
    assert "151" in page

    client.force_login(users["regional"])
    response = client.post(WALSALL, {"action": "reopen", "reason": "A correction"})
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.state == State.DRAFT and ret.revision == 1
    assert "Draft, revision 1" in client.get(WALSALL).content.decode()


def test_a_stale_form_saves_nothing(client, walsall_lead, collecting):
    client.force_login(walsall_lead)
    client.post(WALSALL, _payload())
    response = client.post(WALSALL, _payload(version=0))
    assert response.status_code == 200
    assert "changed after you opened it" in response.content.decode()


def test_median_time_to_save_a_whole_return(client, walsall_lead, collecting):
    client.force_login(walsall_lead)
    times = []
    for n in range(7):
        loc = _field("WM-CQC-LOCATIONS", "outcome")
        version = Return.objects.filter(council__slug="walsall").values_list("version", flat=True)
        start = time.perf_counter()
        response = client.post(
            WALSALL, _payload(version=version.first() or 0, **{loc: str(100 + n)})
        )
        times.append(time.perf_counter() - start)
        assert response.status_code == 302
    median = statistics.median(times)
    print(f"median save of a whole return: {median * 1000:.0f} ms")
    assert median < 2


def test_last_periods_value_is_shown_as_the_pages_show_it():
    from indicators.models import Indicator, Value
    from returns.views import shown

    year = Indicator(code="T-YEAR", kind="year", decimals=0)
    share = Indicator(code="T-PCT", kind="percentage", decimals=1, unit="%")
    assert shown(year, Value(outcome=2024.0, outcome_status="available")) == "2024"
    assert shown(share, Value(outcome=1234.56, outcome_status="available")) == "1,234.6 %"
