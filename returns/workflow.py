"""Who may do what to a return, and doing it: saving a draft, submitting, returning to the
lead, publishing and reopening. No views: the screens call these.

A return is one council × one period. Its states (`State`; no row is *not started*)::

    not started → draft → submitted → published
                           submitted → returned → draft (by saving it)
                                       published → draft (reopened: a revision)

`TRANSITIONS` says, for each action, the states it may start from, the state it leads to and
the roles that may take it; the README's "Returns: who may do what" is the same table. Every
save and transition is one transaction and writes an `Event` (from and to state, reason, who);
a save also writes an `EntryChange` per field it changes. A refused action (wrong role, wrong
state, a stale version, a missing reason) raises `WorkflowError` and changes nothing.

Entries are checked by the admin's own form (`indicators.forms.ValueForm`), so an entry is
valid exactly when the admin would save it as the council's value for the period: the fields of
the measure's kind, a percentage of the region's own as its numerator and denominator (the
outcome worked out by `validation.outcome_from_counts`), a blank value with the reason it is
missing (an availability status), and every rule of `indicators.validation` refused, not
flagged. Entries are stored in `Value`'s terms, as that form cleans them.

`Value` holds published figures only: publishing writes a return's entries into it inside
`scorecard.freshness.batch()` (one transaction; the stored results are recomputed once), as
the admin's `save_model` does (`entered_by`, a new `version`, `ValueChange` rows). Until then,
and while a reopened return is revised, the public figures are the published ones.

`Return.version` counts every change of the return (saves and transitions), so a form opened
before any of them is refused (`StaleVersion`).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.forms.utils import ErrorDict
from django.urls import reverse

from councils.models import Area, ComparatorGroup
from indicators import validation
from indicators.forms import ValueForm, _audited, fields_for
from indicators.models import (
    TOTAL,
    Indicator,
    Period,
    Source,
    Value,
    ValueChange,
    period_being_collected,
)
from indicators.periods import format_period, parse_period
from scorecard import freshness

from .models import Action, Entry, EntryChange, Event, Membership, Return, Role, State

logger = logging.getLogger(__name__)

NOT_STARTED = ""  # a return with no row, as an Event's from_state stores it
# An entry's value fields (as `Value`'s), and what else a save may give.
VALUE_FIELDS = (
    "outcome",
    "outcome_status",
    "numerator",
    "numerator_status",
    "denominator",
    "denominator_status",
    "text_value",
    "date_value",
)
ENTRY_FIELDS = (*VALUE_FIELDS, "comment")
EDITING = (Action.SAVED, Action.UPLOADED)
LEADS = frozenset({Role.COUNCIL_LEAD, Role.REGIONAL_LEAD})


@dataclass(frozen=True)
class Transition:
    sources: frozenset  # states it may start from; NOT_STARTED for a return with no row
    target: str
    roles: frozenset
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    Action.SAVED: Transition(
        frozenset({NOT_STARTED, State.DRAFT, State.RETURNED}), State.DRAFT, LEADS
    ),
    Action.UPLOADED: Transition(
        frozenset({NOT_STARTED, State.DRAFT, State.RETURNED}), State.DRAFT, LEADS
    ),
    Action.SUBMITTED: Transition(frozenset({State.DRAFT}), State.SUBMITTED, LEADS),
    Action.RETURNED: Transition(
        frozenset({State.SUBMITTED}),
        State.RETURNED,
        frozenset({Role.REGIONAL_LEAD}),
        needs_reason=True,
    ),
    Action.PUBLISHED: Transition(
        frozenset({State.SUBMITTED}), State.PUBLISHED, frozenset({Role.REGIONAL_LEAD})
    ),
    Action.REOPENED: Transition(
        frozenset({State.PUBLISHED}),
        State.DRAFT,
        frozenset({Role.REGIONAL_LEAD}),
        needs_reason=True,
    ),
}


class WorkflowError(Exception):
    """An action refused: the user may not, the return is in the wrong state, a reason is
    missing, or a due measure has no entry. Nothing was changed."""


class StaleVersion(WorkflowError):
    """The return changed after the form was opened."""


class EntryErrors(WorkflowError):
    """Entries that are not valid: `errors` maps each indicator id to every problem of its
    entry, as (field, message); the field is None for a problem of the whole entry."""

    def __init__(self, errors: dict[int, list[tuple[str | None, str]]]):
        self.errors = errors
        codes = dict(Indicator.objects.filter(pk__in=errors).values_list("pk", "code"))
        summary = "; ".join(
            f"{codes.get(pk, pk)}: {' '.join(message for _, message in problems)}"
            for pk, problems in errors.items()
        )
        super().__init__(f"Nothing was saved. {summary}")


# Roles --------------------------------------------------------------------------------------


def role_of(user) -> Role | None:
    """The user's role: a superuser is a regional lead; a user without a membership (or not
    signed in, or inactive) has none."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Role.REGIONAL_LEAD
    membership = Membership.objects.filter(user=user).values_list("role", flat=True).first()
    return Role(membership) if membership else None


