from django.apps import AppConfig


class ScorecardConfig(AppConfig):
    name = "scorecard"

    def ready(self):
        from scorecard import freshness

        freshness.connect()
