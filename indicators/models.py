"""Indicators, their published codes by year, periods, and the values published for areas.

A value is one row per (area, indicator, period, disaggregation). Each published field
(outcome, numerator, denominator, base, margin of error) carries its own availability, because
the outcome can be published while its numerator is suppressed, and the reverse: a missing
value is never a zero.
"""

import re
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, router
from django.db.models import Exists, F, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from councils.models import Area

from . import clock
from .periods import format_period, parse_period, period_end
from .signals import values_written


def normalise_code(code: str) -> str:
    """The published measure code without parentheses, spaces or year suffix, upper case:
    "1C(2a)" -> "1C2A", "2A(1)_1415" -> "2A1", "3D(2a)" -> "3D2A"."""
    code = re.sub(r"_\d{4}$", "", str(code).strip())
    return re.sub(r"[()\s]", "", code).upper()


class Polarity(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", "Higher is better"
    LOWER_IS_BETTER = "lower_is_better", "Lower is better"
    NO_JUDGEMENT = "no_judgement", "No judgement"


class Kind(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage"
    RATE = "rate", "Rate per 100,000"
    SCORE = "score", "Score"
    COUNT = "count", "Count"
    MONEY = "money", "Money (£)"
    RAG = "rag", "Red, amber, green"
    YES_NO = "yes_no", "Yes or no"
    DATE = "date", "Date"
    YEAR = "year", "Year"
    CATEGORY = "category", "Category"
    TEXT = "text", "Text"


NUMERIC_KINDS = {Kind.PERCENTAGE, Kind.RATE, Kind.SCORE, Kind.COUNT, Kind.MONEY, Kind.YEAR}
RAG_ORDER = ["red", "amber", "green"]


class Basis(models.TextChoices):
    """What a quarterly measure's quarter holds, which fixes its year's value and what its
    direction of travel compares with (`scorecard.stats.annual_from_quarters` and
    `quarterly_comparisons`)."""

    SNAPSHOT = "snapshot", "Snapshot at quarter end"
    IN_QUARTER = "in_quarter", "Within the quarter"
    YEAR_TO_DATE = "year_to_date", "Year to date"


class Source(models.TextChoices):
    ASCOF = "ascof", "ASCOF"
    LOCAL = "local", "Local to the region"


class Domain(models.TextChoices):
    """ASCOF domains of the 2014-15 to 2022-23 framework."""

    QUALITY_OF_LIFE = "1", "1 Enhancing quality of life for people with care and support needs"
    DELAYING_NEED = "2", "2 Delaying and reducing the need for care and support"
    POSITIVE_EXPERIENCE = "3", "3 Ensuring that people have a positive experience of care"
    SAFEGUARDING = "4", "4 Safeguarding adults whose circumstances make them vulnerable"


class Objective(models.TextChoices):
    """ASCOF objectives of the framework from 2023-24."""

    QUALITY_OF_LIFE = "1", "1 Quality of life"
    INDEPENDENCE = "2", "2 Independence"
    EMPOWERMENT = "3", "3 Empowerment and information"
    SAFETY = "4", "4 Safety"
    SOCIAL_CONNECTIONS = "5", "5 Social connections"
    CONTINUITY = "6", "6 Continuity and quality of care"


class ScorecardArea(models.TextChoices):
    """The areas of the West Midlands balanced scorecard."""

    GOVERNANCE = "governance", "Governance and leadership"
    OUTCOMES = "outcomes", "Outcomes"
    RESOURCES = "resources", "Resources and workforce"
    PARTNERSHIPS = "partnerships", "Health and wellbeing partnerships"
    CULTURE = "culture", "Culture and change"


class Indicator(models.Model):
    """A measure on the scorecard, with a stable code whatever the publication called it."""

    code = models.CharField(
        max_length=20,
        unique=True,
        help_text="Stable code: the current ASCOF code, old-… for retired ASCOF measures, "
        "WM-… for the region's own.",
    )
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=300)
    short_name = models.CharField(max_length=60, blank=True)
    definition = models.TextField(blank=True)
    unit = models.CharField(max_length=60, blank=True)
    decimals = models.PositiveSmallIntegerField(default=1)
    polarity = models.CharField(max_length=20, choices=Polarity.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    multiplier = models.FloatField(
        default=1, help_text="Outcome = numerator / denominator × multiplier (100 for a %)."
    )
    quarterly_basis = models.CharField(
        max_length=12,
        choices=Basis.choices,
        blank=True,
        help_text="Blank: collected yearly. Otherwise what each quarter's value holds.",
    )
    quarterly_from = models.ForeignKey(
        "Period",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"quarter": 1},
        help_text="The first quarter collected; earlier years keep their yearly values.",
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    collection = models.CharField(
        max_length=100, blank=True, help_text="Where the data comes from: ASCS, SACE, SALT, CLD…"
    )
    is_survey = models.BooleanField(
        default=False, help_text="A weighted survey estimate: no Σnumerator/Σdenominator."
    )
    is_biennial = models.BooleanField(default=False, help_text="Collected every other year.")
    domain = models.CharField(max_length=1, choices=Domain.choices, blank=True)
    objective = models.CharField(max_length=1, choices=Objective.choices, blank=True)
    scorecard_area = models.CharField(max_length=20, choices=ScorecardArea.choices)
    categories = models.JSONField(
        default=list, blank=True, help_text="The fixed list for category, RAG and yes/no kinds."
    )
    tolerance = models.FloatField(
        null=True,
        blank=True,
        help_text="A change within this is static. Blank: the published margin of error "
        "for survey measures, zero otherwise.",
    )
    first_year = models.PositiveSmallIntegerField(null=True, blank=True)
    last_year = models.PositiveSmallIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(multiplier__gt=0), name="indicator_multiplier_gt_0"),
            models.CheckConstraint(
                condition=Q(quarterly_basis="", quarterly_from__isnull=True)
                | (~Q(quarterly_basis="") & Q(quarterly_from__isnull=False)),
                name="indicator_quarterly_basis_and_start",
            ),
            models.CheckConstraint(
                condition=Q(first_year__isnull=True)
                | Q(last_year__isnull=True)
                | Q(first_year__lte=F("last_year")),
                name="indicator_years_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("indicator-detail", args=[self.slug])

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def is_counted(self) -> bool:
        """A percentage of the region's own: entered as its numerator and denominator, its
        outcome worked out from them (`validation.outcome_from_counts`)."""
        return self.source == Source.LOCAL and self.kind == Kind.PERCENTAGE


class IndicatorCode(models.Model):
    """The code a publication used for an indicator over a span of years.

    The same code can mean different measures in different years (1E was learning-disability
    employment to 2022-23 and is carers' satisfaction from 2023-24), so codes resolve by
    (code, year).
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=20, help_text='As published, e.g. "1C(2a)".')
    normalised = models.CharField(max_length=20, help_text='Without parentheses: "1C2A".')
    first_year = models.PositiveSmallIntegerField()
    last_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["indicator", "first_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["normalised", "first_year"], name="indicator_code_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(last_year__isnull=True) | Q(first_year__lte=F("last_year")),
                name="indicator_code_years_in_order",
            ),
        ]

    def __str__(self):
        return f"{self.code} ({self.span})"

    def save(self, *args, **kwargs):
        self.normalised = normalise_code(self.code)
        super().save(*args, **kwargs)

    @property
    def span(self) -> str:
        start = format_period(self.first_year)
        if self.last_year is None:
            return f"from {start}"
        if self.last_year == self.first_year:
            return f"in {start}"
        return f"{start} to {format_period(self.last_year)}"


class BreakKind(models.TextChoices):
    BREAK = "break", "Series break"
    PARTIAL_COVERAGE = "partial_coverage", "Partial coverage"
    CAUTION = "caution", "Compare with care"


class SeriesBreak(models.Model):
    """A year from which an indicator is not comparable with earlier years (break), a year of
    partial coverage, or a change to compare with care."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="breaks")
    year = models.PositiveSmallIntegerField(help_text="Start year of the financial year.")
    kind = models.CharField(max_length=20, choices=BreakKind.choices)
    reason = models.TextField()

    class Meta:
        ordering = ["indicator", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "kind"], name="series_break_unique"
            )
        ]

    def __str__(self):
        return f"{self.indicator.code} {format_period(self.year)}: {self.get_kind_display()}"


