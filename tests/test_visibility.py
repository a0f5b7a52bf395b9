"""Who sees what: the public sees published values only, and a period becomes the public latest
once half the group's councils have published it; signed-in users also see submitted entries,
marked provisional, and leads the drafts of the councils they enter for, marked draft; none of
them is ranked or counted, and none reaches the public page cache.

On the demo data with the demo's returns for 2025-26 Q3 (`load_demo_returns`): Birmingham,
Coventry and Dudley published, Herefordshire and Sandwell submitted, Walsall returned to its
lead, Shropshire a draft."""

import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from councils.models import Area
from indicators.models import Period, Source
from returns import workflow
from returns.management.commands.load_demo_returns import repeated_entries
from returns.models import Membership, Return, Role
from scorecard import data

pytestmark = pytest.mark.django_db

Q3 = "2025-26 Q3"
OVERVIEW = f"/?period={Q3}"
HEREFORDSHIRE = f"/councils/herefordshire/?period={Q3}"
WALSALL = f"/councils/walsall/?period={Q3}"
VACANCIES = f"/indicators/wm-sw-vacancy/?period={Q3}"
PROVISIONAL = 'class="tag tag--provisional">Provisional</strong>'
DRAFT = 'class="tag tag--provisional">Draft</strong>'


@pytest.fixture
def returns():
    call_command("load_demo_returns", stdout=io.StringIO())


def _user(username, role, *councils):
    user = get_user_model().objects.create_user(f"t-{username}", password="pw")
    membership = Membership.objects.create(user=user, role=role)
    membership.councils.set(Area.objects.filter(slug__in=councils))
    return user


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def viewer(db):
    return _client(_user("viewer", Role.VIEWER))


@pytest.fixture
def walsall_lead(db):
    return _client(_user("walsall-lead", Role.COUNCIL_LEAD, "walsall"))


@pytest.fixture
def regional_lead(db):
    return _client(_user("regional-lead", Role.REGIONAL_LEAD))


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _csv(client, url) -> dict[str, dict]:
    """The download's rows of the social worker vacancy rate, by council."""
    response = client.get(f"{url}&format=csv")
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    return {row["council"]: row for row in rows if row["indicator_code"] == "WM-SW-VACANCY"}


def _regional_periods() -> data.Periods:
    return data.periods(Source.LOCAL, 14)


def _publish_until(count: int) -> None:
    """Publish Q3 returns (the submitted ones first, then new ones) until `count` councils
    have published."""
    lead = get_user_model().objects.get(username="demo")
    period = Period.objects.for_label(Q3)
    for submitted in Return.objects.filter(period=period, state="submitted"):
        workflow.publish(lead, submitted)
    published = Return.objects.filter(period=period, state="published").count()
    others = workflow.councils_for(lead).exclude(returns__period=period).order_by("name")
    for council in others[: count - published]:
        made = workflow.save_draft(lead, council, period, repeated_entries(council, period))
        workflow.publish(lead, workflow.submit(lead, made))
    assert Return.objects.filter(period=period, state="published").count() == count


# The public latest period ------------------------------------------------------------------


def test_with_3_of_14_published_the_public_latest_quarter_stays_at_q2(returns):
    periods = _regional_periods()
    assert periods.published[(2025, 3)] == 3
    assert not periods.is_public((2025, 3))
    assert periods.latest(quarter=True) == (2025, 2)
    # Still there to choose, saying how far publishing has got.
    page = _page(Client(), "/")
    assert f'<option value="{Q3}">{Q3} (3 of 14 published)</option>' in page
    chosen = _page(Client(), OVERVIEW)
    assert "2025-26 Q3 is still being published: 3 of 14 councils so far" in chosen
    assert "The public latest period is 2025-26 Q2." in chosen


def test_the_quarter_becomes_the_public_latest_when_the_seventh_council_publishes(returns):
    _publish_until(6)
    assert _regional_periods().latest(quarter=True) == (2025, 2)
    _publish_until(7)
    periods = _regional_periods()
    assert periods.is_public((2025, 3))
    assert periods.latest(quarter=True) == (2025, 3)
    page = _page(Client(), OVERVIEW)
    assert f'<option value="{Q3}" selected>{Q3}</option>' in page
    assert "still being published" not in page
    assert "7 of 14 published" in page


def test_the_share_is_a_setting_and_a_page_always_has_a_default(returns, settings):
    settings.SCORECARD_PUBLISHED_SHARE = 0.2
    assert _regional_periods().latest(quarter=True) == (2025, 3)
    settings.SCORECARD_PUBLISHED_SHARE = 0.5
    assert data.periods(None, 14).latest() == (2024, None)
    assert '<option value="2024-25" selected>' in _page(Client(), "/")
    # When no period reaches the share, the latest with data is the default all the same.
    assert data.periods(Source.LOCAL, 100).latest(quarter=True) == (2025, 3)


