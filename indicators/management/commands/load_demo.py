"""Demo values of the region's local indicators for the 14 West Midlands councils, 2023-24 and
2024-25, from data/demo/local_values.csv, and a staff user for the admin.

The demo user is `demo` with the password in the DEMO_PASSWORD environment variable, or
`scorecard-demo` when it is not set. It may view everything and add or change values.
"""

import os
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from councils.models import Area
from indicators import validation
from indicators.catalogue import Counts, read_csv, sync
from indicators.models import TOTAL, Availability, Indicator, Kind, Period, Source, Value
from scorecard import freshness

DEMO_VALUES_CSV = Path(settings.BASE_DIR) / "data" / "demo" / "local_values.csv"
DEMO_USERNAME = "demo"
DEFAULT_DEMO_PASSWORD = "scorecard-demo"


def value_fields(indicator: Indicator, text: str, period: Period) -> dict:
    """The Value fields that hold `text` for the indicator's kind, checked by the validation
    layer as entered data (implausible is refused too). A demo value holds as at the end of
    its period, so the period bounds its dates and years."""
    fields = {"outcome": None, "text_value": "", "date_value": None}
    if indicator.kind == Kind.DATE:
        fields["date_value"] = date.fromisoformat(text)
    elif indicator.is_numeric:
        fields["outcome"] = float(text)
    else:
        fields["text_value"] = validation.canonical_choice(text, indicator.categories) or text
    problems = validation.check_value(
        indicator.kind,
        indicator.categories,
        numbers={"outcome": fields["outcome"]} if indicator.is_numeric else None,
        text=fields["text_value"],
        date=fields["date_value"],
        collecting=(period.year, period.quarter),
    )
    if problems:
        raise ValueError(f"{indicator.code} {period}: " + "; ".join(map(str, problems)))
    return fields


def load_demo_values(path: Path = DEMO_VALUES_CSV) -> Counts:
    indicators = Indicator.objects.filter(source=Source.LOCAL).in_bulk(field_name="code")
    councils = {council.code: council for council in Area.objects.councils()}
    periods: dict[str, Period] = {}
    counts = Counts()
    for line, row in enumerate(read_csv(path), start=2):
        try:
            indicator = indicators[row["indicator"]]
            council = councils[row["cassr_code"]]
            if row["period"] not in periods:
                periods[row["period"]] = Period.objects.for_label(row["period"])
            period = periods[row["period"]]
            fields = value_fields(indicator, row["value"], period)
        except KeyError as error:
            raise CommandError(
                f"{path.name} line {line}: unknown {error}; run load_reference first"
            ) from error
        except ValueError as error:
            raise CommandError(f"{path.name} line {line}: {error}") from error
        lookup = {
            "area_id": council.pk,
            "indicator_id": indicator.pk,
            "period_id": period.pk,
            "disaggregation": TOTAL,
        }
        # Entered demo values, not published ones: no import run.
        values = {
            **fields,
            "outcome_status": Availability.AVAILABLE,
            "note": row["note"],
            "import_run_id": None,
        }
        sync(Value, lookup, values, counts)
    return counts


def ensure_demo_user(password: str) -> str:
    """Create the demo staff user, or reset its password and permissions; say what changed."""
    user, created = get_user_model().objects.get_or_create(
        username=DEMO_USERNAME, defaults={"is_staff": True}
    )
    changes = ["created"] if created else []
    if not user.is_staff or not user.check_password(password):
        user.is_staff = True
        user.set_password(password)
        user.save()
        changes.append("password set")
    permissions = Permission.objects.filter(
        Q(content_type__app_label__in=["councils", "indicators"], codename__startswith="view_")
        | Q(content_type__app_label="indicators", codename__in=["add_value", "change_value"])
    )
    missing = set(permissions) - set(user.user_permissions.all())
    if missing:
        user.user_permissions.add(*missing)
        changes.append("permissions granted")
    return ", ".join(changes) or "unchanged"


class Command(BaseCommand):
    help = (
        "Load demo values of the local indicators for the 14 West Midlands councils and create "
        f"the admin user '{DEMO_USERNAME}' (password: DEMO_PASSWORD, default "
        f"'{DEFAULT_DEMO_PASSWORD}'). Run load_reference first. Safe to run again."
    )

    def handle(self, *args, **options):
        from_env = os.environ.get("DEMO_PASSWORD")
        password = from_env or DEFAULT_DEMO_PASSWORD
        with freshness.batch():
            counts = load_demo_values()
            user_status = ensure_demo_user(password)
        self.stdout.write(f"demo values: {counts}")
        self.stdout.write(f"demo user: {user_status}")
        shown = "the password in DEMO_PASSWORD" if from_env else f"password '{password}'"
        self.stdout.write(
            self.style.SUCCESS(f"Log in at /admin/ as '{DEMO_USERNAME}' with {shown}.")
        )
