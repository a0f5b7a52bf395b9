"""The stored results of the statistics, and the data version.

`Standing` and `Summary` hold what `scorecard.stats` works out from the published values:
ranks, bands, percentile ranks, directions of travel, distributions and aggregates. They are
a derived store: `scorecard.freshness` keeps them current inside every writer's transaction
and `manage.py rebuild_results` recomputes them from the values.

The data version is one number that changes whenever anything a page shows changes. Whole
pages are cached under a key that includes it, so every server process sees new data on its
next request without sharing memory.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

# The store's `quarter` of a whole year's results (a Period's quarter is None for a year; a
# column in unique constraints is kept non-null so that SQLite and PostgreSQL both enforce it).
YEAR = 0


class DataVersion(models.Model):
    version = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="data_version_one_row")
        ]

    def __str__(self):
        return f"data version {self.version} ({self.changed_at:%Y-%m-%d %H:%M})"


def current_version() -> tuple[int, "timezone.datetime"]:
    """(version, when it changed), read from the database."""
    row = DataVersion.objects.filter(pk=1).values_list("version", "changed_at").first()
    return row or (0, None)


# The version as the shared cache holds it, for a few seconds at most.
VERSION_KEY = "data-version"
VERSION_SECONDS = 5


def shared_version() -> tuple[int, "timezone.datetime"]:
    """The data version without a query where every server process shares one cache (Redis,
    `CACHE_URL`): a warm page then touches no database at all. A change deletes the cached
    copy when it is made and again when it commits (`bump_version`), and the copy lasts
    VERSION_SECONDS at most, so a reader that read the old version just as a change committed
    serves it for at most that long. With a cache of its own per process (no CACHE_URL), one
    process could not retire another's copy, so the database is read every time."""
    if not settings.CACHE_URL:
        return current_version()
    found = cache.get(VERSION_KEY)
    if found is None:
        found = current_version()
        cache.set(VERSION_KEY, found, VERSION_SECONDS)
    return found


def bump_version() -> None:
    """Mark the data as changed. `scorecard.freshness` calls it inside the transaction that
    changed the data."""
    updated = DataVersion.objects.filter(pk=1).update(
        version=F("version") + 1, changed_at=timezone.now()
    )
    if not updated:
        DataVersion.objects.get_or_create(pk=1)
    cache.delete(VERSION_KEY)
    transaction.on_commit(lambda: cache.delete(VERSION_KEY))


class Standing(models.Model):
    """One council's stored standing in one indicator and year: nationally (no group) or
    within a saved comparator group. Kept current by `scorecard.freshness`, read by
    `scorecard.data`; never edited by hand.

    National rows exist for every council with a published row that year. `n` is empty when
    the council is not benchmarked nationally (a regional measure, a partial-coverage year).
    The direction of travel is the council's own, so it is kept on the national row only,
    with its significance beside it. A value on a base below the minimum (`stats.base_standing`)
    is stored with no `value`: it takes no part in the distribution and has no direction.
    """

    indicator = models.ForeignKey(
        "indicators.Indicator", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField(default=YEAR, help_text="0: the whole year.")
    group = models.ForeignKey(
        "councils.ComparatorGroup", on_delete=models.CASCADE, null=True, related_name="+"
    )
    area = models.ForeignKey("councils.Area", on_delete=models.CASCADE, related_name="+")
    value = models.FloatField(null=True)
    n = models.PositiveIntegerField(null=True)
    rank = models.PositiveIntegerField(null=True)
    tied = models.BooleanField(default=False)
    band = models.PositiveSmallIntegerField(null=True)
    percentile = models.FloatField(null=True)
    direction = models.CharField(max_length=20, blank=True)
    previous_year = models.PositiveSmallIntegerField(null=True)
    previous_quarter = models.PositiveSmallIntegerField(null=True)
    previous_value = models.FloatField(null=True)
    significance = models.CharField(
        max_length=20,
        blank=True,
        help_text="Whether the direction's change was tested against both periods' uncertainty: "
        "significant, not_significant (then static), not_tested; blank when not comparable or "
        "judged by the measure's own tolerance or its ratings.",
    )
    vs_england = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "quarter", "area"],
                condition=models.Q(group__isnull=True),
                name="standing_unique_national",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year", "quarter", "group", "area"],
                condition=models.Q(group__isnull=False),
                name="standing_unique_in_group",
            ),
            models.CheckConstraint(
                condition=models.Q(band__isnull=True) | models.Q(band__gte=1, band__lte=4),
                name="standing_band_1_to_4",
            ),
        ]
        indexes = [models.Index(fields=["year", "area"], name="standing_year_area")]

    def __str__(self):
        return f"{self.area_id} {self.indicator_id} {self.year} {self.group_id or 'national'}"


class Summary(models.Model):
    """The stored distribution of one indicator and year, nationally (no group) or within a
    saved comparator group, with the national status counts and the group's aggregate."""

    indicator = models.ForeignKey(
        "indicators.Indicator", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField(default=YEAR, help_text="0: the whole year.")
    group = models.ForeignKey(
        "councils.ComparatorGroup", on_delete=models.CASCADE, null=True, related_name="+"
    )
    n = models.PositiveIntegerField(default=0)
    p25 = models.FloatField(null=True)
    median = models.FloatField(null=True)
    p75 = models.FloatField(null=True)
    min = models.FloatField(null=True)
    max = models.FloatField(null=True)
    note = models.CharField(max_length=300, blank=True, help_text="Why there is no quartile.")
    status_counts = models.JSONField(default=dict)
    aggregate = models.JSONField(null=True, help_text="Σnumerator / Σdenominator of the group.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "quarter"],
                condition=models.Q(group__isnull=True),
                name="summary_unique_national",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year", "quarter", "group"],
                condition=models.Q(group__isnull=False),
                name="summary_unique_in_group",
            ),
        ]
        indexes = [models.Index(fields=["year", "group"], name="summary_year_group")]

    def __str__(self):
        return f"{self.indicator_id} {self.year} {self.group_id or 'national'}"
