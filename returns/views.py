"""Leads' returns as pages: the submission tracker and one council's return for a period.

Who may do what, and what a save or a transition does, is `returns.workflow`'s: these views
only show what it allows and report what it refuses. Every page here is for signed-in users
and never cached (the public page cache is for anonymous readers only).
"""

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from councils.models import Area, ComparatorGroup
from indicators import clock
from indicators.models import Period, due_date, period_being_collected
from indicators.periods import format_period, parse_period, period_end
from returns import changelog, workflow
from returns.forms import EntryForm, TransitionForm
from returns.models import HANDED_IN, Action, Return, Role, State
from scorecard.exports import download

# "Not started" is a return with no row.
NOT_STARTED = "not_started"
STATE_ORDER = [State.PUBLISHED, State.SUBMITTED, State.RETURNED, State.DRAFT, NOT_STARTED]
STATE_WORDS = {**{s.value: s.label for s in State}, NOT_STARTED: "Not started"}


def _long_date(day) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


# The tracker ---------------------------------------------------------------------------------


@dataclass
class Row:
    council: Area
    state: str
    revision: int
    updated_by: str
    updated_at: object
    overdue: bool
    url: str

    @property
    def state_words(self) -> str:
        words = STATE_WORDS[self.state]
        return f"{words}, revision {self.revision}" if self.revision else words


def _tracker_periods(collecting) -> list[tuple[int, int | None]]:
    """The period being collected and every earlier one that has returns, latest first."""
    held = set(
        Period.objects.filter(returns__isnull=False).distinct().values_list("year", "quarter")
    )
    if collecting:
        held.add(tuple(collecting))
        held = {p for p in held if period_end(*p) <= period_end(*collecting)}
    return sorted(held, key=lambda p: (period_end(*p), p[1] is None), reverse=True)


def _tracker_councils(user, role):
    """A council lead's councils; every council of the default group for the others."""
    if role == Role.COUNCIL_LEAD:
        return list(workflow.councils_for(user).order_by("name"))
    group = ComparatorGroup.objects.filter(is_default=True).first()
    return list(group.councils.order_by("name")) if group else []


TRACKER_HEADER = [
    "period",
    "council",
    "state",
    "revision",
    "changed_by",
    "changed_at",
    "due",
    "overdue",
]
TRACKER_SOURCE = "West Midlands ADASS returns tracker"


def _tracker_download(request, label, rows, due):
    """The tracker's table as CSV, or as the JSON API's pages (docs/api.md)."""
    table = (
        [
            label,
            row.council.name,
            STATE_WORDS[row.state],
            row.revision,
            row.updated_by,
            row.updated_at.strftime("%Y-%m-%d %H:%M") if row.updated_at else None,
            due.isoformat() if due else None,
            "yes" if row.overdue else "no",
        ]
        for row in rows
    )
    return download(request, f"returns-{label}", TRACKER_HEADER, table, source_note=TRACKER_SOURCE)