class TableNote(models.Model):
    """A note the publisher's workbook attaches to an indicator's table ("[note 5]" in its
    title), with the years of the table's columns it applies to. Replaced on each import of
    the workbook."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="notes")
    number = models.PositiveSmallIntegerField(help_text='The publisher\'s: 5 for "[note 5]".')
    text = models.TextField()
    first_year = models.PositiveSmallIntegerField(help_text="Start year of the financial year.")
    last_year = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["indicator", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "number"], name="table_note_unique_indicator_number"
            ),
            models.CheckConstraint(
                condition=Q(first_year__lte=F("last_year")), name="table_note_years_in_order"
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} [note {self.number}]"


class PeriodManager(models.Manager):
    def get_by_label(self, label: str) -> "Period":
        year, quarter = parse_period(label)
        return self.get(year=year, quarter=quarter)

    def for_label(self, label: str) -> "Period":
        year, quarter = parse_period(label)
        return self.get_or_create(year=year, quarter=quarter)[0]


class Period(models.Model):
    """A UK financial year ("2023-24") or one of its quarters ("2023-24 Q2" = Jul-Sep 2023)."""

    year = models.PositiveSmallIntegerField(help_text="The calendar year it starts in.")
    quarter = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = PeriodManager()

    class Meta:
        ordering = ["year", F("quarter").asc(nulls_first=True)]
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=Q(quarter__isnull=True), name="period_unique_year"
            ),
            models.UniqueConstraint(
                fields=["year", "quarter"],
                condition=Q(quarter__isnull=False),
                name="period_unique_quarter",
            ),
            models.CheckConstraint(
                condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4),
                name="period_quarter_1_to_4",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="period_year_plausible"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return format_period(self.year, self.quarter)


class Collection(models.Model):
    """The period being collected: one row. Validation reads it, never today's date, so next
    year's official files import and a file dated years ahead does not. Regional leads change
    it in the admin; what is due follows it (`due_date`, `is_overdue`)."""

    period = models.ForeignKey(
        Period,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Blank: the period after the latest one with data.",
    )
    due_on = models.DateField(
        null=True,
        blank=True,
        help_text="When returns for the period are due. Blank: RETURNS_DUE_DAYS days after "
        "the period ends.",
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="collection_one_row")]

    def __str__(self):
        """As this row says, saved or not: "Collecting 2025-26 Q3, due 30 January 2026"."""
        if self.period_id:
            period = (self.period.year, self.period.quarter)
            due = self.due_on or default_due_date(*period)
        else:
            period = _default_period()
            due = default_due_date(*period) if period else None
        return describe_collection(period, due)


def _next_period(year: int, quarter: int | None) -> tuple[int, int | None]:
    """Periods in order of their end: Q1, Q2, Q3, Q4, then the year they make up."""
    if quarter is None:
        return year + 1, None
    return (year, quarter + 1) if quarter < 4 else (year, None)


def _stored_collection() -> tuple[int, int | None, date | None] | None:
    """(year, quarter, due_on) of the stored setting, when it names a period."""
    return (
        Collection.objects.filter(pk=1, period__isnull=False)
        .values_list("period__year", "period__quarter", "due_on")
        .first()
    )


def period_being_collected() -> tuple[int, int | None] | None:
    """(year, quarter) being collected: the stored setting; else the later of the period after
    the latest one with data and the latest year the catalogue's codes name (so the official
    files of every year the catalogue knows import in any order, and the next year's once the
    latest year is in); None with neither data nor catalogue."""
    stored = _stored_collection()
    if stored:
        return stored[0], stored[1]
    return _default_period()


def _default_period() -> tuple[int, int | None] | None:
    """The period being collected when no setting names one."""
    candidates = []
    with_data = Period.objects.filter(Exists(Value.objects.filter(period=OuterRef("pk"))))
    latest = max(
        with_data.values_list("year", "quarter"), key=lambda p: period_end(*p), default=None
    )
    if latest:
        candidates.append(_next_period(*latest))
    years = IndicatorCode.objects.aggregate(first=Max("first_year"), last=Max("last_year"))
    named = [year for year in years.values() if year is not None]
    if named:
        candidates.append((max(named), None))
    return max(candidates, key=lambda p: period_end(*p), default=None)


def _as_period(period) -> tuple[int, int | None]:
    """(year, quarter) of a Period, a (year, quarter) pair or a label such as "2025-26 Q3"."""
    if isinstance(period, Period):
        return period.year, period.quarter
    if isinstance(period, str):
        return parse_period(period)
    year, quarter = period
    return year, quarter


def default_due_date(year: int, quarter: int | None = None) -> date:
    """RETURNS_DUE_DAYS days after the period ends."""
    return period_end(year, quarter) + timedelta(days=settings.RETURNS_DUE_DAYS)


def due_date(period=None) -> date | None:
    """When returns for `period` (a Period, (year, quarter) or label; by default the period
    being collected) are due: the collection's own due date when it is set for that period,
    else RETURNS_DUE_DAYS days after the period ends. None when nothing is being collected."""
    stored = _stored_collection()
    if period is None:
        period = stored[:2] if stored else _default_period()
        if period is None:
            return None
    period = _as_period(period)
    if stored and stored[2] and tuple(stored[:2]) == period:
        return stored[2]
    return default_due_date(*period)


def is_overdue(period=None, today: date | None = None) -> bool:
    """Whether the due date of `period` (by default the period being collected) has passed,
    on the application's clock (`indicators.clock`) unless `today` is given."""
    due = due_date(period)
    return due is not None and (today or clock.today()) > due


