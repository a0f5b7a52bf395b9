"""The admin's forms.

The form for entering a value: the fields of its indicator's kind, checked by the one
validation layer as entered data (implausible is refused, not flagged), and refused when the
value was saved by someone else after the form was opened.

Periods exist when needed: a period is chosen or typed by its label ("2025-26 Q3"), whether
or not its Period row exists, and the row is created when the form is saved (`PeriodField`,
`PeriodsOnDemand`), so nobody adds periods by hand.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from councils.models import ComparatorGroup

from . import clock, validation
from .models import (
    PUBLISHED_FIELDS,
    Availability,
    Collection,
    Indicator,
    Kind,
    Period,
    Source,
    Value,
    _next_period,
    period_being_collected,
)
from .periods import format_period, parse_period, period_end

NUMBERS = [(name, f"{name}_status") for name in PUBLISHED_FIELDS]
VALUE_FIELDS = {name for pair in NUMBERS for name in pair} | {"text_value", "date_value"}
CHOICE_LABELS = {Kind.RAG: "Rating", Kind.YES_NO: "Yes or no", Kind.CATEGORY: "Category"}


def headline(kind: str) -> str:
    """The field that holds a value of this kind."""
    if kind == Kind.DATE:
        return "date_value"
    if kind in validation.CHOICE_KINDS or kind == Kind.TEXT:
        return "text_value"
    return "outcome"


COUNTS = NUMBERS[1:3]  # numerator and denominator, with their availability


def fields_for(kind: str, counted: bool = False) -> list:
    """The admin's fieldset lines for a value of this kind: what it is, and why it is missing.
    A percentage of the region's own (`counted`) is entered as its numerator and denominator:
    its outcome is worked out from them."""
    if counted:
        return COUNTS
    if kind == Kind.YEAR:
        return [("outcome", "outcome_status")]
    if kind in (Kind.PERCENTAGE, Kind.RATE, Kind.SCORE, Kind.COUNT, Kind.MONEY):
        return NUMBERS
    return [(headline(kind), "outcome_status")]


def indicator_for(value: Value | None, data) -> Indicator | None:
    """The indicator that decides the form's kind: the value's own (a stored value keeps its
    indicator), or for a new value the one posted or named in the add page's query string
    (`?indicator=<id>`)."""
    if value is not None and value.indicator_id:
        return value.indicator
    pk = str(data.get("indicator") or "")
    return Indicator.objects.filter(pk=pk).first() if pk.isdigit() else None


def _shown(choice: str) -> str:
    return choice[:1].upper() + choice[1:]


class ChoiceOf(forms.ChoiceField):
    """One of the indicator's fixed list, typed in any case, cleaned to the list's spelling.
    Whether it is in the list is the validation layer's to say, in its own words."""

    def __init__(self, categories: list[str], **kwargs):
        self.categories = categories
        blank = [("", "---------")]
        super().__init__(choices=blank + [(c, _shown(c)) for c in categories], **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        return validation.canonical_choice(text, self.categories) or text

    def validate(self, value):
        forms.Field.validate(self, value)


# Periods by label, created on save ------------------------------------------------------------

FIRST_ENTRY_YEAR = 2014  # 2014-15, the first year of the ASCOF framework the scorecard starts at
LAST_PERIOD_YEAR = 2100  # as the period_year_plausible constraint


def _long_date(day) -> str:
    return f"{day.day} {day:%B %Y}"


def current_year() -> int:
    """The financial year today falls in, on the application's clock."""
    today = clock.today()
    return today.year if today.month >= 4 else today.year - 1


def entry_periods(collecting: tuple[int, int | None] | None = None) -> list[tuple[int, int | None]]:
    """(year, quarter) of every period a value may be entered for, latest first, up to and
    including the period being collected (with nothing collected, the current financial
    year): the years from 2014-15 (or the earliest year held, if earlier), and the quarters
    from the first quarter any measure is collected by quarter (with none, the quarters of
    this year and the last). A year follows its Q4, as it ends with it."""
    collecting = collecting or period_being_collected() or (current_year(), None)
    last_year, end = collecting[0], period_end(*collecting)
    held = Period.objects.filter(
        quarter__isnull=True, year__gte=validation.FIRST_PERIOD_YEAR
    ).aggregate(first=Min("year"))["first"]
    first_year = min(FIRST_ENTRY_YEAR, held or FIRST_ENTRY_YEAR)
    first_quarterly = Indicator.objects.filter(quarterly_from__isnull=False).aggregate(
        first=Min("quarterly_from__year")
    )["first"]
    quarters_from = first_quarterly if first_quarterly is not None else last_year - 1
    periods = [(year, None) for year in range(first_year, last_year + 1)]
    periods += [(y, q) for y in range(quarters_from, last_year + 1) for q in (1, 2, 3, 4)]
    periods = [p for p in periods if period_end(*p) <= end]
    return sorted(periods, key=lambda p: (period_end(*p), p[1] is None), reverse=True)


def upcoming_periods(collecting: tuple[int, int | None] | None, count: int = 6) -> list:
    """The `count` periods after `collecting`, in the order they end."""
    periods, period = [], collecting or (current_year(), None)
    for _ in range(count):
        period = _next_period(*period)
        periods.append(period)
    return periods


def label_choices(periods) -> list[tuple[str, str]]:
    return [(format_period(*p), format_period(*p)) for p in periods]


class PeriodInput(forms.TextInput):
    """A period typed as its label, with the likely ones offered as the browser completes it
    (a datalist of the field's choices)."""

    choices = ()

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{(attrs or {}).get('id') or f'id_{name}'}_periods"
        attrs = {**(attrs or {}), "list": list_id, "autocomplete": "off"}
        options = format_html_join(
            "", '<option value="{}"></option>', ((v,) for v, _ in self.choices if v)
        )
        html = super().render(name, value, attrs, renderer)
        return html + format_html('<datalist id="{}">{}</datalist>', list_id, options)


class PeriodField(forms.ChoiceField):
    """A period by its label ("2025-26", "2025-26 Q3"; any spelling `parse_period` reads),
    whether or not its row exists: cleaned to its Period row if there is one, else to an
    unsaved Period that `PeriodsOnDemand` creates on save. The choices are the likely periods
    to show; any period is accepted here, and the form's own rules say which may be used."""

    def __init__(self, *, noun: str = "the period", **kwargs):
        self.noun = noun
        kwargs.setdefault("choices", ())
        kwargs.setdefault(
            "error_messages",
            {"required": f"Choose {noun}"},
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, Period):
            return value
        if value in self.empty_values:
            return None
        try:
            year, quarter = parse_period(value)
        except ValueError:
            raise forms.ValidationError(
                f"Enter {self.noun} as a financial year, like 2025-26, or a quarter, like "
                f"2025-26 Q3 (you entered {str(value).strip()!r})",
                code="invalid",
            ) from None
        if not validation.FIRST_PERIOD_YEAR <= year <= LAST_PERIOD_YEAR:
            raise forms.ValidationError(
                f"Enter {self.noun} starting from {validation.FIRST_PERIOD_YEAR} to "
                f"{LAST_PERIOD_YEAR}: {format_period(year, quarter)} is outside them",
                code="out_of_range",
            )
        return Period.objects.filter(year=year, quarter=quarter).first() or Period(
            year=year, quarter=quarter
        )

    def validate(self, value):
        forms.Field.validate(self, value)  # required only: any period, not just the choices

    def prepare_value(self, value):
        return self.label_of(value)

    def has_changed(self, initial, data):
        try:
            data = self.to_python(data)
        except forms.ValidationError:
            return True
        return self.label_of(initial) != self.label_of(data)

    @staticmethod
    def label_of(value) -> str:
        """The label of a Period, its primary key (a model form's initial value) or a typed
        label; "" for none."""
        if value in (None, ""):
            return ""
        if isinstance(value, Period):
            return value.label
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            period = Period.objects.filter(pk=value).first()
            return period.label if period else str(value)
        try:
            return format_period(*parse_period(value))
        except ValueError:
            return str(value)


class PeriodsOnDemand:
    """For a model form with `PeriodField`s: a period whose row does not exist yet is left out
    of the model's own validation (no stored row can clash with it), and its row is created
    when the form is saved (in the admin's transaction, so only with what it is saved for)."""

    def _new_periods(self) -> dict[str, Period]:
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: cleaned[name]
            for name, field in self.fields.items()
            if isinstance(field, PeriodField)
            and isinstance(cleaned.get(name), Period)
            and cleaned[name].pk is None
        }

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() | set(self._new_periods())

    def save(self, commit=True):
        for name, period in self._new_periods().items():
            stored = Period.objects.for_label(period.label)
            setattr(self.instance, name, stored)
            self.cleaned_data[name] = stored
        return super().save(commit)


