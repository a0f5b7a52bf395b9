"""Demo returns for the period being collected, so that the tracker shows every state: three
councils published, two submitted, Walsall returned to its lead with a reason, one draft and
the rest not started. Each return repeats the council's figures of the quarter before, through
the workflow (`returns.workflow`), as the demo's leads would: `walsall-lead` for Walsall, the
regional lead `demo` for the rest. Run after `load_demo`; a period that already has returns is
left as it is. Refused in production mode, as `load_demo` is.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from indicators.forms import fields_for
from indicators.models import TOTAL, Availability, Period, Value, period_being_collected
from returns import workflow
from returns.models import Return, State

PLAN = {
    "Birmingham": State.PUBLISHED,
    "Coventry": State.PUBLISHED,
    "Dudley": State.PUBLISHED,
    "Herefordshire": State.SUBMITTED,
    "Sandwell": State.SUBMITTED,
    "Walsall": State.RETURNED,
    "Shropshire": State.DRAFT,
}
RETURNED_BECAUSE = "The agency staff share fell by half in a quarter: please check the days."


def _previous(period: Period) -> tuple[int, int | None]:
    if period.quarter is None:
        return period.year - 1, None
    return (period.year, period.quarter - 1) if period.quarter > 1 else (period.year - 1, 4)


def repeated_entries(council, period: Period) -> dict[int, dict]:
    """Every measure due, with the council's published figures of the period before (the
    reason "not available" where there are none)."""
    year, quarter = _previous(period)
    before = {
        value.indicator_id: value
        for value in Value.objects.filter(
            area=council, period__year=year, period__quarter=quarter, disaggregation=TOTAL
        )
    }
    entries = {}
    for indicator in workflow.due_measures(council, period):
        names = [
            name
            for name, _ in fields_for(indicator.kind, indicator.is_counted)
            if name in workflow.VALUE_FIELDS
        ]
        value = before.get(indicator.pk)
        if value is None or value.outcome_status != Availability.AVAILABLE:
            entries[indicator.pk] = {f"{names[0]}_status": Availability.NOT_AVAILABLE}
            continue
        entries[indicator.pk] = {name: getattr(value, name) for name in names}
    return entries


class Command(BaseCommand):
    help = (
        "Demo returns for the period being collected, in every state. Run after load_demo; "
        "refused in production mode. Safe to run again."
    )

    def handle(self, *args, **options):
        if settings.SCORECARD_ENV == "production":
            raise CommandError("SCORECARD_ENV is production: demo returns are not made there.")
        collecting = period_being_collected()
        if collecting is None:
            raise CommandError("Nothing is being collected: run load_demo first.")
        period = Period.objects.get_or_create(year=collecting[0], quarter=collecting[1])[0]
        if Return.objects.filter(period=period).exists():
            self.stdout.write(f"demo returns: {period} already has returns, left as they are")
            return
        users = get_user_model().objects
        try:
            regional, walsall = users.get(username="demo"), users.get(username="walsall-lead")
        except get_user_model().DoesNotExist as error:
            raise CommandError("Run load_demo first: it creates the demo's leads.") from error
        group = workflow.councils_for(regional)
        councils = {council.name: council for council in group.filter(name__in=PLAN)}
        with transaction.atomic():
            for name, state in PLAN.items():
                council = councils[name]
                lead = walsall if name == "Walsall" else regional
                made = workflow.save_draft(lead, council, period, repeated_entries(council, period))
                if state != State.DRAFT:
                    workflow.submit(lead, made)
                if state == State.PUBLISHED:
                    workflow.publish(regional, made)
                elif state == State.RETURNED:
                    workflow.return_to_lead(regional, made, RETURNED_BECAUSE)
        counts = ", ".join(
            f"{sum(1 for s in PLAN.values() if s == state)} {state.label.lower()}"
            for state in (State.PUBLISHED, State.SUBMITTED, State.RETURNED, State.DRAFT)
        )
        self.stdout.write(f"demo returns for {period}: {counts}; the rest not started")
