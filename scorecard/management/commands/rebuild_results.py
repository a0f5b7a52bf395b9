import time

from django.core.management.base import BaseCommand

from scorecard import freshness


class Command(BaseCommand):
    help = (
        "Recompute every stored result (ranks, bands, distributions, aggregates, directions of "
        "travel) from the published values, in one transaction. Writes keep the results "
        "current by themselves; this is for after a restore or a change made outside Django."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        standings, summaries = freshness.rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {standings} standings and {summaries} summaries "
                f"in {time.perf_counter() - started:.1f} s."
            )
        )