def _region_councils():
    group = ComparatorGroup.objects.filter(is_default=True).first()
    return group.councils.all() if group else Area.objects.none()


def councils_for(user):
    """The councils the user may enter returns for (a queryset of `Area`): every council of
    the default group for a regional lead, a council lead's assigned ones, none otherwise."""
    role = role_of(user)
    if role == Role.REGIONAL_LEAD:
        return _region_councils()
    if role == Role.COUNCIL_LEAD:
        return _region_councils().filter(leads__user=user)
    return Area.objects.none()


def may(user, action, council) -> bool:
    """Whether the user's role may take `action` (an `Action`) for the council's returns,
    whatever state they are in (`TRANSITIONS` says which states each action starts from)."""
    transition = TRANSITIONS.get(action)
    if transition is None or role_of(user) not in transition.roles:
        return False
    council_id = getattr(council, "pk", council)
    return councils_for(user).filter(pk=council_id).exists()


def allowed(user, council, state: str) -> set[str]:
    """The actions the user may take now on the council's return in `state` (NOT_STARTED
    without one), by `TRANSITIONS`."""
    if not councils_for(user).filter(pk=getattr(council, "pk", council)).exists():
        return set()
    role = role_of(user)
    return {
        action
        for action, transition in TRANSITIONS.items()
        if state in transition.sources and role in transition.roles
    }


def _check_may(user, action, council) -> None:
    if not may(user, action, council):
        role = role_of(user)
        who = f"a {role.label.lower()}" if role else "a user without a role"
        raise WorkflowError(
            f"{user} may not {_verb(action)} {council}'s returns: {who} may not."
            if role in TRANSITIONS[action].roles
            else f"{user} may not {_verb(action)} returns: {who} may not."
        )


def _verb(action) -> str:
    return {
        Action.SAVED: "save",
        Action.UPLOADED: "upload",
        Action.SUBMITTED: "submit",
        Action.RETURNED: "return",
        Action.PUBLISHED: "publish",
        Action.REOPENED: "reopen",
    }[action]


def _check_state(action, state: str, return_label: str) -> None:
    if state not in TRANSITIONS[action].sources:
        shown = State(state).label.lower() if state else "not started"
        allowed = ", ".join(
            State(s).label.lower() if s else "not started"
            for s in sorted(TRANSITIONS[action].sources)
        )
        raise WorkflowError(
            f"{return_label} is {shown}: only a return that is {allowed} can be "
            f"{Action(action).label.lower()}."
        )


def _check_reason(action, reason: str) -> str:
    reason = (reason or "").strip()
    if TRANSITIONS[action].needs_reason and not reason:
        raise WorkflowError(f"Give a reason: a return is {Action(action).label.lower()} with one.")
    return reason


# What is due -------------------------------------------------------------------------------


def _period(period) -> Period:
    """A Period row from a Period, a label ("2025-26 Q3") or (year, quarter), created if
    needed (periods exist when needed)."""
    if isinstance(period, Period):
        return period
    label = period if isinstance(period, str) else format_period(*period)
    parse_period(label)
    return Period.objects.for_label(label)


def _is_due(indicator: Indicator, period: Period) -> bool:
    first = indicator.quarterly_from
    return not validation.check_frequency(
        period.year,
        period.quarter,
        basis=indicator.quarterly_basis,
        quarterly_from=(first.year, first.quarter) if first else None,
    )


def due_measures(council, period) -> list[Indicator]:
    """The region's own measures due for the period (a Period, label or (year, quarter)):
    those `validation.check_frequency` accepts the period for. For a quarter, the measures
    collected by quarter from that quarter on; for a year, the yearly measures and quarterly
    ones before their first quarter. The same for every council of the region."""
    if not isinstance(period, Period):
        year, quarter = parse_period(period if isinstance(period, str) else format_period(*period))
        period = Period(year=year, quarter=quarter)
    measures = Indicator.objects.filter(source=Source.LOCAL).select_related("quarterly_from")
    return [indicator for indicator in measures if _is_due(indicator, period)]


# Saving a draft ------------------------------------------------------------------------------


