"""Demo values of the region's own measures for the 14 West Midlands councils, from
data/demo/local_values.csv, the period being collected, and a staff user for the admin.

The values are yearly for 2023-24 and, for the measures collected yearly, 2024-25; the
measures collected by quarter from 2024-25 Q1 (`Indicator.quarterly_basis`) have 2024-25 Q1 to
Q4 and 2025-26 Q1 and Q2 instead, their years being derived from their quarters (the two
workforce measures, new in 2024-25, have no 2023-24 value). A percentage row gives its
numerator and denominator, stored as available, not a value: the outcome is computed from them
(numerator / denominator × the measure's multiplier, rounded half away from zero to its
decimals with `scorecard.stats.round_half_away`), and is not applicable with a denominator of
0 (no complaint decided in the quarter). Every row is checked by the
validation layer as entered data, its period against its measure's frequency too; a row it
refuses stops the load, naming its line. A yearly demo value that the frequency rule now
refuses (a year of a quarterly measure, loaded before the measure became quarterly, never
edited in the admin) is deleted.

The period being collected (`Collection`) is set to 2025-26 Q3, the quarter after the demo's
latest.

The demo has one login per role (`returns.models.Role`), each with the password in the
DEMO_PASSWORD environment variable, or `scorecard-demo` when it is not set:
- `demo`, the regional lead: staff who may view everything, add or change values, and change
  the period being collected;
- `walsall-lead`, Walsall's council lead: staff who may view values;
- `viewer`, a viewer: not staff, no permissions.
Known-password users have no place in a shared deployment: in production mode
(`SCORECARD_ENV=production`) the command refuses to run and changes nothing.
"""

import os
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db.models import F, Q

from councils.models import Area
from indicators import validation
from indicators.catalogue import Counts, read_csv, sync
from indicators.models import (
    TOTAL,
    Availability,
    Collection,
    Indicator,
    Kind,
    Period,
    Source,
    Value,
)
from returns.models import Membership, Role
from scorecard import freshness

DEMO_VALUES_CSV = Path(settings.BASE_DIR) / "data" / "demo" / "local_values.csv"
DEMO_USERNAME = "demo"
COUNCIL_LEAD_USERNAME = "walsall-lead"
VIEWER_USERNAME = "viewer"
WALSALL = "411"  # the council lead's council, by CASSR code
DEFAULT_DEMO_PASSWORD = "scorecard-demo"
DEMO_COLLECTING = "2025-26 Q3"


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a number") from None


def counted_fields(indicator: Indicator, row: dict[str, str]) -> dict:
    """The numerator and denominator of a percentage row, available, and the outcome they
    give; not applicable with a zero denominator."""
    missing = [name for name in ("numerator", "denominator") if not row.get(name)]
    if missing:
        raise ValueError(
            f"{indicator.code} is a percentage: give its {' and '.join(missing)} (the outcome "
            "is computed from them)"
        )
    if row.get("value"):
        raise ValueError(
            f"{indicator.code} is a percentage: leave value blank, the outcome is computed from "
            f"the numerator and denominator (value {row['value']!r} given)"
        )
    numerator = _number(row["numerator"], "numerator")
    denominator = _number(row["denominator"], "denominator")
    outcome, status = validation.outcome_from_counts(
        numerator, denominator, indicator.multiplier, indicator.decimals
    )
    return {
        "outcome": outcome,
        "outcome_status": status,
        "numerator": numerator,
        "numerator_status": Availability.AVAILABLE,
        "denominator": denominator,
        "denominator_status": Availability.AVAILABLE,
    }