def describe_collection(
    period: tuple[int, int | None] | None, due: date | None, today: date | None = None
) -> str:
    """The collection's status line: "Collecting 2025-26 Q3, due 30 January 2026", with
    ", overdue" once the day has passed on the application's clock."""
    if period is None:
        return "Nothing is being collected yet: there is no data and no catalogue"
    text = f"Collecting {format_period(*period)}"
    if due is None:
        return text
    text += f", due {due.day} {due:%B %Y}"
    return text + ", overdue" if (today or clock.today()) > due else text


def collection_status(today: date | None = None) -> str:
    """What is being collected and when it is due, as the admin shows it."""
    period = period_being_collected()
    return describe_collection(period, due_date(period) if period else None, today)


class Availability(models.TextChoices):
    AVAILABLE = "available", "Available"
    SUPPRESSED = "suppressed", "Suppressed [c]"
    NOT_AVAILABLE = "not_available", "Not available [x]"
    NOT_APPLICABLE = "not_applicable", "Not applicable [z]"


# The published numeric fields of a value; each has a "<field>_status" beside it.
PUBLISHED_FIELDS = ["outcome", "numerator", "denominator", "base", "margin_of_error"]
TOTAL = "Total"
# The note of every value the demo loads: pages and downloads say such values are not real.
ILLUSTRATIVE = "Illustrative demo value"
# No published figure comes near this: beyond it, or NaN or infinite, a number is an error.
NUMBER_LIMIT = 1e12


