"""Accounts: the demo's login per role, the production mode that refuses them, login throttling,
password reset by e-mail and session expiry."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from indicators.models import Value
from returns.models import Membership, Role
from scorecard.settings import scorecard_env

ROOT = Path(__file__).resolve().parent.parent
LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "scorecard-demo"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # These tests check who can log in, not how strongly passwords are hashed; the demo users
    # loaded with the test database keep their slower hashes.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture
def demo(db):
    """The test database comes loaded as `make demo` loads it (tests/conftest.py), its demo
    users with the default password."""


def load_demo() -> str:
    output = StringIO()
    call_command("load_demo", stdout=output)
    return output.getvalue()


def sign_in(client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


# The demo's logins -----------------------------------------------------------------------------


def test_the_demo_prints_one_login_per_role_and_changes_none_the_second_time(demo, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    output = load_demo()
    for line in (
        "regional lead: demo / scorecard-demo",
        "council lead: walsall-lead / scorecard-demo",
        "viewer: viewer / scorecard-demo",
        "demo user demo (regional lead): unchanged",
        "demo user walsall-lead (council lead): unchanged",
        "demo user viewer (viewer): unchanged",
    ):
        assert line in output
    assert get_user_model().objects.count() == 3


@pytest.mark.parametrize("username", ["demo", "walsall-lead"])
def test_the_leads_sign_in_through_the_admin_login_form(demo, client, username):
    response = sign_in(client, username, PASSWORD)
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_viewer_logs_in_but_is_not_staff(demo, client):
    request = RequestFactory().post("/")
    user = authenticate(request, username="viewer", password=PASSWORD)
    assert user is not None and not user.is_staff
    assert not user.user_permissions.exists()
    # The admin is for staff only.
    response = sign_in(client, "viewer", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_each_demo_login_has_its_role_and_councils(demo):
    memberships = {
        membership.user.username: membership
        for membership in Membership.objects.select_related("user").prefetch_related("councils")
    }
    assert {name: m.role for name, m in memberships.items()} == {
        "demo": Role.REGIONAL_LEAD,
        "walsall-lead": Role.COUNCIL_LEAD,
        "viewer": Role.VIEWER,
    }
    assert [council.name for council in memberships["walsall-lead"].councils.all()] == ["Walsall"]
    assert not memberships["demo"].councils.exists()


def test_the_regional_lead_keeps_the_demo_permissions(demo):
    user = get_user_model().objects.get(username="demo")
    assert user.is_staff and not user.is_superuser
    for permission in ("change_value", "add_value", "change_collection", "view_indicator"):
        assert user.has_perm(f"indicators.{permission}")
    assert user.has_perm("councils.view_area")


def test_the_council_lead_may_view_values_and_nothing_more(demo, client):
    user = get_user_model().objects.get(username="walsall-lead")
    assert user.is_staff and not user.is_superuser
    assert user.get_all_permissions() == {"indicators.view_value"}
    client.force_login(user)
    assert client.get("/admin/indicators/value/").status_code == 200
    assert client.get("/admin/indicators/value/add/").status_code == 403


def test_loading_the_demo_again_puts_back_what_changed(demo):
    lead = Membership.objects.get(user__username="walsall-lead")
    lead.councils.clear()
    Membership.objects.filter(user__username="demo").delete()  # the demo user of old
    get_user_model().objects.filter(username="viewer").update(is_staff=True)
    output = load_demo()
    assert "demo user demo (regional lead): role set" in output
    assert "demo user walsall-lead (council lead): councils set" in output
    assert "demo user viewer (viewer): password set" in output
    assert Membership.objects.get(user__username="demo").role == Role.REGIONAL_LEAD
    assert not get_user_model().objects.get(username="viewer").is_staff


def test_a_password_from_the_environment_is_not_printed(demo, client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-password")
    output = load_demo()
    assert "another-demo-password" not in output
    assert "council lead: walsall-lead / the password in DEMO_PASSWORD" in output
    assert sign_in(client, "walsall-lead", "another-demo-password").status_code == 302


# Production mode -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_loader_refuses_to_run_in_production_mode(settings):
    get_user_model().objects.all().delete()
    settings.SCORECARD_ENV = "production"
    values = Value.objects.count()
    with pytest.raises(CommandError, match="SCORECARD_ENV is production"):
        call_command("load_demo", stdout=StringIO())
    assert not get_user_model().objects.exists()
    assert not Membership.objects.exists()
    assert Value.objects.count() == values


def test_scorecard_env_is_development_unless_production_is_asked_for():
    assert scorecard_env(None) == "development"
    assert scorecard_env("") == "development"
    assert scorecard_env("development") == "development"
    assert scorecard_env(" production ") == "production"
    assert django_settings.SCORECARD_ENV == "development"


@pytest.mark.parametrize("value", ["staging", "prod", "Production", "1"])
def test_an_unknown_scorecard_env_is_refused(value):
    with pytest.raises(ImproperlyConfigured, match="SCORECARD_ENV is .* 'production'"):
        scorecard_env(value)


def test_an_unknown_scorecard_env_stops_start_up():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "scorecard.settings",
            "SCORECARD_ENV": "staging",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SCORECARD_ENV is 'staging'" in result.stderr


# Login throttling ------------------------------------------------------------------------------


@pytest.fixture
def lead(django_user_model):
    return django_user_model.objects.create_user(
        "lead", email="lead@example.com", password="the-right-password", is_staff=True
    )


def test_the_sixth_attempt_after_five_wrong_passwords_is_locked_out(lead, client):
    assert django_settings.AXES_ENABLED and django_settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = sign_in(client, "lead", "wrong")
        assert response.status_code == 200
        assert response.context["form"].errors
    # The fifth failure locks the user name out from this address.
    assert sign_in(client, "lead", "wrong").status_code == 429
    locked = sign_in(client, "lead", "wrong")
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.text and "15 minutes" in locked.text
    # Even the right password is refused while the lockout lasts.
    assert sign_in(client, "lead", "the-right-password").status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_for_one_user_name_from_one_address(lead, client, django_user_model):
    django_user_model.objects.create_user("other", password="other-password", is_staff=True)
    for _ in range(5):
        sign_in(client, "lead", "wrong")
    assert sign_in(client, "other", "other-password").status_code == 302
    client.logout()
    elsewhere = sign_in(client, "lead", "the-right-password", REMOTE_ADDR="10.0.0.2")
    assert elsewhere.status_code == 302


def test_a_successful_login_clears_the_failures(lead, client):
    for _ in range(4):
        sign_in(client, "lead", "wrong")
    assert sign_in(client, "lead", "the-right-password").status_code == 302
    assert not AccessAttempt.objects.filter(username="lead").exists()


# Password reset --------------------------------------------------------------------------------


def test_the_admin_login_page_links_to_password_reset(db, client):
    assert 'href="/accounts/password-reset/"' in client.get(LOGIN).text


def test_password_reset_sends_one_email_whose_link_sets_a_new_password(lead, client, mailoutbox):
    page = client.get("/accounts/password-reset/")
    assert page.status_code == 200 and 'autocomplete="email"' in page.text

    response = client.post("/accounts/password-reset/", {"email": "lead@example.com"})
    assert response.status_code == 302 and response.url == "/accounts/password-reset/sent/"
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["lead@example.com"]
    assert email.from_email == django_settings.DEFAULT_FROM_EMAIL
    assert "lead" in email.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", email.body).group(1)

    form = client.get(link, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.text
    set_password_url = form.redirect_chain[-1][0]
    # The validators still apply: a short, common password is refused with an error summary.
    refused = client.post(set_password_url, {"new_password1": "abc", "new_password2": "abc"})
    assert refused.status_code == 200 and "There is a problem" in refused.text
    done = client.post(
        set_password_url,
        {"new_password1": "a-new-long-password-7", "new_password2": "a-new-long-password-7"},
    )
    assert done.status_code == 302 and done.url == "/accounts/reset/done/"
    assert "Password changed" in client.get(done.url).text
    assert sign_in(client, "lead", "a-new-long-password-7").status_code == 302

    # The link works once.
    assert "This link has expired" in client.get(link, follow=True).text


def test_an_unknown_address_gets_the_same_answer_and_no_email(lead, client, mailoutbox):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response.url == "/accounts/password-reset/sent/"
    assert mailoutbox == []


def test_an_invalid_address_is_shown_in_the_error_summary(db, client):
    response = client.post("/accounts/password-reset/", {"email": "not-an-address"})
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert 'href="#id_email"' in response.text
    assert 'aria-describedby="id_email-error"' in response.text


def test_email_goes_to_the_console_unless_configured():
    # pytest-django swaps in the locmem backend for tests; the setting read at start-up is this.
    assert os.environ.get("EMAIL_BACKEND") is None
    from scorecard import settings as scorecard_settings

    assert scorecard_settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"


# Session expiry --------------------------------------------------------------------------------


def test_a_session_lasts_8_hours_and_ends_when_the_browser_closes(lead, client):
    assert django_settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    sign_in(client, "lead", "the-right-password")
    assert client.session.get_expiry_age() == 8 * 60 * 60
    assert client.session.get_expire_at_browser_close()
    assert not client.cookies[django_settings.SESSION_COOKIE_NAME]["max-age"]