def previous_period(year: int, quarter: int | None) -> tuple[int, int | None]:
    """The period before: the year before a year, the quarter before a quarter."""
    if quarter is None:
        return year - 1, None
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def last_published(council, previous: tuple[int, int | None], measures) -> dict[int, Value]:
    """indicator id -> the council's published value (the total) of each of `measures` for
    the `previous` period: what a lead sees beside each measure, on the screen and in the
    template (1 query)."""
    return {
        value.indicator_id: value
        for value in Value.objects.filter(
            area=council,
            period__year=previous[0],
            period__quarter=previous[1],
            indicator__in=measures,
            disaggregation=TOTAL,
        )
    }


def _label(council, period) -> str:
    return f"{council}'s return for {period}"


def _lock(return_: Return) -> Return:
    """The return's row, locked until the transaction ends; `return_` refreshed from it."""
    stored = Return.objects.select_for_update().filter(pk=return_.pk).first()
    if stored is None:
        raise WorkflowError(f"{return_} no longer exists.")
    for name in ("state", "revision", "version", "updated_by_id"):
        setattr(return_, name, getattr(stored, name))
    return return_


def _published_value(council, indicator, period, *, lock=False) -> Value | None:
    values = Value.objects.filter(
        area=council, indicator=indicator, period=period, disaggregation=TOTAL
    )
    return (values.select_for_update() if lock else values).first()


def _form(council, indicator, period, fields: dict, comment: str, value: Value | None):
    """The admin's form for the council's value of the indicator for the period, filled with
    an entry's fields: bound to the published value if there is one."""
    data = {
        "area": council.pk,
        "indicator": indicator.pk,
        "period": period.label,
        "disaggregation": TOTAL,
        "version": value.version if value else 1,
        "note": comment,
        "quality_flag": value.quality_flag if value else "",
        # Fields an entry does not hold keep the published value's.
        **(
            {
                name: getattr(value, name)
                for name in ("base", "base_status", "margin_of_error", "margin_of_error_status")
            }
            if value
            else {}
        ),
    }
    for name, given in fields.items():
        data[name] = "" if given is None else given
    return ValueForm(data=data, instance=value)


def _problems(form) -> list[tuple[str | None, str]]:
    """The form's problems, each once: its summary ("Nothing was saved. …") repeats them."""
    problems = []
    for name, messages in ErrorDict(form.errors).items():
        for message in messages:
            if name == "__all__" and message.startswith("Nothing was saved."):
                continue
            problems.append((None if name == "__all__" else name, message))
    return problems


def _entry_fields(indicator: Indicator) -> set[str]:
    return {name for line in fields_for(indicator.kind, indicator.is_counted) for name in line}


def _blank(given) -> bool:
    return given is None or (isinstance(given, str) and not given.strip())


def _check_entry(council, indicator, period, given: dict):
    """(the entry's values as the admin's form cleans them, problems)."""
    problems = [
        (name, f"{name} is not a field of an entry") for name in given if name not in ENTRY_FIELDS
    ]
    shown = _entry_fields(indicator) & set(VALUE_FIELDS)
    for name in VALUE_FIELDS:
        if name in given and name not in shown and not _blank(given[name]):
            why = (
                ": it is worked out from the numerator and denominator"
                if indicator.is_counted and name.startswith("outcome")
                else ""
            )
            problems.append(
                (name, f"{name.replace('_', ' ')} is not entered for this measure{why}")
            )
    fields = {name: given.get(name) for name in shown}
    comment = (given.get("comment") or "").strip()
    form = _form(
        council, indicator, period, fields, comment, _published_value(council, indicator, period)
    )
    if not form.is_valid():
        problems += _problems(form)
    if problems:
        return None, problems
    values = {name: getattr(form.instance, name) for name in VALUE_FIELDS}
    if values["outcome"] is not None:
        values["outcome"] = float(values["outcome"])
    return {**values, "comment": comment}, []


