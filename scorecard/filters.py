"""The council list's filters (django-filter), read from the query string so that a filtered
list can be bookmarked and downloaded as shown."""

import django_filters

from councils.models import Area, CouncilType

CURRENT, FORMER = "current", "former"


class CouncilFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(
        label="Council name", lookup_expr="icontains", help_text="All or part of the name"
    )
    region = django_filters.ChoiceFilter(
        label="Region", field_name="region__code", empty_label="Any region"
    )
    type = django_filters.ChoiceFilter(
        label="Council type",
        field_name="council_type",
        choices=CouncilType.choices,
        empty_label="Any type",
    )
    status = django_filters.ChoiceFilter(
        label="Current or former",
        choices=[(CURRENT, "Current councils"), (FORMER, "Former councils (merged or split)")],
        empty_label="Current and former",
        help_text="Former councils have data until the year before they merged or split",
        method="filter_status",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One query for the region choices, however often the form reads them.
        self.filters["region"].extra["choices"] = list(
            Area.objects.regions().order_by("name").values_list("code", "name")
        )

    def filter_status(self, queryset, name, value):
        return queryset.filter(last_year__isnull=value == CURRENT)
