from django.contrib import admin

from councils.models import Area, ComparatorGroup, Council, Region


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "ons_code", "council_type", "region", "first_year", "last_year"]
    list_filter = ["region", "council_type"]
    search_fields = ["name", "code", "ons_code"]
    list_select_related = ["region"]
    prepopulated_fields = {"slug": ["name"]}
    exclude = ["kind"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "ons_code"]
    fields = ["name", "code", "slug", "ons_code"]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    """Every area a value can belong to, including England and the council types."""

    list_display = ["name", "kind", "code", "ons_code"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "ons_code"]


@admin.register(ComparatorGroup)
class ComparatorGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "region"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["councils"]