def save_draft(
    user, council, period, entries: dict, *, version: int | None = None, action=Action.SAVED
) -> Return:
    """Save entries (indicator id → {field: value}) into the council's return for the period,
    creating it (a draft) on the first save; a returned return becomes a draft again.

    Fields are `Entry`'s: the value fields of the measure's kind (a counted percentage's
    numerator and denominator, a rating's `text_value`…), each with its `…_status` saying why
    it is blank, and a `comment`. A measure's fields replace its entry's; measures not given
    keep theirs; a measure given with every field blank and no entry yet is skipped.

    `version` is the return's version when the form was opened (0: not started yet); None
    skips the check. `action` is `Action.UPLOADED` for an upload. Raises `WorkflowError` (the
    user may not, the return cannot be edited, `StaleVersion`) or `EntryErrors` (every problem
    of every entry); then nothing is saved."""
    if action not in EDITING:
        raise ValueError(f"save_draft saves or uploads, not {action!r}")
    period = _period(period)
    _check_may(user, action, council)
    collecting = period_being_collected()
    late = validation.check_period(period.year, period.quarter, collecting)
    if late:
        raise WorkflowError(f"Nothing was saved: {late[0].message}.")
    due = {indicator.pk: indicator for indicator in due_measures(council, period)}

    entries = {int(key): given for key, given in entries.items()}
    checked, errors = {}, {}
    for pk, given in entries.items():
        indicator = due.get(pk)
        if indicator is None:
            errors[pk] = [(None, f"measure {pk} is not one of the measures due for {period}")]
            continue
        if all(_blank(v) for v in given.values()):
            checked[pk] = None  # skipped unless it has an entry (then checked below)
            continue
        values, problems = _check_entry(council, indicator, period, given)
        if problems:
            errors[pk] = problems
        else:
            checked[pk] = values

    try:
        with transaction.atomic():
            return_ = (
                Return.objects.select_for_update().filter(council=council, period=period).first()
            )
            state = return_.state if return_ else NOT_STARTED
            label = _label(council, period)
            if version is not None and version != (return_.version if return_ else 0):
                raise StaleVersion(
                    f"Nothing was saved: {label} changed after you opened it (it is now "
                    f"{State(state).label.lower() if state else 'not started'}, version "
                    f"{return_.version if return_ else 0}). Reload it, then make your change again."
                )
            _check_state(action, state, label)
            stored = (
                {entry.indicator_id: entry for entry in return_.entries.all()} if return_ else {}
            )
            for pk in [pk for pk, values in checked.items() if values is None]:
                if pk in stored:  # clearing an entry: it needs a value or a reason still
                    _, errors[pk] = _check_entry(council, due[pk], period, entries.get(pk, {}))
                del checked[pk]
            if errors:
                raise EntryErrors(dict(sorted(errors.items())))

            changes, touched = [], []
            for pk, values in checked.items():
                entry = stored.get(pk) or Entry(indicator_id=pk)
                before = len(changes)
                for name, new in values.items():
                    old = _audited(getattr(entry, name))
                    if old != _audited(new):
                        changes.append((entry, name, old, _audited(new)))
                    setattr(entry, name, new)
                if len(changes) > before:
                    touched.append(entry)
            if return_ is not None and not changes and state == State.DRAFT:
                return return_  # nothing changed: no event, no new version

            if return_ is None:
                return_ = Return.objects.create(
                    council=council, period=period, state=State.DRAFT, updated_by=user
                )
            else:
                return_.state, return_.updated_by = State.DRAFT, user
                return_.version += 1
                return_.save(update_fields=["state", "updated_by", "version", "updated_at"])
            event = Event.objects.create(
                submission=return_, action=action, from_state=state, to_state=State.DRAFT, by=user
            )
            for entry in touched:
                entry.submission = return_
                entry.save()
            EntryChange.objects.bulk_create(
                EntryChange(entry=entry, event=event, field=name, old=old, new=new)
                for entry, name, old, new in changes
            )
            return return_
    except IntegrityError as error:  # someone else started the return at the same moment
        raise StaleVersion(
            f"Nothing was saved: {_label(council, period)} was started by someone else "
            "meanwhile. Reload it, then make your change again."
        ) from error


# Transitions -------------------------------------------------------------------------------


def _transition(user, return_: Return, action, reason: str = "") -> tuple[str, str]:
    """Check and lock for a transition (inside the caller's transaction): (from state,
    reason)."""
    _check_may(user, action, return_.council)
    reason = _check_reason(action, reason)
    _lock(return_)
    _check_state(action, return_.state, _label(return_.council, return_.period))
    return return_.state, reason


def _record(user, return_: Return, action, from_state: str, reason: str = "", **fields) -> None:
    return_.state = TRANSITIONS[action].target
    return_.updated_by = user
    return_.version += 1
    for name, value in fields.items():
        setattr(return_, name, value)
    return_.save(update_fields=["state", "updated_by", "version", "updated_at", *fields])
    Event.objects.create(
        submission=return_,
        action=action,
        from_state=from_state,
        to_state=return_.state,
        reason=reason,
        by=user,
    )


