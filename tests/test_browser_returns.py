"""A return's whole round in Chromium: the Walsall lead enters and submits 2025-26 Q3, a
regional lead returns it with a reason, the lead corrects and resubmits, the regional lead
publishes, and only then does an anonymous reader see the value on Walsall's page."""

import re

import pytest
from browser import axe_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=False)]

PASSWORD = "scorecard-demo"  # load_demo's, as the live server is built
Q3 = "2025-26%20Q3"
VIEWPORTS = {"desktop": (1366, 900), "mobile": (390, 844)}


def sign_in(page, live_url, username):
    page.context.clear_cookies()
    page.goto(f"{live_url}/admin/login/?next=/returns/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(re.compile(r"/returns/$"))


def measure(page, code):
    return page.locator(f"#measure-{code.lower()}")


def fill_return(page, locations: str):
    for fieldset in page.locator("fieldset.returns-measure").all():
        for select in fieldset.locator("select.select:not([id$=status])").all():
            options = [o for o in select.locator("option").all_inner_texts() if o != "---------"]
            select.select_option(label=options[-1])
        for field in fieldset.locator("input.input--number").all():
            name = field.get_attribute("name")
            value = {"numerator": "3", "denominator": "10"}.get(name.split("-")[-1], locations)
            field.fill(value)


def test_a_return_from_draft_to_published(page, live_url, screenshot):
    anonymous = f"{live_url}/councils/walsall/?period={Q3}"
    sign_in(page, live_url, "walsall-lead")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("text=Walsall")
    assert "Return for 2025-26 Q3" in page.inner_text("h1")
    fill_return(page, "987")
    screenshot(page, "returns-screen-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "returns-screen-mobile")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert axe_check(page) == []
    page.click("button[value=submit]")
    assert page.inner_text("#return-state") == "Submitted"

    sign_in(page, live_url, "demo")
    for name, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"returns-tracker-{name}")
    assert "Submitted" in page.inner_text("table")
    page.goto(f"{live_url}/returns/walsall/{Q3}/")
    page.fill("#id_reason", "The CQC locations look too high")
    page.click("button[value=return]")
    assert page.inner_text("#return-state") == "Returned"

    sign_in(page, live_url, "walsall-lead")
    page.goto(f"{live_url}/returns/walsall/{Q3}/")
    assert "The CQC locations look too high" in page.inner_text("main")
    fill_return(page, "")
    page.click("button[value=submit]")
    assert "There is a problem" in page.inner_text(".error-summary")
    screenshot(page, "returns-screen-error")
    fill_return(page, "4321")
    page.click("button[value=submit]")
    assert page.inner_text("#return-state") == "Submitted"

    page.context.clear_cookies()
    page.goto(anonymous)
    assert "4,321" not in page.inner_text("main")

    sign_in(page, live_url, "demo")
    page.goto(f"{live_url}/returns/walsall/{Q3}/")
    page.click("button[value=publish]")
    assert page.inner_text("#return-state") == "Published"

    page.context.clear_cookies()
    page.goto(anonymous)
    assert "4,321" in page.inner_text("main")
