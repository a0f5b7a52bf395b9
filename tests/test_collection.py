"""The period being collected: one stored setting, else a default from the data and the
catalogue, never today's date."""

import pytest

from indicators.models import Collection, Period, Value, period_being_collected
from scorecard import freshness

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_stored_setting():
    """Each test starts from the default, whatever the loaded data stored."""
    Collection.objects.filter(pk=1).delete()


def test_by_default_the_period_after_the_latest_with_data_is_collected():
    # The ASCOF data ends in 2024-25, the demo's quarterly measures in 2025-26 Q2.
    assert period_being_collected() == (2025, 3)


def test_every_year_the_catalogue_names_stays_open_whatever_was_imported_first():
    with freshness.batch():
        Value.objects.filter(period__year__gt=2020).delete()
    assert period_being_collected() == (2024, None)  # the catalogue's codes run to 2024-25


def test_quarters_come_before_the_year_they_make_up():
    Value.objects.filter(pk=Value.objects.filter(period__year=2024).first().pk).update(
        period=Period.objects.for_label("2025-26 Q3")
    )
    assert period_being_collected() == (2025, 4)
    Value.objects.filter(pk=Value.objects.filter(period__year=2024).first().pk).update(
        period=Period.objects.for_label("2025-26 Q4")
    )
    assert period_being_collected() == (2025, None)


def test_a_stored_setting_decides():
    Collection.objects.create(pk=1, period=Period.objects.for_label("2026-27 Q1"))
    assert period_being_collected() == (2026, 1)
