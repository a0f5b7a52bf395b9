"""The admin, as each role may use it. A council lead's view of values is scoped to their
councils on every path (list, change, history, delete, form choices): another council's value
answers 403. Regional leads give users their roles here."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from indicators.admin import ValueAdmin
from indicators.models import Value
from returns import workflow
from returns.models import Membership, Role


class ScopedValueAdmin(ValueAdmin):
    def _scope(self, request):
        """The councils the user is limited to, or None when they are not a council lead."""
        if workflow.role_of(request.user) == Role.COUNCIL_LEAD:
            return workflow.councils_for(request.user)
        return None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = self._scope(request)
        return queryset if scope is None else queryset.filter(area__in=scope)

    def get_object(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        if found is None and self._scope(request) is not None:
            try:
                elsewhere = Value.objects.filter(pk=object_id).exists()
            except (ValueError, ValidationError):
                elsewhere = False
            if elsewhere:
                raise PermissionDenied("That value is another council's.")
        return found

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = self._scope(request)
        if db_field.name == "area" and scope is not None:
            kwargs["queryset"] = scope
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


admin.site.unregister(Value)
admin.site.register(Value, ScopedValueAdmin)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role"]
    list_filter = ["role", "councils"]
    search_fields = ["user__username", "user__email"]
    filter_horizontal = ["councils"]