# Counts of councils published --------------------------------------------------------------


def test_a_quarter_still_being_published_says_3_of_14_on_its_pages_and_downloads(returns):
    anonymous = Client()
    assert "3 of 14 published" in _page(anonymous, OVERVIEW)
    assert "3 of 14 published" in _page(anonymous, HEREFORDSHIRE)
    assert "3 of 14 published: the other councils have not published" in _page(anonymous, VACANCIES)
    for url in (OVERVIEW, HEREFORDSHIRE, VACANCIES):
        rows = _csv(anonymous, url)
        assert {(r["councils_published"], r["councils_shown"]) for r in rows.values()} == {
            ("3", "14")
        }
    # A quarter every council has published says nothing of it.
    q2 = _csv(anonymous, "/?period=2025-26 Q2")
    assert {r["councils_published"] for r in q2.values()} == {"14"}
    page = _page(anonymous, "/?period=2025-26 Q2")
    assert not re.search(r'class="hint">\d+ of 14 published', page)
    assert "still being published" not in page


# Provisional values ------------------------------------------------------------------------


def test_a_submitted_value_is_provisional_to_a_viewer_and_unseen_by_the_public(returns, viewer):
    anonymous = Client()
    for url in (OVERVIEW, HEREFORDSHIRE, VACANCIES):
        assert PROVISIONAL in _page(viewer, url), url
        assert PROVISIONAL not in _page(anonymous, url), url
    seen = _csv(viewer, OVERVIEW)["Herefordshire"]
    assert seen["publication"] == "provisional" and seen["value"]
    assert not seen["group_rank"] and not seen["group_quartile"] and not seen["direction"]
    public = _csv(anonymous, OVERVIEW)["Herefordshire"]
    assert public["publication"] == "" and public["value"] == ""
    assert _csv(anonymous, OVERVIEW)["Birmingham"]["publication"] == "published"


def test_a_draft_is_seen_by_its_councils_lead_and_the_regional_lead_not_a_viewer(
    returns, viewer, walsall_lead, regional_lead
):
    # Walsall's return was returned to its lead: a draft again.
    for client in (walsall_lead, regional_lead):
        assert _csv(client, WALSALL)["Walsall"]["publication"] == "draft"
        assert DRAFT in _page(client, WALSALL)
    assert _csv(viewer, WALSALL)["Walsall"]["publication"] == ""
    assert DRAFT not in _page(viewer, WALSALL)
    # Shropshire's draft is not the Walsall lead's to see.
    assert _csv(walsall_lead, OVERVIEW)["Shropshire"]["publication"] == ""
    assert _csv(regional_lead, OVERVIEW)["Shropshire"]["publication"] == "draft"


def test_provisional_values_are_never_ranked_or_counted(returns, viewer, regional_lead):
    public = _csv(Client(), VACANCIES)
    for client in (viewer, regional_lead):
        seen = _csv(client, VACANCIES)
        assert {r["council"] for r in seen.values() if r["publication"] == "published"} == {
            "Birmingham",
            "Coventry",
            "Dudley",
        }
        for name, row in seen.items():
            ranks = (row["group_rank"], row["group_n"], row["group_quartile"])
            public_ranks = (
                public[name]["group_rank"],
                public[name]["group_n"],
                public[name]["group_quartile"],
            )
            assert ranks == public_ranks, name
            assert row["councils_published"] == "3"
    assert "3 councils with a value" in _page(viewer, VACANCIES)


def test_anonymous_pages_pay_no_query_for_provisional_values(
    returns, django_assert_num_queries, viewer
):
    with django_assert_num_queries(16):  # as pinned in test_quarterly_pages
        Client().get(OVERVIEW)
    # Signed in: the session and the user, and one query for the entries.
    with django_assert_num_queries(16 + 3):
        viewer.get(OVERVIEW)


# The public page cache ---------------------------------------------------------------------


@pytest.mark.parametrize("url", [OVERVIEW, HEREFORDSHIRE, VACANCIES])
def test_a_signed_in_page_never_reaches_an_anonymous_reader(returns, viewer, url):
    assert PROVISIONAL in _page(viewer, url)
    anonymous = Client()
    assert PROVISIONAL not in _page(anonymous, url)
    assert PROVISIONAL not in _page(anonymous, url)  # now from the cache
    # Nor does a cached public page reach a signed-in reader.
    assert PROVISIONAL in _page(viewer, url)
