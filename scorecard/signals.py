"""Bump the data version whenever a model that pages show is saved or deleted one by one
(admin edits, commands). Bulk writes (the importer) bump it themselves."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from scorecard.models import bump_version


def _changed(sender, **kwargs):
    if kwargs.get("raw"):  # fixtures loading
        return
    bump_version()


def connect():
    from councils.models import Area, ComparatorGroup, Council, Region
    from indicators.models import Indicator, IndicatorCode, Period, SeriesBreak, Value

    models = (Area, Council, Region, ComparatorGroup, Indicator, IndicatorCode, Period, SeriesBreak)
    for model in (*models, Value):
        post_save.connect(_changed, sender=model, dispatch_uid=f"data-version-save-{model}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"data-version-del-{model}")
    m2m_changed.connect(
        _changed, sender=ComparatorGroup.councils.through, dispatch_uid="data-version-group"
    )
