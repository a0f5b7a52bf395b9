from django.core.management.base import BaseCommand, CommandError

from councils.reference import load_reference
from scorecard import freshness


class Command(BaseCommand):
    help = (
        "Load areas, councils, the West Midlands ADASS group, the ASCOF and local indicators, "
        "their published codes and series breaks from data/. Safe to run again."
    )

    def handle(self, *args, **options):
        try:
            with freshness.batch():
                counts = load_reference()
        except ValueError as error:
            raise CommandError(f"Nothing loaded: {error}") from error
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count}")
        changes = sum(count.changed for count in counts.values())
        if changes:
            self.stdout.write(self.style.SUCCESS(f"Reference data loaded: {changes} changes."))
        else:
            self.stdout.write(self.style.SUCCESS("No changes: the reference data was up to date."))
