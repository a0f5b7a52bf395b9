"""The demo's returns: after `load_demo_returns` the tracker of the period being collected
shows every state, made through the workflow."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from indicators.models import Value
from returns.models import Event, Return

pytestmark = pytest.mark.django_db


def _states():
    return dict(Return.objects.values_list("council__name", "state"))


def test_the_demo_returns_are_in_every_state_and_made_through_the_workflow(client):
    out = io.StringIO()
    call_command("load_demo_returns", stdout=out)
    assert "3 published, 2 submitted, 1 returned, 1 draft" in out.getvalue()
    states = _states()
    assert states["Birmingham"] == "published" and states["Walsall"] == "returned"
    assert states["Shropshire"] == "draft" and "Wolverhampton" not in states
    # Published: the quarter's figures are public values, entered by the regional lead.
    published = Value.objects.filter(area__name="Birmingham", period__year=2025, period__quarter=3)
    assert published.count() == 7
    assert set(published.values_list("entered_by__username", flat=True)) == {"demo"}
    # Not published: nothing public.
    assert not Value.objects.filter(area__name="Walsall", period__year=2025, period__quarter=3)
    returned = Event.objects.get(submission__council__name="Walsall", action="returned")
    assert returned.reason and returned.by.username == "demo"
    client.force_login(get_user_model().objects.get(username="demo"))
    tracker = client.get("/returns/").content.decode()
    assert "3 published, 2 submitted, 1 returned, 1 draft, 7 not started" in tracker


def test_a_second_run_leaves_the_returns_as_they_are():
    call_command("load_demo_returns", stdout=io.StringIO())
    before = (_states(), Event.objects.count())
    out = io.StringIO()
    call_command("load_demo_returns", stdout=out)
    assert "left as they are" in out.getvalue()
    assert (_states(), Event.objects.count()) == before


def test_no_demo_returns_in_production_mode(settings):
    settings.SCORECARD_ENV = "production"
    with pytest.raises(CommandError, match="production"):
        call_command("load_demo_returns", stdout=io.StringIO())
    assert not Return.objects.exists()