def _audited(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class ValueForm(PeriodsOnDemand, forms.ModelForm):
    """A value as its indicator's kind needs it. `version` and `seen_change` are hidden: the
    version the value had when the form was opened, and its latest recorded change then. The
    period of a new value is chosen from those up to the period being collected (see
    `entry_periods`), the period being collected first, whether or not its row exists yet."""

    period = PeriodField(
        label="Period",
        noun="the period the value is for",
        help_text="The financial year or quarter the value is for, up to the period being "
        "collected.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, initial=1, required=False)
    seen_change = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Value
        fields = [
            "area",
            "indicator",
            "period",
            "disaggregation",
            *(name for pair in NUMBERS for name in pair),
            "text_value",
            "date_value",
            "note",
            "quality_flag",
            "version",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator = indicator_for(self.instance, self.data if self.is_bound else self.initial)
        self.kind = self.indicator.kind if self.indicator else None
        self.counted = bool(self.indicator and self.indicator.is_counted)
        shown = (
            {n for line in fields_for(self.kind, self.counted) for n in line}
            if self.kind
            else set()
        )
        for name in VALUE_FIELDS - shown:
            self.fields.pop(name, None)
        if self.instance.pk:
            last = self.instance.changes.order_by("-pk").values_list("pk", flat=True).first()
            self.initial["seen_change"] = last or 0
        if "period" in self.fields:  # a new value's: a saved value keeps its period
            collecting = period_being_collected()
            choices = label_choices(entry_periods(collecting))
            self.fields["period"].choices = [("", "Choose a period")] + choices
            self.fields["period"].initial = choices[0][0] if choices else None
        if self.kind:
            self._fit_to_kind()

    def _fit_to_kind(self):
        indicator, fields = self.indicator, self.fields
        unit = f" ({indicator.unit})" if indicator.unit else ""
        if self.kind == Kind.YEAR and "outcome" in fields:
            fields["outcome"] = forms.IntegerField(label="Year", required=False)
            if self.instance.outcome is not None:
                self.initial["outcome"] = round(self.instance.outcome)
        elif "outcome" in fields:
            fields["outcome"].label = f"Outcome{unit}"
        if self.kind in CHOICE_LABELS and "text_value" in fields:
            fields["text_value"] = ChoiceOf(
                indicator.categories, label=CHOICE_LABELS[self.kind], required=False
            )
        if "date_value" in fields:
            fields["date_value"].label = "Date"
        if headline(self.kind) != "outcome" and "outcome_status" in fields:
            fields["outcome_status"].label = "Availability"

    # Validation ---------------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        if self.kind is None or not self.asks_for_the_value:
            return cleaned
        if cleaned.get("version") is None and self.instance.pk:
            raise forms.ValidationError(
                "Nothing was saved: the form did not say which version of the value it showed. "
                "Reload the page, then make your change again."
            )
        if cleaned.get("version") is None:
            # Posted from the add page before it knew the indicator: now it asks for the value.
            raise forms.ValidationError(
                f"Now enter the value of {self.indicator}: the form shows the fields its kind "
                "needs."
            )
        self._check_versions(cleaned)
        self._check_availability(cleaned)
        if self.counted:
            self._work_out_outcome(cleaned)
        self._check_area(cleaned)
        self._check_rules(cleaned)
        if self.errors:
            summary = "; ".join(
                f"{self._label(name)}: {' '.join(e.rstrip('.') for e in errors)}"
                for name, errors in self.errors.items()
                if name != NON_FIELD_ERRORS
            )
            if summary:
                self.add_error(None, f"Nothing was saved. {summary}.")
        return cleaned

    def _label(self, name: str) -> str:
        return str(self.fields[name].label or name) if name in self.fields else name

    def _check_versions(self, cleaned):
        """Refuse a form opened before someone else's save, naming what they changed."""
        if not self.instance.pk:
            return
        # Locked until the admin's transaction ends, so a concurrent save waits, then sees
        # this one's version.
        with transaction.atomic():
            stored = (
                Value.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
        if stored == cleaned["version"]:
            return
        if stored is None:
            raise forms.ValidationError("Nothing was saved: this value was deleted meanwhile.")
        since = (
            self.instance.changes.filter(pk__gt=cleaned.get("seen_change") or 0)
            .select_related("changed_by", "import_run")
            .order_by("pk")
        )
        described = "; ".join(self._describe(change) for change in since) or "saved again"
        raise forms.ValidationError(
            f"Nothing was saved: this value changed after you opened it. Since then: {described}. "
            "Reload the page to see it as it is now, then make your change again."
        )

    @staticmethod
    def _describe(change) -> str:
        if change.changed_by_id:
            who = change.changed_by.get_username()
        elif change.import_run_id:
            who = f"the import of {change.import_run.file_name}"
        else:
            who = "someone"
        try:
            field = Value._meta.get_field(change.field).verbose_name
        except FieldDoesNotExist:  # a field since removed: its stored name says enough
            field = change.field
        when = timezone.localtime(change.changed_at)
        return (
            f"{field} {change.old or '(blank)'} → {change.new or '(blank)'} by {who} "
            f"on {when:%d %b %Y at %H:%M}"
        )

    def _check_availability(self, cleaned):
        """A number given is available; a missing one says why. The headline needs one or
        the other."""
        for name, status in NUMBERS:
            if name in self.fields:
                self._pair(cleaned, name, status, required=name == headline(self.kind))
        if headline(self.kind) != "outcome":
            self._pair(cleaned, headline(self.kind), "outcome_status", required=True)
        if self.counted:
            for name, status in COUNTS:
                if not (name in self.errors or status in self.errors or cleaned.get(status)):
                    self.add_error(name, "Enter the number, or leave it blank and choose why.")

    def _work_out_outcome(self, cleaned):
        """The outcome of a counted percentage, from its numerator and denominator
        (`validation.outcome_from_counts`); missing, for the first reason given, when either
        count is."""
        self.outcome = (None, "")
        if any(name in self.errors for pair in COUNTS for name in pair):
            return
        numerator, denominator = cleaned.get("numerator"), cleaned.get("denominator")
        if numerator is None or denominator is None:
            self.outcome = (None, next(cleaned[s] for n, s in COUNTS if cleaned.get(n) is None))
        else:
            self.outcome = validation.outcome_from_counts(
                numerator, denominator, self.indicator.multiplier, self.indicator.decimals
            )

    @property
    def asks_for_the_value(self) -> bool:
        """The form shows the value's fields (the add page asks for the indicator first)."""
        return bool(VALUE_FIELDS & set(self.fields))

    def _worked_out(self) -> set[str]:
        return {"outcome", "outcome_status"} if self.counted else set()

    def _pair(self, cleaned, name: str, status: str, required: bool):
        given = cleaned.get(name) not in (None, "")
        chosen = cleaned.get(status)
        if name in self.errors or status in self.errors:
            return
        if given and not chosen:
            cleaned[status] = Availability.AVAILABLE
        elif given and chosen != Availability.AVAILABLE:
            self.add_error(
                status,
                f"A value is given, so it is available: leave it blank to say it is "
                f"{Availability(chosen).label.lower()}.",
            )
        elif not given and (chosen == Availability.AVAILABLE or (required and not chosen)):
            self.add_error(name, "Enter the value, or leave it blank and choose why it is missing.")

    def _key(self, cleaned, name: str):
        """The area or period: as posted on a new value, as stored on a saved one."""
        if name in self.fields:
            return cleaned.get(name)
        return getattr(self.instance, name) if getattr(self.instance, f"{name}_id") else None

    def _error(self, name: str, message: str) -> None:
        """An error on the field, or on the whole form where the field is read-only (a saved
        value's area and period)."""
        self.add_error(name if name in self.fields else None, message)

    def _check_area(self, cleaned):
        area = self._key(cleaned, "area")
        if area is None or self.indicator.source != Source.LOCAL:
            return
        group = ComparatorGroup.objects.filter(is_default=True).first()
        if group and not group.councils.filter(pk=area.pk).exists():
            self._error(
                "area",
                f"{area} is not one of the {group.councils.count()} {group} councils: the "
                "region's own measures are for them only.",
            )

    def _check_rules(self, cleaned):
        """The validation layer's rules, every one refused: this is entered data."""
        period = self._key(cleaned, "period")
        collecting = period_being_collected()
        if period and collecting:
            for problem in validation.check_period(period.year, period.quarter, collecting):
                self._error("period", problem.message)
        if period and "period" not in self.errors:
            first = self.indicator.quarterly_from
            for problem in validation.check_frequency(
                period.year,
                period.quarter,
                basis=self.indicator.quarterly_basis,
                quarterly_from=(first.year, first.quarter) if first else None,
            ):
                self._error("period", problem.message)
        collecting = collecting or ((period.year, period.quarter) if period else None)
        if collecting is None:
            return
        problems = validation.check_value(
            self.kind,
            self.indicator.categories,
            numbers={
                **{
                    name: cleaned.get(name)
                    for name in validation.NUMBER_FIELDS
                    if name in self.fields and name not in self.errors
                },
                **({"outcome": self.outcome[0]} if self.counted else {}),
            },
            text=(cleaned.get("text_value") or "") if "text_value" in self.fields else "",
            date=cleaned.get("date_value"),
            collecting=collecting,
        )
        for problem in problems:
            field = problem.field if problem.field in self.fields else None
            if field is None or field not in self.errors:
                self.add_error(field, problem.message)

    # Saving -------------------------------------------------------------------------------

    def _post_clean(self):
        # Fields that do not apply to the kind are emptied, so a stray text on a number (or
        # a number on a rating) cannot outlive a change of availability.
        self.cleared = {}
        if self.kind is not None and self.asks_for_the_value:
            for name in VALUE_FIELDS - set(self.fields) - self._worked_out():
                old = getattr(self.instance, name)
                empty = "" if name.endswith("_status") or name == "text_value" else None
                if old not in (None, ""):
                    self.cleared[name] = old
                setattr(self.instance, name, empty)
        if self.counted and hasattr(self, "outcome"):
            self.before = (self.instance.outcome, self.instance.outcome_status)
            self.instance.outcome, self.instance.outcome_status = self.outcome
        super()._post_clean()

    def audit(self) -> list[tuple[str, str, str]]:
        """(field, old, new) of every field this save changes, as stored: canonical choices,
        and an availability set because a number was given."""
        rows = []
        for name, field in self.fields.items():
            if name in ("version", "seen_change"):
                continue
            try:
                old = _audited(field.to_python(self.initial.get(name)))
            except forms.ValidationError:
                old = _audited(self.initial.get(name))
            new = _audited(self.cleaned_data.get(name))
            if old != new:
                rows.append((name, old, new))
        rows += [(name, _audited(old), "") for name, old in self.cleared.items()]
        if self.counted and hasattr(self, "before"):
            after = (self.instance.outcome, self.instance.outcome_status)
            for name, old, new in zip(
                ("outcome", "outcome_status"), self.before, after, strict=True
            ):
                if _audited(old) != _audited(new):
                    rows.append((name, _audited(old), _audited(new)))
        return rows


# The period being collected ------------------------------------------------------------------


class CollectionForm(PeriodsOnDemand, forms.ModelForm):
    """The period being collected, typed or chosen by its label, and when its returns are
    due. Changing the period clears a due date not changed with it, so what is due follows the
    period."""

    period = PeriodField(
        required=False,
        label="Period being collected",
        noun="the period being collected",
        widget=PeriodInput,
        help_text="A financial year, like 2025-26, or a quarter, like 2025-26 Q3. Values can "
        "be entered up to the end of it, and not after. Blank: the period after the latest "
        "one with data.",
    )

    class Meta:
        model = Collection
        fields = ["period", "due_on"]
        labels = {"due_on": "Due date"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        collecting = period_being_collected()
        periods = [*reversed(upcoming_periods(collecting)), *entry_periods(collecting)[:9]]
        self.fields["period"].choices = label_choices(periods)
        if "due_on" in self.fields:
            self.fields["due_on"].help_text = (
                f"When returns for the period are due, like 30 January 2026 (enter it as the "
                f"field asks). Blank: {settings.RETURNS_DUE_DAYS} days after the period ends. "
                "Changing the period clears a due date you do not change with it."
            )

    def clean(self):
        cleaned = super().clean()
        if "period" in self.errors or "due_on" in self.errors:
            return cleaned
        period, due_on = cleaned.get("period"), cleaned.get("due_on")
        if due_on and "period" in self.changed_data and "due_on" not in self.changed_data:
            cleaned["due_on"] = due_on = None  # the old period's date: the new one's default
        if due_on and period is None:
            self.add_error(
                "due_on",
                "Enter the period being collected, or leave the due date blank: a due date is "
                "for one period",
            )
        elif due_on and due_on <= period_end(period.year, period.quarter):
            end = period_end(period.year, period.quarter)
            self.add_error(
                "due_on",
                f"Due date must be after {_long_date(end)}, when {period.label} ends",
            )
        return cleaned


# Indicators ------------------------------------------------------------------------------------


class IndicatorForm(PeriodsOnDemand, forms.ModelForm):
    """An indicator, its first quarter typed by its label (its row created on save). The
    admin makes it a form of every field of Indicator (`IndicatorAdmin`)."""

    quarterly_from = PeriodField(
        required=False,
        label="Quarterly from",
        noun="the first quarter collected",
        widget=PeriodInput,
        help_text="The first quarter collected, a Q1 like 2025-26 Q1; earlier years keep "
        "their yearly values. Blank for a measure collected yearly.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        last = (period_being_collected() or (current_year(), None))[0] + 1
        years = range(last, FIRST_ENTRY_YEAR - 1, -1)
        self.fields["quarterly_from"].choices = label_choices((y, 1) for y in years)

    def clean(self):
        cleaned = super().clean()
        if "quarterly_from" in self.errors or "quarterly_basis" not in self.fields:
            return cleaned
        first, basis = cleaned.get("quarterly_from"), cleaned.get("quarterly_basis")
        if first is not None and first.quarter != 1:
            self.add_error(
                "quarterly_from",
                f"Enter the first quarter of a year, like {format_period(first.year, 1)}: "
                f"{first.label} is not a Q1",
            )
        elif first is not None and not basis:
            self.add_error(
                "quarterly_basis",
                "Choose what each quarter's value holds, or leave the first quarter blank",
            )
        elif first is None and basis:
            self.add_error(
                "quarterly_from",
                "Enter the first quarter collected, like 2025-26 Q1, or leave what each "
                "quarter's value holds blank",
            )
        return cleaned
