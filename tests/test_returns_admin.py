"""The admin as each role may use it: a council lead reads their councils' values only, on
every admin path; a regional lead reads every council's."""

import pytest
from django.contrib.auth import get_user_model

from indicators.models import Value

pytestmark = pytest.mark.django_db


def _client(client, username):
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _value(council):
    return Value.objects.filter(area__name=council, indicator__code="WM-CARE-ACT").first()


def test_a_council_lead_lists_only_their_councils_values(client):
    lead = _client(client, "walsall-lead")
    page = lead.get("/admin/indicators/value/?indicator__source__exact=local")
    assert page.status_code == 200
    shown = {value.area.name for value in page.context["cl"].queryset}
    assert shown == {"Walsall"}


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_another_councils_value_is_forbidden_to_a_council_lead(client, view):
    dudley = _value("Dudley")
    before = (dudley.text_value, dudley.version)
    lead = _client(client, "walsall-lead")
    url = f"/admin/indicators/value/{dudley.pk}/{view}/"
    assert lead.get(url).status_code == 403
    assert lead.post(url, {"post": "yes"}).status_code == 403
    dudley.refresh_from_db()
    assert (dudley.text_value, dudley.version) == before
    own = _value("Walsall")
    assert lead.get(f"/admin/indicators/value/{own.pk}/change/").status_code == 200


def test_a_regional_lead_reads_every_councils_values(client):
    regional = _client(client, "demo")
    page = regional.get("/admin/indicators/value/?indicator__source__exact=local")
    assert len({value.area.name for value in page.context["cl"].queryset}) == 14
    dudley = _value("Dudley")
    assert regional.get(f"/admin/indicators/value/{dudley.pk}/change/").status_code == 200
