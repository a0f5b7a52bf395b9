"""The browser harness works: Debian's Chromium, through Playwright, against the live server."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_admin_login_page_shows_the_username_field(page, live_url, screenshot):
    page.goto(f"{live_url}/admin/login/")

    expect(page.locator("#id_username")).to_be_visible()
    assert screenshot(page, "admin-login").exists()