def _status_matches_number(field: str) -> models.CheckConstraint:
    available = Q(**{f"{field}_status": Availability.AVAILABLE})
    return models.CheckConstraint(
        condition=(available & Q(**{f"{field}__isnull": False}))
        | (~available & Q(**{f"{field}__isnull": True})),
        name=f"value_{field}_status_matches",
    )


def _not_negative(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0}),
        name=f"value_{field}_not_negative",
    )


def _finite(field: str) -> models.CheckConstraint:
    """No NaN or infinity (PostgreSQL stores both; NaN sorts above every number there)."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gt": -NUMBER_LIMIT, f"{field}__lt": NUMBER_LIMIT}),
        name=f"value_{field}_finite",
    )


def _status_field(label: str):
    return models.CharField(
        f"{label} availability",
        max_length=16,
        choices=Availability.choices,
        blank=True,
        help_text="Blank: no source has said.",
    )


class ImportRun(models.Model):
    """One import of a published file: what it was and what it changed."""

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    layout = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    report = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self):
        return f"{self.file_name} ({self.started_at:%Y-%m-%d %H:%M})"


VALUE_KEY = ("indicator_id", "period_id", "area_id", "disaggregation")


def _keys(values) -> list[tuple]:
    return [tuple(getattr(value, name) for name in VALUE_KEY) for value in values]


class ValueQuerySet(models.QuerySet):
    """Bulk writes announce what they wrote (`indicators.signals.values_written`), as a
    value's save or delete does through Django's own signals, so nothing that reads values
    can miss a change, whichever way it was made."""

    def councils(self):
        return self.filter(area__kind="council")

    def totals(self):
        return self.filter(disaggregation=TOTAL)

    def with_errata(self):
        """Each value with `corrected`: whether an erratum corrects any of its fields (one
        EXISTS in the same query; `indicators.errata.corrected_fields` says which)."""
        return self.annotate(
            corrected=Exists(
                Erratum.objects.filter(
                    area=OuterRef("area"),
                    indicator=OuterRef("indicator"),
                    period=OuterRef("period"),
                    disaggregation=OuterRef("disaggregation"),
                )
            )
        )

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        _announce(_keys(created))
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        moved = set(fields) & {"indicator", "period", "area", *VALUE_KEY}
        before = self._keys_of([o.pk for o in objs]) if moved else []
        # A plain queryset: its own update() of each batch is announced here, once.
        plain = models.QuerySet(self.model, using=self.db)
        updated = plain.bulk_update(objs, fields, *args, **kwargs)
        _announce(before + _keys(objs))
        return updated

    def update(self, **kwargs):
        pks = list(self.values_list("pk", flat=True))
        keys = self._keys_of(pks)
        updated = super().update(**kwargs)
        if set(kwargs) & {"indicator", "period", "area", *VALUE_KEY}:
            keys += self._keys_of(pks)
        _announce(keys)
        return updated

    def _keys_of(self, pks) -> list[tuple]:
        return list(self.model.objects.filter(pk__in=pks).values_list(*VALUE_KEY))


def _announce(keys: list[tuple]) -> None:
    if keys:
        values_written.send(sender=Value, keys=keys)


class Value(models.Model):
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="values")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="values")
    disaggregation = models.CharField(max_length=20, default=TOTAL)

    outcome = models.FloatField(null=True, blank=True)
    outcome_status = _status_field("Outcome")
    numerator = models.FloatField(null=True, blank=True)
    numerator_status = _status_field("Numerator")
    denominator = models.FloatField(null=True, blank=True)
    denominator_status = _status_field("Denominator")
    base = models.FloatField(
        null=True, blank=True, help_text="Survey respondents the outcome is based on."
    )
    base_status = _status_field("Base")
    margin_of_error = models.FloatField(null=True, blank=True)
    margin_of_error_status = _status_field("Margin of error")

    text_value = models.CharField(
        max_length=200, blank=True, help_text="RAG, yes/no, category or text indicators."
    )
    date_value = models.DateField(null=True, blank=True, help_text="Date indicators.")

    quality_flag = models.CharField(
        max_length=200, blank=True, help_text="A data-quality issue the publisher noted."
    )
    note = models.TextField(blank=True)
    import_run = models.ForeignKey(
        ImportRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="values",
        help_text="The import that last changed this value.",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=1,
        help_text="Counts the saves of the value: an admin form opened at an earlier version "
        "is refused, so no change is lost.",
    )
    sources = models.JSONField(
        default=dict,
        blank=True,
        help_text='The layout of the file that gave each published field ("outcome": '
        '"workbook"): the import\'s precedence is per field. A field not named here came '
        "from the layout of the import that last changed the value.",
    )

    objects = ValueQuerySet.as_manager()

    class Meta:
        ordering = ["indicator", "period", "area"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "indicator", "period", "disaggregation"],
                name="value_unique_area_indicator_period_disaggregation",
            ),
            *(_status_matches_number(field) for field in PUBLISHED_FIELDS[1:]),
            # The headline value is the outcome, or the text or date of a qualitative indicator.
            models.CheckConstraint(
                condition=(
                    Q(outcome_status=Availability.AVAILABLE)
                    & (Q(outcome__isnull=False) | ~Q(text_value="") | Q(date_value__isnull=False))
                )
                | (
                    ~Q(outcome_status=Availability.AVAILABLE)
                    & Q(outcome__isnull=True, text_value="", date_value__isnull=True)
                ),
                name="value_outcome_status_matches",
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gte=0),
                name="value_denominator_not_negative",
            ),
            *(_not_negative(field) for field in ["numerator", "base", "margin_of_error"]),
            *(_finite(field) for field in PUBLISHED_FIELDS),
        ]
        indexes = [models.Index(fields=["indicator", "period"], name="value_indicator_period")]

    def __str__(self):
        return f"{self.area} {self.indicator.code} {self.period} {self.disaggregation}"

    def validate_constraints(self, exclude=None):
        """The unique key only. The check constraints are rules of the validation layer
        (`indicators.validation`, which every form that saves a value runs first, with a
        message saying what and where); Django would test each again with a query (three on
        PostgreSQL, in a savepoint), a third of a return's publishing. The database still
        holds them."""
        using = router.db_for_write(Value, instance=self)
        errors = []
        for constraint in self._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                try:
                    constraint.validate(Value, self, exclude=exclude, using=using)
                except ValidationError as error:
                    errors.append(error)
        if errors:
            raise ValidationError(errors)


class ValueChange(models.Model):
    """The audit trail: one row per field a later import or an editor changed."""

    class Via(models.TextChoices):
        IMPORT = "import", "Imported"
        ADMIN = "admin", "Edited in the admin"
        RETURN = "return", "Published from a return"
        ERRATUM = "erratum", "Corrected by an erratum"

    value = models.ForeignKey(Value, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=30)
    old = models.CharField(max_length=200, blank=True)
    new = models.CharField(max_length=200, blank=True)
    import_run = models.ForeignKey(
        ImportRun, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why, when it was an erratum's correction."
    )
    via = models.CharField(
        max_length=10, choices=Via.choices, help_text="The write path that made the change."
    )

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self):
        return f"{self.value}: {self.field} {self.old} → {self.new}"


class Erratum(models.Model):
    """A correction of one published figure: the one way to change an official value.

    It names the value by its key and the field it corrects, the figure as published and the
    corrected one, with the evidence. Recording it writes the corrected figure into the value
    (`indicators.errata.apply`, audited as a `ValueChange` with the reason); every import
    keeps it, and flags it for review when a file gives a figure that is neither the one
    recorded as published nor the correction.
    """

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="errata")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="errata")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="errata")
    disaggregation = models.CharField(
        max_length=20, default=TOTAL, help_text='The breakdown: "Total" for the headline value.'
    )
    field = models.CharField(
        "Figure corrected",
        max_length=20,
        choices=[
            ("outcome", "Outcome"),
            ("numerator", "Numerator"),
            ("denominator", "Denominator"),
            ("base", "Base (respondents)"),
            ("margin_of_error", "Margin of error"),
        ],
    )
    published = models.FloatField(
        "Figure as published", help_text="Exactly as the publisher's file gives it."
    )
    corrected = models.FloatField(
        "Corrected figure", help_text="The figure the scorecard uses and shows instead."
    )
    reason = models.CharField(
        max_length=300, help_text="In one sentence: what is wrong with the published figure."
    )
    evidence = models.TextField(
        help_text="How you know: the publisher's notice, or the sums that show the error."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Blank: shipped with the reference data (data/reference/errata.csv).",
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    needs_review = models.BooleanField(
        default=False,
        help_text="A later import gave a figure that is neither the one recorded as published "
        "nor the correction: check whether the correction still holds.",
    )
    republished = models.CharField(
        "Publisher's new figure",
        max_length=40,
        blank=True,
        help_text="What that import gave, while the erratum needs review.",
    )

    class Meta:
        verbose_name_plural = "errata"
        ordering = ["indicator", "period", "area", "disaggregation", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "indicator", "period", "disaggregation", "field"],
                name="erratum_unique_value_field",
            ),
            models.CheckConstraint(
                condition=Q(field__in=PUBLISHED_FIELDS), name="erratum_field_is_published"
            ),
            models.CheckConstraint(
                condition=~Q(corrected=F("published")), name="erratum_changes_the_figure"
            ),
            models.CheckConstraint(
                condition=Q(needs_review=True, republished__gt="")
                | Q(needs_review=False, republished=""),
                name="erratum_review_names_the_new_figure",
            ),
        ]

    def __str__(self):
        return (
            f"{self.area} {self.indicator.code} {self.period} {self.disaggregation} "
            f"{self.get_field_display().lower()}: {self.published:g} → {self.corrected:g}"
        )

    @property
    def key(self) -> tuple:
        """The corrected value's key, as VALUE_KEY orders it."""
        return (self.indicator_id, self.period_id, self.area_id, self.disaggregation)
