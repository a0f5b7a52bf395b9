"""The admin site, where regional leads enter data: every change it posts is one batch of
`scorecard.freshness`, so a bulk action recomputes the results it affects once, not once per
row, inside the same transaction."""

from functools import wraps

from django.contrib import admin

from scorecard import freshness


class ScorecardAdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def batched(request, *args, **kwargs):
            if request.method != "POST":
                return inner(request, *args, **kwargs)
            with freshness.batch():
                return inner(request, *args, **kwargs)

        return batched
