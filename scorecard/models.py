"""The data version: one number that changes whenever anything a page shows changes.

Pages cache what they compute under a key that includes this number, so every server
process sees new data on its next request without sharing memory.
"""

import contextvars

from django.db import models
from django.db.models import F
from django.utils import timezone


class DataVersion(models.Model):
    version = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="data_version_one_row")
        ]

    def __str__(self):
        return f"data version {self.version} ({self.changed_at:%Y-%m-%d %H:%M})"


# Set when a request changes the data, so the pages can be warmed once it has been answered
# (`scorecard.pagecache`).
data_changed = contextvars.ContextVar("data_changed", default=False)


def current_version() -> tuple[int, "timezone.datetime"]:
    row = DataVersion.objects.filter(pk=1).values_list("version", "changed_at").first()
    return row or (0, None)


def bump_version() -> None:
    """Mark the data as changed. Call inside the transaction that changed it."""
    data_changed.set(True)
    updated = DataVersion.objects.filter(pk=1).update(
        version=F("version") + 1, changed_at=timezone.now()
    )
    if not updated:
        DataVersion.objects.get_or_create(pk=1)
