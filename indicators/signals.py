"""Signals the indicators app sends about writes that Django's model signals do not see."""

from django.dispatch import Signal

# Sent inside the writer's transaction after values were created, updated or deleted in bulk
# (`Value.objects.bulk_create`, `bulk_update`, `update`), with `keys`: a list of
# (indicator id, period id, area id, disaggregation) of every value written, before and after.
values_written = Signal()
