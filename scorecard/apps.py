from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ScorecardConfig(AppConfig):
    name = "scorecard"

    def ready(self):
        from scorecard import freshness

        freshness.connect()


class ScorecardAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with the scorecard's admin site (INSTALLED_APPS names it)."""

    default = False
    default_site = "scorecard.admin.ScorecardAdminSite"
