"""Import official ASCOF publications: the time-series workbook (ODS or XLSX), the yearly
open-data CSVs (and XLSX copies of them), the 2024-25 CSV layout, the multi-year outcome
extract and the regional numerator/denominator file.

Every row of every file is validated first; if any row is wrong, nothing is written and every
problem is listed with its file, row and column. Otherwise all files are written in one
transaction. Re-importing a file changes nothing and says so.
"""

from django.core.management.base import BaseCommand, CommandError

from indicators.importing import Importer, ImportFailed
from indicators.periods import format_period, parse_period
from scorecard import freshness


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="Files to import (.csv, .csv.gz, .ods, .xlsx)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would change, including revised values for earlier years; "
            "write nothing.",
        )
        parser.add_argument(
            "--year",
            help="The financial year (e.g. 2020-21) of a yearly CSV whose file name does not say.",
        )

    def handle(self, *args, files, dry_run, year, **options):
        try:
            start_year = _start_year(year) if year else None
            importer = Importer(files, year=start_year, dry_run=dry_run)
            if dry_run:  # rolled back whole, results and all
                reports = importer.run()
            else:
                with freshness.batch():
                    reports = importer.run()
        except (ImportFailed, ValueError) as error:
            raise CommandError(str(error)) from error
        for report in reports:
            for line in report.lines():
                self.stdout.write(line)
        changed = sum(report.changed for report in reports)
        if dry_run:
            self.stdout.write(self.style.WARNING(f"Dry run: {changed} values would change."))
        elif changed:
            self.stdout.write(self.style.SUCCESS(f"Imported: {changed} values changed."))
        else:
            self.stdout.write(self.style.SUCCESS("No changes: the data was already up to date."))


def _start_year(text: str) -> int:
    """--year names a financial year, in the digits 0 to 9: not a quarter."""
    if not text.isascii():
        raise CommandError(f"--year {text!r}: write the year with the digits 0 to 9 (2021-22)")
    try:
        year, quarter = parse_period(text)
    except ValueError as error:
        raise CommandError(f"--year {error}") from error
    if quarter:
        raise CommandError(
            f"--year {text!r} names a quarter, but the yearly files hold whole financial years: "
            f"give the year, --year {format_period(year)}"
        )
    return year
