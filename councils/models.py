"""Where values belong: England, regions, council types and councils, and comparator groups.

Every published figure belongs to an Area. England, the 9 regions and the council-type rows are
the published aggregates; councils are Areas with their identity across years (CASSR code, ONS
code history, years active). Council and Region are proxies over Area so that one foreign key on
Value carries councils and aggregates alike.
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse


class AreaKind(models.TextChoices):
    ENGLAND = "england", "England"
    REGION = "region", "Region"
    COUNCIL_TYPE = "council_type", "Council type"
    COUNCIL = "council", "Council"


class CouncilType(models.TextChoices):
    SHIRE_COUNTY = "S", "Shire Counties"
    UNITARY = "U", "Unitary Authority"
    METROPOLITAN = "M", "Metropolitan District"
    INNER_LONDON = "I", "Inner London"
    OUTER_LONDON = "O", "Outer London"


class AreaQuerySet(models.QuerySet):
    def councils(self):
        return self.filter(kind=AreaKind.COUNCIL)

    def regions(self):
        return self.filter(kind=AreaKind.REGION)

    def active_in(self, year: int):
        """Councils that existed in the financial year starting in `year`."""
        return self.filter(
            Q(first_year__isnull=True) | Q(first_year__lte=year),
            Q(last_year__isnull=True) | Q(last_year__gte=year),
        )


class Area(models.Model):
    """England, a region, a council type or a council: anything a published value is for.

    `code` is the published geographical code: "England", a region code ("WM"), a council-type
    code ("M") or, for a council, its CASSR code ("406"), the stable key across years.
    """

    kind = models.CharField(max_length=12, choices=AreaKind.choices)
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    ons_code = models.CharField("ONS code", max_length=9, blank=True)
    # Councils only.
    previous_ons_codes = models.JSONField(
        "previous ONS codes",
        default=list,
        blank=True,
        help_text='Earlier codes with the last year each was used: [{"code": "E10000002", '
        '"until": 2019, "note": ""}]. Years are the start year of the financial year.',
    )
    council_type = models.CharField(max_length=1, choices=CouncilType.choices, blank=True)
    region = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        limit_choices_to={"kind": AreaKind.REGION},
    )
    first_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="First financial year (its start year) with data."
    )
    last_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Last financial year with data; blank while current."
    )
    boundary_break_year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Start year of a boundary change that keeps the CASSR code (Dorset: 2019).",
    )
    boundary_note = models.CharField(max_length=200, blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="area_unique_kind_code"),
            models.CheckConstraint(
                condition=Q(kind=AreaKind.COUNCIL) | Q(region__isnull=True, council_type=""),
                name="area_only_councils_have_region_and_type",
            ),
            models.CheckConstraint(
                condition=Q(first_year__isnull=True)
                | Q(last_year__isnull=True)
                | Q(first_year__lte=models.F("last_year")),
                name="area_years_in_order",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        if self.kind == AreaKind.COUNCIL:
            return reverse("council-detail", args=[self.slug])
        return ""

    @property
    def is_council(self) -> bool:
        return self.kind == AreaKind.COUNCIL

    @property
    def cassr_code(self) -> str:
        return self.code if self.is_council else ""

    def ons_code_in(self, year: int) -> str:
        """The ONS code this council used in the financial year starting in `year`."""
        for previous in sorted(self.previous_ons_codes, key=lambda p: p["until"]):
            if year <= previous["until"]:
                return previous["code"]
        return self.ons_code


class CouncilManager(models.Manager.from_queryset(AreaQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=AreaKind.COUNCIL)


class RegionManager(models.Manager.from_queryset(AreaQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=AreaKind.REGION)


class Council(Area):
    objects = CouncilManager()

    class Meta:
        proxy = True
        ordering = ["name"]

    def save(self, *args, **kwargs):
        self.kind = AreaKind.COUNCIL
        super().save(*args, **kwargs)


class Region(Area):
    objects = RegionManager()

    class Meta:
        proxy = True
        ordering = ["name"]

    def save(self, *args, **kwargs):
        self.kind = AreaKind.REGION
        super().save(*args, **kwargs)


class ComparatorGroup(models.Model):
    """A named set of councils to compare with each other ("West Midlands ADASS" = the 14)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    region = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": AreaKind.REGION},
        help_text="The published region whose aggregate this group matches, if any.",
    )
    councils = models.ManyToManyField(
        Area, related_name="comparator_groups", limit_choices_to={"kind": AreaKind.COUNCIL}
    )
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="comparator_group_one_default",
            )
        ]

    def __str__(self):
        return self.name
