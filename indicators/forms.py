"""The admin's form for entering a value: the fields of its indicator's kind, checked by the one
validation layer as entered data (implausible is refused, not flagged), and refused when the
value was saved by someone else after the form was opened."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist
from django.db import transaction
from django.utils import timezone

from councils.models import ComparatorGroup

from . import validation
from .models import (
    PUBLISHED_FIELDS,
    Availability,
    Indicator,
    Kind,
    Source,
    Value,
    period_being_collected,
)

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


def fields_for(kind: str) -> list:
    """The admin's fieldset lines for a value of this kind: what it is, and why it is missing."""
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


def _audited(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class ValueForm(forms.ModelForm):
    """A value as its indicator's kind needs it. `version` and `seen_change` are hidden: the
    version the value had when the form was opened, and its latest recorded change then."""

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
        shown = {n for line in fields_for(self.kind) for n in line} if self.kind else set()
        for name in VALUE_FIELDS - shown:
            self.fields.pop(name, None)
        if self.instance.pk:
            last = self.instance.changes.order_by("-pk").values_list("pk", flat=True).first()
            self.initial["seen_change"] = last or 0
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
        if self.kind is None or "outcome_status" not in self.fields:
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
        collecting = collecting or ((period.year, period.quarter) if period else None)
        if collecting is None:
            return
        problems = validation.check_value(
            self.kind,
            self.indicator.categories,
            numbers={
                name: cleaned.get(name)
                for name in validation.NUMBER_FIELDS
                if name in self.fields and name not in self.errors
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
        if self.kind is not None and "outcome_status" in self.fields:
            for name in VALUE_FIELDS - set(self.fields):
                old = getattr(self.instance, name)
                empty = "" if name.endswith("_status") or name == "text_value" else None
                if old not in (None, ""):
                    self.cleared[name] = old
                setattr(self.instance, name, empty)
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
        return rows
