"""Leads' returns: one council × one period, drafted and submitted by the council's lead,
returned or published by a regional lead.

`indicators.Value` holds published figures only. A return's entries hold drafts and
submissions; publishing writes them into `Value` (through `scorecard.freshness`, in one
transaction), so a council's public figures stay as published while a revision is drafted.
Who may do what is `returns.workflow`'s; every save and transition is audited here (`Event`,
`EntryChange`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from councils.models import Area
from indicators.models import Availability, Indicator, Period


class Role(models.TextChoices):
    COUNCIL_LEAD = "council_lead", "Council lead"
    REGIONAL_LEAD = "regional_lead", "Regional lead"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    """A user's role, and for a council lead the councils whose returns they enter."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    councils = models.ManyToManyField(
        Area,
        blank=True,
        related_name="leads",
        limit_choices_to={"kind": "council"},
        help_text="A council lead's councils (ignored for other roles).",
    )

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class State(models.TextChoices):
    """A return with no row is not started."""

    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned"
    PUBLISHED = "published", "Published"


# A return in these states is handed in: it is never overdue.
HANDED_IN = (State.SUBMITTED, State.PUBLISHED)


class Return(models.Model):
    council = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="returns")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="returns")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    revision = models.PositiveSmallIntegerField(
        default=0, help_text="0 until published; each reopening after that adds one."
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Counts saves: a form opened at an earlier version is refused."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["period", "council__name"]
        constraints = [
            models.UniqueConstraint(fields=["council", "period"], name="return_one_per_period")
        ]

    def __str__(self):
        return f"{self.council} {self.period}: {self.get_state_display()}"


def _status_field(label: str):
    return models.CharField(
        f"{label} availability", max_length=16, choices=Availability.choices, blank=True
    )


class Entry(models.Model):
    """One measure's value in a return, in `Value`'s terms, with the lead's comment."""

    submission = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="entries")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    outcome = models.FloatField(null=True, blank=True)
    outcome_status = _status_field("Outcome")
    numerator = models.FloatField(null=True, blank=True)
    numerator_status = _status_field("Numerator")
    denominator = models.FloatField(null=True, blank=True)
    denominator_status = _status_field("Denominator")
    text_value = models.CharField(max_length=200, blank=True)
    date_value = models.DateField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "indicator"], name="entry_one_per_measure"
            ),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True) | Q(numerator__gte=0),
                name="entry_numerator_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gte=0),
                name="entry_denominator_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.submission}: {self.indicator.code}"


class Action(models.TextChoices):
    SAVED = "saved", "Saved"
    UPLOADED = "uploaded", "Uploaded"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned"
    PUBLISHED = "published", "Published"
    REOPENED = "reopened", "Reopened"


class Event(models.Model):
    """A save or transition of a return: who, when, from and to which state, and why."""

    submission = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=12, choices=Action.choices)
    from_state = models.CharField(max_length=12, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=State.choices)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.submission}: {self.get_action_display()}"


class EntryChange(models.Model):
    """One field of an entry changed by a save or an upload: old and new, as stored."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="changes")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=30)
    old = models.CharField(max_length=200, blank=True)
    new = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["event", "pk"]

    def __str__(self):
        return f"{self.entry}: {self.field} {self.old} → {self.new}"
