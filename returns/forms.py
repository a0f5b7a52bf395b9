"""The return screen's forms: one `EntryForm` per measure due, asking for the value the way
its kind needs it (as the admin does: `indicators.forms`), and the reason a regional lead gives
when returning a return to its lead or reopening a published one.

These forms only read what was typed (a number, a date, one of a fixed list); whether a value
may be saved is `returns.workflow.save_draft`'s to say, and its errors are shown beside the
fields they are about (`EntryForm.add_workflow_errors`).
"""

from django import forms

from indicators.forms import CHOICE_LABELS, ChoiceOf
from indicators.models import Availability, Kind
from indicators.validation import CHOICE_KINDS

REASONS = [("", "Not missing")] + [
    (a.value, a.label) for a in Availability if a != Availability.AVAILABLE
]
REASON_HINT = "If you leave it blank, say why it is missing."


def value_fields(indicator) -> list[tuple[str, str]]:
    """(field, its availability field) pairs a lead enters for the indicator: a counted
    percentage's numerator and denominator (its outcome is worked out from them), else its
    headline: the outcome, the text (a rating, yes/no, category or text) or the date."""
    if indicator.is_counted:
        return [("numerator", "numerator_status"), ("denominator", "denominator_status")]
    if indicator.kind == Kind.DATE:
        return [("date_value", "outcome_status")]
    if indicator.kind in CHOICE_KINDS or indicator.kind == Kind.TEXT:
        return [("text_value", "outcome_status")]
    return [("outcome", "outcome_status")]


def _number(label: str, *, integer: bool = False) -> forms.Field:
    field = forms.IntegerField if integer else forms.FloatField
    example = "2025" if integer else "12.5"
    return field(
        label=label,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "input input--number"}),
        error_messages={"invalid": f"Enter {label.lower()} as a number, like {example}"},
    )


class EntryForm(forms.Form):
    """One measure's value in a return, with a comment; prefixed by the measure's id
    (`m<id>`), so every field of the page has its own name and id."""

    comment = forms.CharField(
        label="Comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "textarea"}),
        help_text="Optional: anything a reader of this value should know.",
    )

    def __init__(self, indicator, entry=None, **kwargs):
        self.indicator = indicator
        kwargs.setdefault("prefix", f"m{indicator.pk}")
        if entry is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(indicator, entry)
        super().__init__(**kwargs)
        self.pairs = value_fields(indicator)
        unit = f" ({indicator.unit})" if indicator.unit else ""
        fields = {}
        for name, status in self.pairs:
            fields[name] = self._value_field(name, unit)
            fields[status] = forms.ChoiceField(
                label=f"Why is the {fields[name].label.lower()} missing?",
                choices=REASONS,
                required=False,
                widget=forms.Select(attrs={"class": "select"}),
                help_text=REASON_HINT,
            )
        self.fields = {**fields, "comment": self.fields["comment"]}

    def _value_field(self, name: str, unit: str) -> forms.Field:
        kind = self.indicator.kind
        if name in ("numerator", "denominator"):
            return _number(name.capitalize())
        if name == "date_value":
            return forms.DateField(
                label="Date",
                required=False,
                widget=forms.DateInput(attrs={"type": "date", "class": "input"}),
                error_messages={"invalid": "Enter the date as day, month and year"},
            )
        if name == "text_value" and kind in CHOICE_LABELS:
            field = ChoiceOf(self.indicator.categories, label=CHOICE_LABELS[kind], required=False)
            field.widget.attrs["class"] = "select"
            return field
        if name == "text_value":
            return forms.CharField(
                label="Value",
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"class": "input"}),
            )
        return _number("Year" if kind == Kind.YEAR else f"Value{unit}", integer=kind == Kind.YEAR)

    @staticmethod
    def initial_from(indicator, entry) -> dict:
        initial = {"comment": entry.comment}
        for name, status in value_fields(indicator):
            value = getattr(entry, name)
            if indicator.kind == Kind.YEAR and value is not None:
                value = round(value)
            initial[name] = value
            reason = getattr(entry, status)
            initial[status] = "" if reason == Availability.AVAILABLE else reason
        return initial

    def entry(self) -> dict:
        """What `workflow.save_draft` takes for this measure: each field as cleaned."""
        return {name: self.cleaned_data.get(name) for name in self.fields}

    def add_workflow_errors(self, errors) -> None:
        """The workflow's (field, message) pairs, on the fields they name (on the value's
        first field when the field is not on the form)."""
        for field, message in errors:
            self.add_error(field if field in self.fields else self.pairs[0][0], message)

    def describe_fields(self) -> None:
        """Each widget described by its hint and its error (GOV.UK), before it is rendered."""
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}-hint")
            if bound.errors:
                ids.append(f"{bound.auto_id}-error")
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)


class TransitionForm(forms.Form):
    """The reason a regional lead gives for returning a return or reopening a published one."""

    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "textarea"}),
        help_text="Needed to return it to the lead or to reopen it: the lead sees it.",
    )
