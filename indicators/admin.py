from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from indicators import errata
from indicators.forms import CollectionForm, IndicatorForm, ValueForm, fields_for, indicator_for
from indicators.models import (
    Availability,
    Collection,
    Erratum,
    ImportRun,
    Indicator,
    IndicatorCode,
    Period,
    SeriesBreak,
    Source,
    Value,
    ValueChange,
)
from indicators.validation import FIELD_LABELS

CHOOSE_FIRST = (
    "Choose the area, indicator and period, then save: the form then asks for the value as "
    "the indicator's kind needs it (a rating, yes or no, a category, a date, a year, or a "
    "number with its unit). The periods run back from the period being collected; any of "
    "them can be chosen, whether or not a value was entered for it before. The region's own "
    "measures are for the region's councils only."
)
COUNTED = (
    "Enter the numerator and the denominator: the percentage is worked out from them when you "
    "save (not applicable when the denominator is 0)."
)
MISSING = "Leave a value blank and choose why it is missing: a missing value is never a zero."
OFFICIAL = (
    "A published figure, from the import named below: it changes only by import. To correct "
    "a published figure, record an erratum (Indicators › Errata)."
)
ERRATUM = (
    "Name the published value and the figure you are correcting, give the figure as the "
    "publisher's file has it and the corrected figure, and say why and how you know. Saving "
    "writes the corrected figure into the value and records the change with your reason; every "
    "later import keeps it."
)


class IndicatorCodeInline(admin.TabularInline):
    model = IndicatorCode
    fields = ["code", "first_year", "last_year"]
    extra = 0


