"""A stored value can never take a page down: values that validation keeps out of every write
path, stored straight into the database (as a shell `update()` or an older database might),
still leave every page and download answering 200, and the store equal to a rebuild."""

import pytest
from django.core.cache import cache

from councils.models import Area
from indicators.models import Availability, Indicator, Period, Value
from scorecard.models import Standing
from tests.test_freshness import assert_store_equals_a_rebuild

pytestmark = pytest.mark.django_db

AVAILABLE = Availability.AVAILABLE


# The region's measures collected by quarter from 2024-25 Q1: a snapshot's year is its Q4.
QUARTER = {"WM-CARE-ACT": 4, "WM-DASS-POST": 4}


def _value(council: str, code: str, year: int = 2024):
    return Value.objects.filter(
        area__name=council,
        indicator__code=code,
        period__year=year,
        period__quarter=QUARTER.get(code),
    )


def _store(council, code, year=2024, **fields):
    found = _value(council, code, year)
    if not found.exists():
        quarter = f" Q{QUARTER[code]}" if code in QUARTER else ""
        Value.objects.create(
            area=Area.objects.get(name=council),
            indicator=Indicator.objects.get(code=code),
            period=Period.objects.for_label(f"{year}-{(year + 1) % 100:02d}{quarter}"),
            **fields,
        )
    else:
        found.update(**fields)


ODD_VALUES = [
    ("Walsall", "WM-CARE-ACT", {"text_value": "Green", "outcome_status": AVAILABLE}),
    ("Dudley", "WM-CARE-ACT", {"text_value": "  AMBER ", "outcome_status": AVAILABLE}),
    ("Coventry", "WM-CARE-ACT", {"text_value": "Purple", "outcome_status": AVAILABLE}),
    ("Walsall", "WM-BCF", {"text_value": "Yes", "outcome_status": AVAILABLE}),
    ("Dudley", "WM-BCF", {"text_value": "maybe", "outcome_status": AVAILABLE}),
    ("Walsall", "WM-DASS-POST", {"text_value": '=HYPERLINK("x")', "outcome_status": AVAILABLE}),
    ("Walsall", "WM-PEER-CHALLENGE", {"date_value": "2031-05-01", "outcome_status": AVAILABLE}),
    ("Walsall", "WM-LOCAL-ACCOUNT", {"outcome": 2023.7, "outcome_status": AVAILABLE}),
    ("Dudley", "WM-LOCAL-ACCOUNT", {"outcome": 0, "outcome_status": AVAILABLE}),
    ("Barnet", "WM-CARE-ACT", {"text_value": "green", "outcome_status": AVAILABLE}),
    ("Walsall", "2D(1)", {"outcome": 230.0, "outcome_status": AVAILABLE}),
    ("Dudley", "2D(1)", {"outcome": -5.0, "outcome_status": AVAILABLE}),
    ("Coventry", "2D(1)", {"outcome": 9.9e11, "outcome_status": AVAILABLE}),
    (
        "Birmingham",
        "3D(2a)",
        {"outcome": None, "text_value": "n/a", "outcome_status": AVAILABLE},
    ),
    (
        "Sandwell",
        "3D(2a)",
        {"quality_flag": "<script>alert(1)</script>" + "x" * 150, "numerator": 9e11},
    ),
]

PAGES = [
    "/",
    "/?group=england",
    "/?group=england&page=2",
    "/councils/walsall/",
    "/councils/birmingham/",
    "/councils/barnet/",
    "/indicators/wm-care-act/",
    "/indicators/wm-care-act/?sort=value",
    "/indicators/wm-bcf/?sort=-value",
    "/indicators/wm-dass-post/",
    "/indicators/wm-peer-challenge/?sort=value",
    "/indicators/wm-local-account/",
    "/indicators/2d1/",
    "/indicators/2d1/?sort=value",
    "/indicators/3d2a/?sort=-value",
    "/indicators/3d2a/?group=england",
    "/compare/?councils=walsall&councils=barnet&councils=birmingham",
    "/indicators/",
    "/councils/",
    "/about/",
]


@pytest.fixture
def odd_values():
    for council, code, fields in ODD_VALUES:
        _store(council, code, **fields)
    cache.clear()


def test_every_page_and_download_answers_with_odd_values_stored(client, odd_values):
    for page in PAGES:
        for suffix in ("", "&format=csv" if "?" in page else "?format=csv"):
            response = client.get(page + suffix)
            assert response.status_code in (200, 404), page + suffix
            assert response.status_code == 200 or page == "/councils/barnet/", page + suffix
    for page in ("/?format=xlsx", "/councils/walsall/?format=xlsx"):
        assert client.get(page).status_code == 200


def test_odd_values_are_counted_as_what_they_say_or_as_not_recognised(client, odd_values):
    html = client.get("/").content.decode()
    care_act = html[html.index("Care Act readiness") :].split("</th>")[0]
    assert "not recognised" in care_act  # Purple
    assert "green" in care_act and "amber" in care_act
    assert "&lt;script&gt;" in client.get("/councils/sandwell/").content.decode()


def test_odd_values_leave_the_store_equal_to_a_rebuild(odd_values):
    walsall = Standing.objects.get(
        indicator__code="2D(1)", year=2024, area__name="Walsall", group__isnull=True
    )
    assert walsall.value == 230.0 and walsall.rank == 2  # ranked as stored, below 9.9e11
    assert_store_equals_a_rebuild()
