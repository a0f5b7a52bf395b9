"""The change log for regional leads (`/returns/changes/`): every recorded change, newest
first, in one table, filtered by council, measure, person and date, paged, and downloadable.

Two audits feed it, read as they are stored:
- a return's `Event`s (saved, uploaded, submitted, returned, published, reopened) with the
  `EntryChange`s of each save or upload: one row per field changed, under the step's reason;
  a step that changed no field (submitting, returning, publishing, reopening) is one row whose
  field is the return's state;
- `indicators.ValueChange`, the published values' audit: one row per field an import, an edit
  in the admin or a return's publishing changed; an import's row names its file.

Both are shaped into the same columns and joined with one UNION ALL, filtered inside each part,
so a page is two queries (the count and the page's rows) whatever the size of the log.
"""

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Value,
    When,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from councils.models import Area
from indicators.models import Availability, Indicator, ValueChange
from indicators.periods import format_period
from returns import workflow
from returns.models import Action, EntryChange, Event, Role, State
from scorecard.exports import download, table_rows

PER_PAGE = 50
CHANGES_SOURCE = "West Midlands ADASS returns change log"
RETURN, VALUE = "return", "value"
# A published value's change, by the path that wrote it (`ValueChange.via`).
IMPORTED, EDITED, CORRECTED = "imported", "edited", "corrected"
ACTION_WORDS = {
    Action.SAVED: "Typed in the return",
    Action.UPLOADED: "Uploaded to the return",
    Action.SUBMITTED: "Submitted",
    Action.RETURNED: "Returned to the lead",
    Action.PUBLISHED: "Published",
    Action.REOPENED: "Reopened",
    IMPORTED: "Imported",
    EDITED: "Edited in the admin",
    CORRECTED: "Corrected by an erratum",
}
FIELD_WORDS = {"text_value": "Value", "date_value": "Date", "state": "State"}
STATE_WORDS = {"": "Not started", **{state.value: state.label for state in State}}
AVAILABILITY_WORDS = {status.value: status.label for status in Availability}
# A row's columns, in the same order from every source: a UNION matches them by position.
COLUMNS = (
    "happened",
    "person",
    "action_code",
    "council_name",
    "council_slug",
    "measure_code",
    "period_year",
    "period_quarter",
    "field_name",
    "old_value",
    "new_value",
    "why",
    "kind",
    "ident",
)


def _text(value) -> Value:
    return Value(value, output_field=CharField())


def _entry_changes():
    """Each field a save or an upload of a return changed."""
    return EntryChange.objects.annotate(
        happened=F("event__at"),
        person=F("event__by__username"),
        action_code=F("event__action"),
        council_name=F("event__submission__council__name"),
        council_slug=F("event__submission__council__slug"),
        measure_code=F("entry__indicator__code"),
        period_year=F("event__submission__period__year"),
        period_quarter=F("event__submission__period__quarter"),
        field_name=F("field"),
        old_value=F("old"),
        new_value=F("new"),
        why=F("event__reason"),
        kind=_text(RETURN),
        ident=F("pk"),
    )


def _steps():
    """Each step of a return that changed no field, as a change of its state."""
    no_fields = ~Exists(EntryChange.objects.filter(event=OuterRef("pk")))
    return Event.objects.filter(no_fields).annotate(
        happened=F("at"),
        person=F("by__username"),
        action_code=F("action"),
        council_name=F("submission__council__name"),
        council_slug=F("submission__council__slug"),
        measure_code=_text(None),
        period_year=F("submission__period__year"),
        period_quarter=F("submission__period__quarter"),
        field_name=_text("state"),
        old_value=F("from_state"),
        new_value=F("to_state"),
        why=F("reason"),
        kind=_text(RETURN),
        ident=F("pk"),
    )


def _value_changes():
    """Each field of a published value changed by an import, the admin, a return's publishing
    or an erratum."""
    via = ValueChange.Via
    return ValueChange.objects.annotate(
        happened=F("changed_at"),
        person=F("changed_by__username"),
        action_code=Case(
            When(via=via.IMPORT, then=_text(IMPORTED)),
            When(via=via.RETURN, then=_text(Action.PUBLISHED)),
            When(via=via.ERRATUM, then=_text(CORRECTED)),
            default=_text(EDITED),
        ),
        council_name=F("value__area__name"),
        council_slug=F("value__area__slug"),
        measure_code=F("value__indicator__code"),
        period_year=F("value__period__year"),
        period_quarter=F("value__period__quarter"),
        field_name=F("field"),
        old_value=F("old"),
        new_value=F("new"),
        why=Case(When(via=via.IMPORT, then=F("import_run__file_name")), default=F("reason")),
        kind=_text(VALUE),
        ident=F("pk"),
    )


def change_rows(filters: "ChangeFilter"):
    """Every change the (validated) filters let through, as dicts of `COLUMNS`, newest first;
    unevaluated, so that a table can count it and read one page of it."""
    first, *rest = [
        filters.filter_queryset(part).order_by().values(*COLUMNS)
        for part in (_entry_changes(), _steps(), _value_changes())
    ]
    return first.union(*rest, all=True).order_by("-happened", "kind", "-ident")


def return_events(return_) -> list[Event]:
    """A return's events, latest first, each with who made it and the fields it changed (each
    with its measure, and `words`: the field, old and new as the change log shows them), in two
    queries, for the return screen's history."""
    fields = EntryChange.objects.select_related("entry__indicator").order_by("pk")
    events = list(return_.events.select_related("by").prefetch_related(Prefetch("changes", fields)))
    for event in events:
        for change in event.changes.all():
            change.words = (
                field_words(change.field),
                shown(change.field, change.old),
                shown(change.field, change.new),
            )
    return events