def value_fields(indicator: Indicator, row: dict[str, str], period: Period) -> dict:
    """The Value fields that hold the row's value for the indicator's kind, checked by the
    validation layer as entered data (implausible is refused too). A demo value holds as at the
    end of its period, so the period bounds its dates and years."""
    text = row["value"]
    fields = {
        "outcome": None,
        "outcome_status": Availability.AVAILABLE,
        "text_value": "",
        "date_value": None,
        "numerator": None,
        "numerator_status": "",
        "denominator": None,
        "denominator_status": "",
    }
    if indicator.kind == Kind.PERCENTAGE:
        fields.update(counted_fields(indicator, row))
    elif row.get("numerator") or row.get("denominator"):
        raise ValueError(
            f"{indicator.code} is not a percentage ({indicator.get_kind_display().lower()}): "
            "only a percentage carries a numerator and a denominator"
        )
    elif indicator.kind == Kind.DATE:
        fields["date_value"] = date.fromisoformat(text)
    elif indicator.is_numeric:
        fields["outcome"] = _number(text, "value")
    else:
        fields["text_value"] = validation.canonical_choice(text, indicator.categories) or text
    numbers = None
    if indicator.is_numeric:
        numbers = {"outcome": fields["outcome"]}
        if fields["numerator_status"]:
            numbers.update(numerator=fields["numerator"], denominator=fields["denominator"])
    problems = validation.check_value(
        indicator.kind,
        indicator.categories,
        numbers=numbers,
        text=fields["text_value"],
        date=fields["date_value"],
        collecting=(period.year, period.quarter),
    )
    if problems:
        raise ValueError(f"{indicator.code} {period}: " + "; ".join(map(str, problems)))
    return fields


def period_problems(indicator: Indicator, period: Period, collecting: Period) -> list:
    """The period against the measure's frequency and the period being collected."""
    first = indicator.quarterly_from
    return validation.check_frequency(
        period.year,
        period.quarter,
        basis=indicator.quarterly_basis,
        quarterly_from=(first.year, first.quarter) if first else None,
    ) + validation.check_period(period.year, period.quarter, (collecting.year, collecting.quarter))


def load_demo_values(path: Path = DEMO_VALUES_CSV) -> Counts:
    indicators = (
        Indicator.objects.filter(source=Source.LOCAL)
        .select_related("quarterly_from")
        .in_bulk(field_name="code")
    )
    councils = {council.code: council for council in Area.objects.councils()}
    collecting = Period.objects.for_label(DEMO_COLLECTING)
    periods: dict[str, Period] = {}
    counts = Counts()
    for line, row in enumerate(read_csv(path), start=2):
        try:
            indicator = indicators[row["indicator"]]
            council = councils[row["cassr_code"]]
            if row["period"] not in periods:
                periods[row["period"]] = Period.objects.for_label(row["period"])
            period = periods[row["period"]]
            problems = period_problems(indicator, period, collecting)
            if problems:
                raise ValueError(f"{indicator.code}: " + "; ".join(map(str, problems)))
            fields = value_fields(indicator, row, period)
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
        values = {**fields, "note": row["note"], "import_run_id": None}
        sync(Value, lookup, values, counts)
    counts.deleted = refused_years().delete()[0]
    return counts


def refused_years():
    """Yearly values of the region's quarterly measures in a year collected by quarter, never
    imported nor edited in the admin: what the demo loaded before the measure became
    quarterly, and the frequency rule now refuses."""
    return Value.objects.filter(
        indicator__source=Source.LOCAL,
        period__quarter__isnull=True,
        period__year__gte=F("indicator__quarterly_from__year"),
        import_run__isnull=True,
        entered_by__isnull=True,
    ).exclude(indicator__quarterly_basis="")


def set_collection() -> str:
    """The period being collected: the quarter after the demo's latest. Say what changed."""
    period = Period.objects.for_label(DEMO_COLLECTING)
    collection, created = Collection.objects.get_or_create(pk=1, defaults={"period": period})
    if not created and collection.period_id == period.pk:
        return f"{period} (unchanged)"
    collection.period = period
    collection.save()
    return f"{period} (set)"