class SeriesBreakInline(admin.TabularInline):
    model = SeriesBreak
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    form = IndicatorForm
    list_display = ["code", "name", "kind", "polarity", "source", "scorecard_area", "position"]
    list_filter = ["source", "kind", "polarity", "scorecard_area"]
    search_fields = ["code", "name"]
    prepopulated_fields = {"slug": ["code"]}
    inlines = [IndicatorCodeInline, SeriesBreakInline]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    """The periods that have rows, to look at: a period's row is created when a value, an
    indicator's first quarter or the period being collected names it, so nobody adds one."""

    list_display = ["label", "year", "quarter"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    """The period being collected and when it is due: one row, changed by those with the
    change_collection permission. Its list goes straight to the row (made on first save if
    it is missing); there is no adding or deleting."""

    form = CollectionForm
    fields = ["status", "period", "due_on"]
    readonly_fields = ["status"]

    @admin.display(description="Status")
    def status(self, obj):
        return str(obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_object(self, request, object_id, from_field=None):
        stored = super().get_object(request, object_id, from_field)
        if stored is None and from_field is None and str(object_id) == "1":
            return Collection(pk=1)  # the one row, made by its first save
        return stored

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return redirect(reverse("admin:indicators_collection_change", args=[1]))


class ValueChangeInline(admin.TabularInline):
    model = ValueChange
    fields = ["changed_at", "field", "old", "new", "reason", "import_run", "changed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


KEY = ["area", "indicator", "period", "disaggregation"]


@admin.register(Value)
class ValueAdmin(admin.ModelAdmin):
    """Regional leads enter and correct values here, in the terms of each indicator's kind;
    every change is recorded. Published (imported) values are shown, never changed: they
    change only by import, so no edit here is undone by the next one."""

    form = ValueForm
    list_display = [
        "area",
        "indicator",
        "period",
        "disaggregation",
        "outcome",
        "outcome_status",
        "text_value",
        "date_value",
    ]
    list_filter = ["indicator__source", "period", "outcome_status", "indicator"]
    search_fields = ["area__name", "area__code", "indicator__code", "indicator__name"]
    list_select_related = ["area", "indicator", "period"]
    autocomplete_fields = ["area", "indicator"]
    inlines = [ValueChangeInline]

    def get_fieldsets(self, request, obj=None):
        indicator = indicator_for(obj, request.POST if request.method == "POST" else request.GET)
        if indicator is None:
            return [(None, {"fields": KEY, "description": CHOOSE_FIRST})]
        official = obj is not None and obj.import_run_id
        value = {"fields": fields_for(indicator.kind, indicator.is_counted), "description": MISSING}
        if indicator.is_counted:
            value["description"] = f"{COUNTED} {MISSING}"
            if obj is not None:
                value["fields"] = [*value["fields"], ("outcome", "outcome_status")]
        if official:
            value["description"] = OFFICIAL
        rest = ["note", "quality_flag", "import_run", "entered_by", "updated_at"]
        if not official:
            rest.append(("version", "seen_change"))
        return [(None, {"fields": KEY}), ("Value", value), (None, {"fields": rest})]

    def get_readonly_fields(self, request, obj=None):
        # A saved value keeps its place: to move it, add it where it belongs and delete this.
        key = KEY if obj is not None else []
        worked_out = ["outcome", "outcome_status"] if obj and obj.indicator.is_counted else []
        return [*key, *worked_out, "import_run", "entered_by", "updated_at"]

    def has_change_permission(self, request, obj=None):
        official = obj is not None and obj.import_run_id is not None
        return not official and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        official = obj is not None and obj.import_run_id is not None
        return not official and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        obj.version = form.cleaned_data["version"] + 1 if change else 1
        super().save_model(request, obj, form, change)
        if change:
            ValueChange.objects.bulk_create(
                ValueChange(
                    value=obj,
                    field=name,
                    old=old,
                    new=new,
                    changed_by=request.user,
                    via=ValueChange.Via.ADMIN,
                )
                for name, old, new in form.audit()
            )


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["file_name", "layout", "started_at", "created", "updated", "unchanged"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False


class ErratumForm(forms.ModelForm):
    """An erratum, checked as entered data by the validation layer (`errata.problems`):
    each problem is refused and named beside its field."""

    class Meta:
        model = Erratum
        fields = [
            "area",
            "indicator",
            "period",
            "disaggregation",
            "field",
            "published",
            "corrected",
            "reason",
            "evidence",
            "needs_review",
        ]

    def clean(self):
        data = super().clean()
        if not data.get("needs_review"):
            self.instance.republished = ""  # reviewed
        elif not self.instance.republished:
            self.add_error(
                "needs_review",
                "Only an import that gives a new published figure marks an erratum for review: "
                "leave this unticked.",
            )
        # A recorded erratum's value and field are read-only: its own.
        indicator = data.get("indicator") or getattr(self.instance, "indicator", None)
        field = data.get("field") or self.instance.field
        if indicator is None or not field:
            return data
        if indicator.source != Source.ASCOF:
            self.add_error(
                "indicator",
                f"{indicator.code} is one of the region's own measures, not a published one: "
                "correct its value under Values.",
            )
            return data
        for problem in errata.problems(
            indicator, field, data.get("published"), data.get("corrected")
        ):
            self.add_error("corrected", problem)
        self._check_published(data)
        return data

    def _check_published(self, data) -> None:
        """A new erratum's published figure must be the one stored, so it corrects what the
        publisher gave."""
        key = {name: data.get(name) for name in ("area", "indicator", "period", "disaggregation")}
        if self.instance.pk or None in key.values() or data.get("published") is None:
            return
        value = Value.objects.filter(**key).first()
        if value is None:
            return
        status, stored = getattr(value, f"{data['field']}_status"), getattr(value, data["field"])
        if value.import_run_id is None:
            self.add_error(None, f"{value} was not published: correct it under Values.")
        elif (status, stored) != (Availability.AVAILABLE, data["published"]):
            shown = (
                f"{stored:g}" if status == Availability.AVAILABLE else Availability(status).label
            )
            self.add_error(
                "published",
                f"The stored {FIELD_LABELS[data['field']]} is {shown}, as published: give that "
                "figure here.",
            )


@admin.register(Erratum)
class ErratumAdmin(admin.ModelAdmin):
    """Regional leads correct a published figure here, and nowhere else: saving writes the
    corrected figure into the value, audited with the reason; deleting puts the published
    figure back. Only users with the erratum permissions see it."""

    form = ErratumForm
    fieldsets = [
        (None, {"fields": ["area", "indicator", "period", "disaggregation"]}),
        ("Correction", {"fields": ["field", "published", "corrected"], "description": ERRATUM}),
        (None, {"fields": ["reason", "evidence"]}),
        (
            "Review",
            {"fields": ["needs_review", "republished", "recorded_by", "recorded_at"]},
        ),
    ]
    readonly_fields = ["republished", "recorded_by", "recorded_at"]
    list_display = [
        "indicator",
        "period",
        "area",
        "disaggregation",
        "field",
        "published",
        "corrected",
        "needs_review",
    ]
    list_filter = ["needs_review", "indicator", "period"]
    search_fields = ["area__name", "area__code", "indicator__code", "reason"]
    list_select_related = ["area", "indicator", "period"]
    autocomplete_fields = ["area", "indicator"]

    def get_readonly_fields(self, request, obj=None):
        # A recorded erratum keeps its place: to move it, delete it and record another.
        key = ["area", "indicator", "period", "disaggregation", "field"] if obj else []
        return [*key, *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
        errata.apply(obj, request.user)

    def delete_model(self, request, obj):
        errata.withdraw(obj, request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for erratum in queryset:
            self.delete_model(request, erratum)