@never_cache
@require_safe
@login_required
def tracker(request):
    role = workflow.role_of(request.user)
    if role is None:
        raise Http404("You have no role in the region's returns.")
    collecting = period_being_collected()
    periods = _tracker_periods(collecting)
    labels = [format_period(*p) for p in periods]
    errors = []
    period = tuple(collecting) if collecting else (periods[0] if periods else None)
    asked = request.GET.get("period")
    if asked:
        try:
            chosen = parse_period(asked)
        except ValueError:
            chosen = None
        if chosen in periods:
            period = chosen
        else:
            errors.append(
                (
                    "picker-period",
                    f"There are no returns for {asked!r}: choose one of the periods listed",
                )
            )
    if period is None:
        return render(request, "returns/tracker.html", {"period": None, "errors": errors})
    label = format_period(*period)
    councils = _tracker_councils(request.user, role)
    returns = {
        r.council_id: r
        for r in Return.objects.filter(
            period__year=period[0], period__quarter=period[1], council__in=councils
        ).select_related("updated_by")
    }
    due = due_date(period)
    passed = due is not None and clock.today() > due
    rows = []
    for council in councils:
        ret = returns.get(council.pk)
        state = ret.state if ret else NOT_STARTED
        may_open = role in (Role.REGIONAL_LEAD, Role.COUNCIL_LEAD)
        rows.append(
            Row(
                council=council,
                state=state,
                revision=ret.revision if ret else 0,
                updated_by=ret.updated_by.get_username() if ret and ret.updated_by else "",
                updated_at=ret.updated_at if ret else None,
                overdue=passed and state not in HANDED_IN,
                url=reverse("returns:return", args=[council.slug, label]) if may_open else "",
            )
        )
    counts = Counter(row.state for row in rows)
    summary = ", ".join(f"{counts[s]} {STATE_WORDS[s].lower()}" for s in STATE_ORDER if counts[s])
    if request.GET.get("format") in ("csv", "json"):
        return _tracker_download(request, label, rows, due)
    return render(
        request,
        "returns/tracker.html",
        {
            "period": label,
            "periods": list(reversed(labels)),
            "rows": rows,
            "summary": summary,
            "due": _long_date(due),
            "overdue_count": sum(row.overdue for row in rows),
            "errors": errors,
            "role": role,
        },
    )


# One council's return for a period ----------------------------------------------------------

ACTIONS = {
    "save": Action.SAVED,
    "submit": Action.SUBMITTED,
    "return": Action.RETURNED,
    "publish": Action.PUBLISHED,
    "reopen": Action.REOPENED,
}
DONE_WORDS = {
    "save": "Your draft was saved.",
    "submit": "The return was submitted: a regional lead checks it next.",
    "return": "The return was returned to its lead.",
    "publish": "The return was published: its values are on the public pages.",
    "reopen": "The return was reopened for a new revision.",
}


def shown(indicator, value) -> str:
    """A published value as a reader sees it: "45.0 %", "Green", "31 March 2025", a year as
    "2024" (`numbers.format_value`, the pages' formatter)."""
    from scorecard.numbers import format_number, format_value

    if value is None:
        return ""
    if value.date_value:
        return _long_date(value.date_value)
    if value.text_value:
        return value.text_value[:1].upper() + value.text_value[1:]
    if value.outcome is not None:
        text = format_value(value.outcome, indicator)
        if indicator.unit:
            text = f"{text} {indicator.unit}"
        if indicator.is_counted and value.numerator is not None:
            text += f" ({format_number(value.numerator, 0)} of "
            text += f"{format_number(value.denominator, 0)})"
        return text
    return value.get_outcome_status_display() or ""


def _workflow_errors(exc) -> dict:
    errors = getattr(exc, "errors", None)
    if errors is None and exc.args and isinstance(exc.args[0], dict):
        errors = exc.args[0]
    return errors or {}


