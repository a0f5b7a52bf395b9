"""`manage.py benchmark`: one indicator in one period, benchmarked for a comparator group.

Every figure comes from `scorecard.data.benchmarks` (and so `scorecard.stats`): this command
only resolves its arguments and lays the result out as an aligned table or as CSV, its
numbers rounded as the pages round them (`scorecard.numbers`): to the indicator's decimals,
the national quartiles to two more.
"""

import csv

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from councils.models import ComparatorGroup
from indicators.models import TOTAL, Indicator, IndicatorCode, normalise_code
from indicators.periods import format_period, parse_period
from scorecard import data
from scorecard.numbers import format_number, rounded

CSV_COLUMNS = [
    "cassr_code",
    "ons_code",
    "council",
    "value",
    "status",
    "national_rank",
    "national_n",
    "national_quartile",
    "group_rank",
    "group_quartile",
    "direction",
    "significance",
    "previous_value",
    "previous_period",
    "national_p25",
    "national_median",
    "national_p75",
    "indicator",
    "published_code",
    "period",
    "group",
]
TABLE_COLUMNS = [
    ("Code", "cassr_code"),
    ("Council", "council"),
    ("Value", "value"),
    ("Status", "status"),
    ("National rank", "national_rank_label"),
    ("Nat. quartile", "national_quartile"),
    ("Group rank", "group_rank_label"),
    ("Group quartile", "group_quartile"),
    ("Direction", "direction"),
    ("Significance", "significance"),
    ("Previous", "previous"),
]
NUMERIC = {"value", "national_rank_label", "group_rank_label", "previous"}


def resolve_indicator(code: str, year: int) -> Indicator:
    """The indicator a user means by `code` in `year`: its stable code (case-insensitive, with
    or without parentheses), else the code the publication used that year."""
    wanted = normalise_code(code)
    stable = {normalise_code(i.code): i for i in Indicator.objects.all()}
    if wanted in stable:
        return stable[wanted]
    published = (
        IndicatorCode.objects.filter(normalised=wanted, first_year__lte=year)
        .filter(Q(last_year__isnull=True) | Q(last_year__gte=year))
        .select_related("indicator")
        .first()
    )
    if published:
        return published.indicator
    in_year = IndicatorCode.objects.filter(first_year__lte=year).filter(
        Q(last_year__isnull=True) | Q(last_year__gte=year)
    )
    codes_in_year = sorted({c.code for c in in_year})
    elsewhere = IndicatorCode.objects.filter(normalised=wanted).order_by("first_year")
    hint = ""
    if elsewhere:
        hint = " It was published as " + ", ".join(f"{c.code} {c.span}" for c in elsewhere) + "."
    raise CommandError(
        f"Unknown indicator code {code!r} for {format_period(year)}.{hint} Use a stable code "
        f"({', '.join(sorted(stable_code for stable_code in _stable_codes()))}) or a code "
        f"published in {format_period(year)} ({', '.join(codes_in_year) or 'none'})."
    )


def _stable_codes() -> list[str]:
    return list(Indicator.objects.values_list("code", flat=True))


def _plain(value) -> str:
    return "" if value is None else str(value)


