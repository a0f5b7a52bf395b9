from django.contrib import admin

from councils.models import Area, ComparatorGroup, Council, Region
from scorecard.admin import WarmPagesMixin


@admin.register(Council)
class CouncilAdmin(WarmPagesMixin, admin.ModelAdmin):
    list_display = ["name", "code", "ons_code", "council_type", "region", "first_year", "last_year"]
    list_filter = ["region", "council_type"]
    search_fields = ["name", "code", "ons_code"]
    list_select_related = ["region"]
    prepopulated_fields = {"slug": ["name"]}
    exclude = ["kind"]


@admin.register(Region)
class RegionAdmin(WarmPagesMixin, admin.ModelAdmin):
    list_display = ["name", "code", "ons_code"]
    fields = ["name", "code", "slug", "ons_code"]


@admin.register(Area)
class AreaAdmin(WarmPagesMixin, admin.ModelAdmin):
    """Every area a value can belong to, including England and the council types."""

    list_display = ["name", "kind", "code", "ons_code"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "ons_code"]


@admin.register(ComparatorGroup)
class ComparatorGroupAdmin(WarmPagesMixin, admin.ModelAdmin):
    list_display = ["name", "is_default", "region"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["councils"]