def field_words(field: str) -> str:
    """A stored field's name as a reader says it: "Numerator availability", "Value"."""
    words = FIELD_WORDS.get(field) or field.replace("_status", " availability")
    return words.replace("_", " ").capitalize()


def shown(field: str, stored: str) -> str:
    """A stored old or new value as a reader says it: a state or an availability in words,
    anything else as stored."""
    if field == "state":
        return STATE_WORDS.get(stored, stored)
    if field.endswith("_status"):
        return AVAILABILITY_WORDS.get(stored, stored)
    return stored


# The filters -------------------------------------------------------------------------------


class ChangeFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from_date"), cleaned.get("to_date")
        if start and end and end < start:
            self.add_error("to_date", "The date to must be the same as or after the date from")
        return cleaned


DATE_HINT = "As year-month-day, for example 2025-10-01"


class ChangeFilter(django_filters.FilterSet):
    """What the change log shows: the filters name columns that every source has."""

    council = django_filters.ChoiceFilter(
        label="Council", field_name="council_slug", empty_label="Any council"
    )
    measure = django_filters.ChoiceFilter(
        label="Measure", field_name="measure_code", empty_label="Any measure"
    )
    person = django_filters.ChoiceFilter(
        label="Person",
        field_name="person",
        empty_label="Anyone",
        help_text="Who made the change: imports are nobody's",
    )
    from_date = django_filters.DateFilter(
        label="From",
        field_name="happened",
        lookup_expr="date__gte",
        help_text=DATE_HINT,
        error_messages={"invalid": "The date from must be a real date, like 2025-10-01"},
    )
    to_date = django_filters.DateFilter(
        label="To",
        field_name="happened",
        lookup_expr="date__lte",
        help_text=DATE_HINT,
        error_messages={"invalid": "The date to must be a real date, like 2025-12-31"},
    )

    class Meta:
        form = ChangeFilterForm

    def __init__(self, data=None):
        # Not a queryset's filters: `change_rows` filters each source with `filter_queryset`.
        super().__init__(data, queryset=EntryChange.objects.none())
        # One query for each list of choices, however often the form reads them.
        self.filters["council"].extra["choices"] = list(
            Area.objects.councils().order_by("name").values_list("slug", "name")
        )
        self.filters["measure"].extra["choices"] = [
            (code, f"{code} {name}")
            for code, name in Indicator.objects.order_by("code").values_list("code", "name")
        ]
        users = get_user_model().objects.order_by("username").values_list("username", flat=True)
        self.filters["person"].extra["choices"] = [(name, name) for name in users]


# The table ---------------------------------------------------------------------------------


class ChangeTable(tables.Table):
    """The change log's rows (dicts of `COLUMNS`), newest first; the same columns download."""

    happened = tables.Column("When")
    person = tables.Column("Who", default="–")
    action = tables.Column("What", accessor="action_code")
    council = tables.Column("Council", accessor="council_name")
    measure = tables.Column("Measure", accessor="measure_code", default="–")
    period = tables.Column("Period", accessor="period_year")
    field = tables.Column("Field", accessor="field_name")
    old = tables.Column("Old value", accessor="old_value", default="–")
    new = tables.Column("New value", accessor="new_value", default="–")
    why = tables.Column("Reason or file", default="–")

    caption = "Every recorded change, latest first"

    class Meta:
        orderable = False
        empty_text = "No change matches these filters."

    def render_happened(self, value):
        local = timezone.localtime(value)
        return format_html(
            '<time datetime="{}">{}</time>', local.isoformat(), f"{local.day} {local:%B %Y, %H:%M}"
        )

    def value_happened(self, value):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}"

    def render_action(self, value):
        return ACTION_WORDS.get(value, value)

    def render_council(self, value, record):
        if record["kind"] != RETURN:
            return value
        period = format_period(record["period_year"], record["period_quarter"])
        url = reverse("returns:return", args=[record["council_slug"], period])
        return format_html('<a href="{}">{}</a>', url, value)

    def value_council(self, value):
        return value

    def render_period(self, record):
        return format_period(record["period_year"], record["period_quarter"])

    def render_field(self, value):
        return field_words(value)

    def render_old(self, value, record):
        return shown(record["field_name"], value)

    def render_new(self, value, record):
        return shown(record["field_name"], value)

    def render_why(self, value, record):
        return f"From the file {value}" if record["action_code"] == IMPORTED else value

    value_action = render_action
    value_period = render_period
    value_field = render_field
    value_old = render_old
    value_new = render_new
    value_why = render_why


# The page ----------------------------------------------------------------------------------


@never_cache
@require_safe
@login_required
def change_log(request):
    if workflow.role_of(request.user) != Role.REGIONAL_LEAD:
        raise PermissionDenied("The change log is for regional leads.")
    filters = ChangeFilter(request.GET)
    filters.is_valid()  # a filter with a problem is explained and left out
    table = ChangeTable(change_rows(filters))
    fmt = request.GET.get("format")
    if fmt in ("csv", "json"):
        # The JSON API's pages (docs/api.md) are of the whole log, not of the page's 50 rows.
        return download(
            request,
            "changes",
            *table_rows(table),
            source_note=CHANGES_SOURCE,
            data_as_at=timezone.now(),
        )
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    return render(request, "returns/changes.html", {"filters": filters, "table": table})
