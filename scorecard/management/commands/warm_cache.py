from django.core.management.base import BaseCommand, CommandError

from scorecard.pagecache import cache_is_shared, default_paths, warm


class Command(BaseCommand):
    help = (
        "Render the pages most people open first (the region overview, its councils and the "
        "indicators, latest period, default group) into the cache, so the first visitor after a "
        "deployment or a data change is served at once. Useful when CACHE_URL is set."
    )

    def handle(self, *args, **options):
        if not cache_is_shared():
            self.stdout.write(
                self.style.WARNING(
                    "The cache is local to this process (CACHE_URL is not set): the server's "
                    "processes will not see these pages."
                )
            )
        rendered, failed, seconds = warm(default_paths(indicators=True))
        self.stdout.write(self.style.SUCCESS(f"{rendered} pages warmed in {seconds:.1f} s."))
        if failed:
            raise CommandError(f"{failed} pages failed to render: see the log for why.")