def missing_measures(return_: Return) -> list[Indicator]:
    """The due measures the return has no entry for (every entry has a value or a reason)."""
    entered = set(return_.entries.values_list("indicator_id", flat=True))
    return [i for i in due_measures(return_.council, return_.period) if i.pk not in entered]


def submit(user, return_: Return, reason: str = "") -> Return:
    """Draft → submitted, when every due measure has an entry with a value or a reason."""
    with transaction.atomic():
        from_state, reason = _transition(user, return_, Action.SUBMITTED, reason)
        missing = missing_measures(return_)
        if missing:
            raise WorkflowError(
                f"{_label(return_.council, return_.period)} cannot be submitted: give a value, "
                "or the reason there is none, for "
                + ", ".join(f"{i.code} {i.name}" for i in missing)
                + "."
            )
        _record(user, return_, Action.SUBMITTED, from_state, reason)
    return return_


def link(council, period_label: str) -> str:
    """The address of the council's return screen for the period, as an e-mail gives it
    (`SITE_URL`)."""
    return settings.SITE_URL + reverse("returns:return", args=[council.slug, period_label])


def lead_addresses(council) -> list[str]:
    """The e-mail addresses of the council's leads."""
    return sorted(
        {
            address
            for address in Membership.objects.filter(
                role=Role.COUNCIL_LEAD, councils=council, user__is_active=True
            ).values_list("user__email", flat=True)
            if address
        }
    )


def return_to_lead(user, return_: Return, reason: str) -> Return:
    """Submitted → returned, with the reason, e-mailed to the council's leads once the change
    is saved (a failed e-mail is logged; the return stays returned, its reason in its
    events)."""
    with transaction.atomic():
        from_state, reason = _transition(user, return_, Action.RETURNED, reason)
        _record(user, return_, Action.RETURNED, from_state, reason)
    label = _label(return_.council, return_.period)
    addresses = lead_addresses(return_.council)
    if addresses:
        try:
            send_mail(
                f"{label} has been returned to you",
                f"{label} has been returned to you by {user} for this reason:\n\n{reason}\n\n"
                f"Change it and submit it again: {link(return_.council, return_.period.label)}",
                None,
                addresses,
            )
        except Exception:
            logger.exception("The e-mail returning %s was not sent", label)
    return return_


def _write_value(user, return_: Return, entry: Entry) -> bool:
    """The entry as the council's published value, as the admin saves one; False if the value
    already says it."""
    council, period, indicator = return_.council, return_.period, entry.indicator
    value = _published_value(council, indicator, period, lock=True)
    shown = _entry_fields(indicator) & set(VALUE_FIELDS)
    form = _form(
        council,
        indicator,
        period,
        {name: getattr(entry, name) for name in shown},
        entry.comment,
        value,
    )
    if not form.is_valid():
        raise EntryErrors({indicator.pk: _problems(form)})
    audit = [row for row in form.audit() if row[0] in (*VALUE_FIELDS, "note", "quality_flag")]
    if value is not None and not audit:
        return False
    saved = form.save(commit=False)
    saved.entered_by = user
    saved.import_run = None
    saved.version = value.version + 1 if value else 1
    saved.save()
    ValueChange.objects.bulk_create(
        ValueChange(
            value=saved,
            field=name,
            old=old,
            new=new,
            changed_by=user,
            via=ValueChange.Via.RETURN,
        )
        for name, old, new in audit
    )
    return True


def publish(user, return_: Return, reason: str = "") -> Return:
    """Submitted → published: each entry written into the council's `Value` for its measure
    and period (the total), in one transaction inside `freshness.batch()`, so the stored
    results are recomputed once. A published value the return does not touch stays."""
    with freshness.batch():
        from_state, reason = _transition(user, return_, Action.PUBLISHED, reason)
        for entry in return_.entries.select_related("indicator__quarterly_from"):
            _write_value(user, return_, entry)
        _record(user, return_, Action.PUBLISHED, from_state, reason)
    return return_


def reopen(user, return_: Return, reason: str) -> Return:
    """Published → draft, a new revision; the published values stay until it is published."""
    with transaction.atomic():
        from_state, reason = _transition(user, return_, Action.REOPENED, reason)
        _record(user, return_, Action.REOPENED, from_state, reason, revision=return_.revision + 1)
    return return_


__all__ = [
    "TRANSITIONS",
    "EntryErrors",
    "StaleVersion",
    "Transition",
    "WorkflowError",
    "councils_for",
    "due_measures",
    "last_published",
    "lead_addresses",
    "link",
    "may",
    "missing_measures",
    "previous_period",
    "publish",
    "reopen",
    "return_to_lead",
    "role_of",
    "save_draft",
    "submit",
]