def regional_lead_permissions():
    return Permission.objects.filter(
        Q(content_type__app_label__in=["councils", "indicators"], codename__startswith="view_")
        | Q(
            content_type__app_label="indicators",
            codename__in=[
                "add_value",
                "change_value",
                "change_collection",
                "add_erratum",
                "change_erratum",
                "delete_erratum",
            ],
        )
    )


def council_lead_permissions():
    return Permission.objects.filter(content_type__app_label="indicators", codename="view_value")


def ensure_demo_user(
    username: str,
    password: str,
    role: str,
    *,
    staff: bool,
    permissions=None,
    councils=(),
) -> str:
    """Create a demo user with its role and councils, or reset its password, staff flag,
    permissions, role and councils; say what changed. Permissions are added, never taken
    away."""
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"is_staff": staff, "email": f"{username}@example.com"},
    )
    changes = ["created"] if created else []
    if user.is_staff != staff or not user.check_password(password):
        user.is_staff = staff
        user.set_password(password)
        user.save()
        changes.append("password set")
    if permissions is not None:
        missing = set(permissions) - set(user.user_permissions.all())
        if missing:
            user.user_permissions.add(*missing)
            changes.append("permissions granted")
    membership, made = Membership.objects.get_or_create(user=user, defaults={"role": role})
    if made or membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        changes.append("role set")
    if set(membership.councils.all()) != set(councils):
        membership.councils.set(councils)
        changes.append("councils set")
    return ", ".join(changes) or "unchanged"


def ensure_demo_users(password: str) -> list[tuple[str, str, str]]:
    """The demo's login for each role: (role label, user name, what changed)."""
    try:
        walsall = Area.objects.councils().get(code=WALSALL)
    except Area.DoesNotExist:
        raise CommandError("Walsall is not loaded; run load_reference first") from None
    users = [
        (Role.REGIONAL_LEAD, DEMO_USERNAME, True, regional_lead_permissions(), ()),
        (Role.COUNCIL_LEAD, COUNCIL_LEAD_USERNAME, True, council_lead_permissions(), [walsall]),
        (Role.VIEWER, VIEWER_USERNAME, False, None, ()),
    ]
    return [
        (
            role.label.lower(),
            username,
            ensure_demo_user(
                username, password, role, staff=staff, permissions=perms, councils=councils
            ),
        )
        for role, username, staff, perms, councils in users
    ]


class Command(BaseCommand):
    help = (
        "Load demo values of the local indicators for the 14 West Midlands councils (yearly, "
        f"and by quarter for the quarterly ones), set the period being collected to "
        f"{DEMO_COLLECTING} and create a login per role: '{DEMO_USERNAME}' (regional lead), "
        f"'{COUNCIL_LEAD_USERNAME}' (Walsall's council lead) and '{VIEWER_USERNAME}' (password: "
        f"DEMO_PASSWORD, default '{DEFAULT_DEMO_PASSWORD}'). Run load_reference first. Refused "
        "when SCORECARD_ENV is production. Safe to run again."
    )

    def handle(self, *args, **options):
        if settings.SCORECARD_ENV == "production":
            raise CommandError(
                "SCORECARD_ENV is production: the demo's known-password users are not created "
                "in a production deployment (nothing was changed)"
            )
        from_env = os.environ.get("DEMO_PASSWORD")
        password = from_env or DEFAULT_DEMO_PASSWORD
        with freshness.batch():
            counts = load_demo_values()
            collection = set_collection()
            users = ensure_demo_users(password)
        self.stdout.write(f"demo values: {counts}")
        self.stdout.write(f"period being collected: {collection}")
        for role, username, status in users:
            self.stdout.write(f"demo user {username} ({role}): {status}")
        shown = "the password in DEMO_PASSWORD" if from_env else password
        self.stdout.write(self.style.SUCCESS("Demo logins (admin at /admin/):"))
        for role, username, _ in users:
            self.stdout.write(self.style.SUCCESS(f"{role}: {username} / {shown}"))
