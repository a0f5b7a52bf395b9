from django.contrib import admin

from indicators.models import (
    ImportRun,
    Indicator,
    IndicatorCode,
    Period,
    SeriesBreak,
    Value,
    ValueChange,
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
    list_display = ["code", "name", "kind", "polarity", "source", "scorecard_area", "position"]
    list_filter = ["source", "kind", "polarity", "scorecard_area"]
    search_fields = ["code", "name"]
    prepopulated_fields = {"slug": ["code"]}
    inlines = [IndicatorCodeInline, SeriesBreakInline]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["label", "year", "quarter"]


class ValueChangeInline(admin.TabularInline):
    model = ValueChange
    fields = ["changed_at", "field", "old", "new", "import_run", "changed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Value)
class ValueAdmin(admin.ModelAdmin):
    """Regional leads enter and correct values here; every change is recorded."""

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
    readonly_fields = ["import_run", "entered_by", "updated_at"]
    inlines = [ValueChangeInline]
    fieldsets = [
        (None, {"fields": ["area", "indicator", "period", "disaggregation"]}),
        (
            "Value",
            {
                "fields": [
                    ("outcome", "outcome_status"),
                    "text_value",
                    "date_value",
                    ("numerator", "numerator_status"),
                    ("denominator", "denominator_status"),
                    ("base", "base_status"),
                    ("margin_of_error", "margin_of_error_status"),
                ],
                "description": "Leave a number blank and choose why it is missing: a missing "
                "value is never a zero.",
            },
        ),
        (None, {"fields": ["note", "quality_flag", "import_run", "entered_by", "updated_at"]}),
    ]

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)
        if change:
            ValueChange.objects.bulk_create(
                ValueChange(
                    value=obj,
                    field=name,
                    old=str(form.initial.get(name) or ""),
                    new=str(form.cleaned_data.get(name) or ""),
                    changed_by=request.user,
                )
                for name in form.changed_data
            )


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["file_name", "layout", "started_at", "created", "updated", "unchanged"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False