class Command(BaseCommand):
    help = (
        "Benchmark one indicator in one period for a comparator group: each council's value, "
        "national and group rank and quartile (1 = upper, the best), direction of travel, "
        "the national quartiles and the group aggregate."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--indicator",
            required=True,
            help="Stable code (3D(2a)) or the code published that period (1C(2a) or 1C2A).",
        )
        parser.add_argument(
            "--period",
            required=True,
            help="Financial year, e.g. 2022-23, or a quarter of a measure collected quarterly, "
            'e.g. "2025-26 Q2".',
        )
        parser.add_argument(
            "--group",
            default="",
            help=f"Comparator group slug (default: the default group), or {data.ENGLAND!r} "
            "for every council.",
        )
        parser.add_argument("--disaggregation", default=TOTAL)
        parser.add_argument("--format", choices=["table", "csv"], default="table")

    def handle(self, *args, indicator, period, group, disaggregation, format, **options):
        year, quarter = self._period(period)
        resolved = resolve_indicator(indicator, year)
        group_obj = self._group(group)
        info = next(i for i in data.indicators() if i.id == resolved.pk)
        if quarter is not None:
            self._check_quarterly(info, year, quarter)
        try:
            result = data.benchmarks(
                year, group_obj, [info], quarter=quarter, disaggregation=disaggregation
            )[info.id]
        except ValueError as error:
            raise CommandError(str(error)) from None
        if format == "csv":
            self._csv(result)
        else:
            self._table(result, indicator)

    # Arguments ---------------------------------------------------------------------------

    def _period(self, period: str) -> tuple[int, int | None]:
        """(year, quarter or None) of a period with data."""
        try:
            year, quarter = parse_period(period)
        except ValueError as error:
            raise CommandError(f"{error}. Periods with data: {self._periods()}.") from None
        if (year, quarter) not in data.periods_with_data():
            raise CommandError(
                f"No data for {format_period(year, quarter)}. Periods with data: {self._periods()}."
            )
        return year, quarter

    @staticmethod
    def _check_quarterly(info: data.IndicatorInfo, year: int, quarter: int) -> None:
        """A quarter only of a measure collected quarterly by then."""
        if info.quarterly_in(year, quarter):
            return
        asked = format_period(year, quarter)
        if not info.quarterly_basis or info.quarterly_from is None:
            raise CommandError(
                f"{info.code} is collected yearly, so it has no value for a quarter: give a "
                f"financial year such as {format_period(year)} instead of {asked}."
            )
        raise CommandError(
            f"{info.code} is collected quarterly only from {format_period(*info.quarterly_from)}"
            f": give a later quarter or a financial year instead of {asked}."
        )

    def _periods(self) -> str:
        return ", ".join(format_period(*period) for period in data.periods_with_data())

    def _group(self, slug: str):
        try:
            return data.group_by_slug(slug or None)
        except ComparatorGroup.DoesNotExist:
            slugs = [*ComparatorGroup.objects.values_list("slug", flat=True), data.ENGLAND]
            raise CommandError(
                f"Unknown group {slug!r}. Valid groups: {', '.join(slugs)}."
            ) from None

    # Output ------------------------------------------------------------------------------

    def _rows(self, result: data.IndicatorResult) -> list[dict]:
        decimals = result.indicator.decimals
        dist = result.national
        rows = []
        for row in result.rows:
            national, group = row.national, row.group
            value = row.cell.outcome if row.cell.has_value else None
            rows.append(
                {
                    "cassr_code": row.council.cassr_code,
                    "ons_code": row.council.ons_code,
                    "council": row.council.name,
                    "value": rounded(value, decimals),
                    "value_text": row.cell.text or format_number(value, decimals),
                    "status": row.cell.status_label,
                    "national_rank": national.rank if national else None,
                    "national_n": national.n if national and national.rank else None,
                    "national_quartile": national.band if national else None,
                    "national_rank_label": row.national_rank_label,
                    "group_rank": group.rank if group else None,
                    "group_quartile": group.band if group else None,
                    "group_rank_label": row.group_rank_label,
                    "direction": row.direction.replace("_", " "),
                    "significance": row.significance.replace("_", " "),
                    "previous_value": rounded(row.previous_value, decimals),
                    "previous": format_number(row.previous_value, decimals)
                    + (f" ({row.previous_period})" if row.previous_period else ""),
                    "previous_period": row.previous_period or None,
                    "national_p25": rounded(dist.p25, decimals + 2),
                    "national_median": rounded(dist.median, decimals + 2),
                    "national_p75": rounded(dist.p75, decimals + 2),
                    "indicator": result.indicator.code,
                    "published_code": result.published_code,
                    "period": result.period,
                    "group": result.group_name,
                }
            )
        return rows

    def _csv(self, result: data.IndicatorResult) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in self._rows(result):
            writer.writerow([_plain(row[column]) for column in CSV_COLUMNS])

    def _table(self, result: data.IndicatorResult, asked: str) -> None:
        info = result.indicator
        out = self.stdout.write
        out(f"{info.code} {info.name}")
        out(
            f"Published as {result.published_code} in {result.period} (asked for {asked!r}). "
            f"Unit: {info.unit or info.kind}."
        )
        out(f"Group: {result.group_name}. Polarity: {info.polarity.replace('_', ' ')}.")
        for caveat in result.caveats:
            out(f"Note: {caveat}")
        out("")
        rows = self._rows(result)
        cells = [
            [
                "" if r[key] is None else (r["value_text"] if key == "value" else str(r[key]))
                for _, key in TABLE_COLUMNS
            ]
            for r in rows
        ]
        headers = [title for title, _ in TABLE_COLUMNS]
        widths = [
            max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
            for i, h in enumerate(headers)
        ]

        def line(values):
            return "  ".join(
                v.rjust(w) if key in NUMERIC else v.ljust(w)
                for v, w, (_, key) in zip(values, widths, TABLE_COLUMNS, strict=True)
            ).rstrip()

        out(line(headers))
        out(line(["-" * w for w in widths]))
        for c in cells:
            out(line(c))
        out("")
        self._summary(result)

    def _summary(self, result: data.IndicatorResult) -> None:
        out = self.stdout.write
        info = result.indicator
        decimals = info.decimals
        dist = result.national
        if dist.n:
            p25, median, p75 = (
                format_number(q, decimals + 2) for q in (dist.p25, dist.median, dist.p75)
            )
            out(
                f"National ({dist.n} councils with a value): p25 {p25}, median {median}, "
                f"p75 {p75} (min {format_number(dist.min, decimals)}, "
                f"max {format_number(dist.max, decimals)})."
            )
        else:
            out("National: no council has a value.")
        if result.national_note:
            out(result.national_note)
        counts = ", ".join(
            f"{count} {status.replace('_', ' ')}" for status, count in result.status_counts.items()
        )
        if counts:
            out(f"Councils by status: {counts}.")
        if result.england.has_value:
            out(f"England (published): {format_number(result.england.outcome, decimals)}.")
        aggregate = result.aggregate
        if aggregate is None:
            reason = (
                "a weighted survey estimate has no Σnumerator/Σdenominator"
                if info.is_survey
                else "no numerators and denominators published for the group's councils"
            )
            out(f"{result.group_name} aggregate: none ({reason}).")
        elif aggregate.complete:
            out(
                f"{result.group_name} aggregate (Σnumerator / Σdenominator): "
                f"{aggregate.numerator_sum:,} / {aggregate.denominator_sum:,} = "
                f"{format_number(aggregate.value, decimals)} ({aggregate.n_members} councils)."
            )
        else:
            out(
                f"{result.group_name} aggregate: {format_number(aggregate.value, decimals)} "
                f"INCOMPLETE: {aggregate.n_missing} of {aggregate.n_members} councils have no "
                "numerator or denominator, so it covers the others only."
            )
        if result.region_name:
            region = result.region
            if region.has_value:
                published = format_number(region.outcome, decimals)
                flag = (
                    f" MISMATCH with our aggregate {format_number(aggregate.value, decimals)}."
                    if result.aggregate_mismatch
                    else ""
                )
                out(f"{result.region_name} region (published): {published}.{flag}")
            else:
                out(f"{result.region_name} region (published): {region.status_label}.")