@never_cache
@login_required
def return_screen(request, slug, period):
    council = Area.objects.councils().filter(slug=slug).first()
    try:
        year, quarter = parse_period(period)
    except ValueError:
        raise Http404("No period has that label.") from None
    if council is None or not workflow.councils_for(request.user).filter(pk=council.pk).exists():
        raise Http404("No return of yours has that address.")
    label = format_period(year, quarter)
    if label != period:
        return redirect("returns:return", slug, label)
    period_row = Period.objects.filter(year=year, quarter=quarter).first()
    ret = (
        Return.objects.filter(council=council, period=period_row)
        .select_related("updated_by")
        .first()
        if period_row
        else None
    )
    state = ret.state if ret else workflow.NOT_STARTED
    now = workflow.allowed(request.user, council, state)
    editable = Action.SAVED in now
    # Submitting from the screen saves the draft first, so it is open wherever a save is.
    allowed = {name: action in now for name, action in ACTIONS.items()}
    allowed["submit"] = editable and Action.SUBMITTED in workflow.allowed(
        request.user, council, State.DRAFT
    )
    measures = workflow.due_measures(council, period_row or Period(year=year, quarter=quarter))
    entries = {e.indicator_id: e for e in ret.entries.all()} if ret else {}
    errors, version = [], ret.version if ret else 0
    action = request.POST.get("action") if request.method == "POST" else None
    bound = request.POST if action in ("save", "submit") else None
    forms = [
        EntryForm(m, entries.get(m.pk), **({"data": bound} if bound is not None else {}))
        for m in measures
    ]
    transition = TransitionForm(request.POST if action in ("return", "reopen") else None)
    if request.method == "POST":
        if action not in ACTIONS or not allowed[action]:
            errors.append(("actions", "That cannot be done to this return now: nothing changed."))
        else:
            done = _act(request, action, council, label, ret, forms, transition, errors)
            if done:
                url = reverse("returns:return", args=[council.slug, label])
                return redirect(f"{url}?done={action}")
        version = request.POST.get("version") or version
    previous = workflow.previous_period(year, quarter)
    published = workflow.last_published(council, previous, measures)
    for form in forms:
        form.describe_fields()
    sections = [
        {
            "indicator": form.indicator,
            "form": form,
            "entry": entries.get(form.indicator.pk),
            "last": shown(form.indicator, published.get(form.indicator.pk)),
        }
        for form in forms
    ]
    summary = [
        (form[name].auto_id, f"{form.indicator.code}: {message}")
        for form in forms
        for name, messages in form.errors.items()
        for message in messages
    ]
    if transition.errors:
        summary += [("id_reason", m) for m in transition.errors.get("reason", [])]
    due = due_date((year, quarter))
    return render(
        request,
        "returns/return.html",
        {
            "council": council,
            "period": label,
            "previous": format_period(*previous),
            "ret": ret,
            "state_words": _state_words(ret),
            "sections": sections,
            "editable": editable,
            "allowed": allowed,
            "transition": transition,
            "version": version,
            "errors": errors + summary,
            "events": changelog.return_events(ret) if ret else [],
            "regional_lead": workflow.role_of(request.user) == Role.REGIONAL_LEAD,
            "due": _long_date(due),
            "overdue": due is not None and clock.today() > due and state not in HANDED_IN,
            "done": DONE_WORDS.get(request.GET.get("done", "")),
        },
    )


def _state_words(ret) -> str:
    if ret is None:
        return STATE_WORDS[NOT_STARTED]
    words = STATE_WORDS[ret.state]
    return f"{words}, revision {ret.revision}" if ret.revision else words


def _act(request, action, council, label, ret, forms, transition, errors) -> bool:
    """Do what the button asks through the workflow; True when done. Nothing is saved when
    anything is refused."""
    user = request.user
    try:
        if action in ("save", "submit"):
            if not all([form.is_valid() for form in forms]):
                return False
            entries = {form.indicator.pk: form.entry() for form in forms}
            version = request.POST.get("version")
            with transaction.atomic():
                saved = workflow.save_draft(
                    user,
                    council,
                    Period.objects.for_label(label),
                    entries,
                    version=int(version) if version and version.isdigit() else None,
                )
                if action == "submit":
                    workflow.submit(user, saved)
            return True
        if ret is None:
            errors.append(("actions", "This return has not been started: nothing changed."))
            return False
        if action == "publish":
            workflow.publish(user, ret)
            return True
        if not transition.is_valid():
            return False
        reason = transition.cleaned_data["reason"].strip()
        if not reason:
            what = "returning it to its lead" if action == "return" else "reopening it"
            transition.add_error("reason", f"Enter the reason for {what}")
            return False
        if action == "return":
            workflow.return_to_lead(user, ret, reason)
        else:
            workflow.reopen(user, ret, reason)
        return True
    except workflow.EntryErrors as exc:
        by_id = {form.indicator.pk: form for form in forms}
        for indicator_id, problems in _workflow_errors(exc).items():
            form = by_id.get(int(indicator_id))
            if form is not None:
                form.add_workflow_errors(problems)
            else:
                errors.extend(("actions", message) for _, message in problems)
        if not any(form.errors for form in forms):
            errors.append(("actions", str(exc)))
        return False
    except workflow.WorkflowError as exc:
        errors.append(("actions", f"Nothing changed: {exc}"))
        return False
