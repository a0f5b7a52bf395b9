"""Benchmarking statistics for the scorecard: plain values in, plain values out.

Method
------
**Missing values.** ``None`` (or NaN) means missing or suppressed. Missing values are left out
of every count *n*, never treated as zero, and get no rank, band or percentile rank.

**Decimal arithmetic.** Sums, differences and means that are rounded or compared with a
threshold are worked in decimal arithmetic on the values as written, so boundary cases fall as
a person checking by hand would expect: 27.9 + 1.2 is exactly 29.1 and 0.52 − 0.50 is exactly
0.02 (binary floating point makes them 29.099999999999998 and 0.020000000000000018).

**Distribution.** Over the *n* values: minimum, maximum and the quartiles p25, median and p75
by linear interpolation, exactly as pandas' default ``Series.quantile`` and Excel's
``QUARTILE.INC``: with the values sorted ascending and counted from 0, the q-quantile lies at
position q × (n − 1), interpolating between the two values either side.

**Quartile bands.** 1 = Upper (the best quarter), 2 = Upper middle, 3 = Lower middle,
4 = Lower. The band is 4 minus the number of cut-offs (p25, median, p75) that the value reaches
or passes in the better direction, so a value equal to a cut-off goes to the better band.
Higher is better: ≥ p75 → 1, ≥ median → 2, ≥ p25 → 3, otherwise 4. Lower is better:
≤ p25 → 1, ≤ median → 2, ≤ p75 → 3, otherwise 4. With fewer than 4 values, or for a measure
with no judgement of better or worse, there is no band.

**Ranks.** Rank 1 is the best value. A value's rank is 1 + the number of strictly better
values, so ties share the best rank ("competition ranking": 1, 2, 2, 4). Values tie only when
exactly equal, so rank the published (rounded) figures. Shown as "4th of 152", or "=4th of
152" when tied.

**Percentile rank.** p = (n − rank) / (n − 1): 1 for the best, 0 for the worst; none when
n < 2.

**Rounding.** Half away from zero, as NHS Digital, on the decimal value as written:
0.125 → 0.13, −2.5 → −3, 27.85 → 27.9.

**Aggregates** (e.g. the region). Σ numerators / Σ denominators × multiplier, worked exactly
and then rounded once. A member with a missing numerator or denominator is left out; the
aggregate is then *incomplete*: its value is still given but must be shown flagged, and its
sums are withheld so that a suppressed member cannot be recovered by subtraction.

**Comparison with England.** Similar if England's value lies within the council's interval
(inclusive); otherwise better or worse according to polarity. The interval is the value ± its
margin of error for a survey measure, the Wilson interval of numerator / denominator
(× multiplier) for a proportion with counts; without either the comparison is not tested
(:func:`england_comparison`).

**Comparability** (one rule, :func:`comparable`, for directions of travel, the lines joining
a trend's points and "since" spans). Two periods may be compared unless a series break or a
council's boundary change (Dorset, 2019-20) starts after the earlier one, up to and including
the later one: a break or boundary change in B blocks every comparison from B or later to a
period before B. A partial-coverage period (2020-21 survey measures: a voluntary survey run by
18 councils) is never an end of a comparison, and is skipped without blocking: 2021-22 compares
with 2019-20, as the publisher's comparability log allows.

**Direction of travel.** Change = current value − the previous comparable value. Static if
the change is within ± tolerance (inclusive), otherwise improving or worsening according to
polarity. The previous comparable value is that of the latest earlier period with a value that
is not of partial coverage, if it is comparable by the rule above. A break, a boundary change or
a missing value gives not comparable, never a guess.

**Change judged against both years' uncertainty** (:func:`judged_change`). A survey measure's
change Δ = x₂ − x₁ is significant only when |Δ| > √(MoE₁² + MoE₂²), the published margins of
error taken as 95 % half-widths of independent estimates; it is decided exactly, as
Δ² > MoE₁² + MoE₂² in decimal arithmetic on the figures as published, so a change equal to
the combined margin is not significant. An administrative proportion with its numerator and
denominator at both ends is tested with Newcombe's hybrid score interval for the difference of
two independent proportions (Newcombe 1998, method 10): with Wilson limits (lᵢ, uᵢ) of
pᵢ = xᵢ / nᵢ and d = p₂ − p₁, the 95 % interval is
[d − √((p₂ − l₂)² + (u₁ − p₁)²), d + √((u₂ − p₂)² + (p₁ − l₁)²)], and the change is significant
when it excludes 0. A tested change that is not significant is static ("no significant
change"); a significant one is improving or worsening by polarity. Any other numeric change
(no margins or counts at both ends, or a rate per 100,000) is *not tested*: its movement is
given at tolerance zero and flagged as not tested, never silently as significant.

**Wilson score interval** of x successes in n: (2x + z² ∓ z√(z² + 4x(n − x)/n)) / (2(n + z²)),
z = Φ⁻¹(0.975) ≈ 1.959964, worked in decimal arithmetic.

**Minimum bases** (:func:`base_standing`). A zero base (survey respondents or denominator) is
not available. A value on a known base below the minimum, 30 respondents for a survey measure
or a denominator of 10 for an administrative one, is shown but takes no part in the
distribution, ranks, bands or directions (it still counts in Σ aggregates). An unknown base does
not block ranking: most administrative years publish the outcome only.

**Overall direction** (the regional account). Over a span, the measures with a percentile rank
at both ends; the mean percentile rank at each end; positive if the mean rose by more than the
tolerance (0.02), negative if it fell by more than the tolerance, otherwise static.

**Domain position.** The mean percentile rank of a domain's measures, banded with the quartile
band rule at cut-offs 0.25, 0.5 and 0.75: ≥ 0.75 → 1, ≥ 0.5 → 2, ≥ 0.25 → 3, otherwise 4.

**RAG movement.** Red < amber < green: moving up is improving, down is worsening.

**Quarterly measures.** A year is named by its start year (2024 = 2024-25) and its quarters
run Q1 = Apr-Jun, Q2 = Jul-Sep, Q3 = Oct-Dec, Q4 = Jan-Mar. Each quarterly measure has a
basis, which fixes its year's value and what its direction compares with:

- *Snapshot*: the state at quarter end (a RAG rating, a post holder, a count of registered
  locations, a share "as at" a date). The year's value is Q4's (a text value too). Direction
  compares with the immediately previous quarter, Q1 with Q4 of the year before, and never
  skips back over a missing quarter.
- *In-quarter*: what happened within the quarter (complaints upheld of those decided in it).
  The year's value is Σ numerators / Σ denominators × multiplier over the four quarters,
  worked exactly and rounded once, half away from zero (1/3, 1/3, 1/3 and 0/3 give
  3/12 × 100 = 25, not a mean of quarterly percentages); for a count it is the sum of the
  four quarters. Direction compares with the same quarter a year earlier, because of
  seasonality; the previous quarter is shown beside it.
- *Year to date*: cumulative from April. The year's value is Q4's. Direction compares with
  the same quarter a year earlier.

A year's value exists only when the quarters its basis needs exist: Q4 for snapshot and year
to date, all four for in-quarter, each with a numerator and a denominator for a ratio.
Otherwise the year is *incomplete*, with no value, and the quarters missing are named.
Comparisons never cross a series break: a break in year B means nothing in B or later is
compared with anything before B's Q1. The period compared with must have a value: a missing
one gives not comparable, never a guess. In every ordering a year follows its own Q4 (2024-25
Q4, then 2024-25, then 2025-26 Q1).
"""

import math
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)
Number = int | float

HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
NO_JUDGEMENT = "no_judgement"
POLARITIES = (HIGHER_IS_BETTER, LOWER_IS_BETTER, NO_JUDGEMENT)

BAND_LABELS = {1: "Upper", 2: "Upper middle", 3: "Lower middle", 4: "Lower"}
MIN_VALUES_FOR_BANDS = 4

IMPROVING = "improving"
STATIC = "static"
WORSENING = "worsening"
NOT_COMPARABLE = "not_comparable"
POSITIVE = "positive"
NEGATIVE = "negative"
SIMILAR = "similar"
BETTER = "better"
WORSE = "worse"

OVERALL_TOLERANCE = 0.02

# Whether a change (or a comparison with England) was tested against its uncertainty.
SIGNIFICANT = "significant"
NOT_SIGNIFICANT = "not_significant"
NOT_TESTED = "not_tested"
# Φ⁻¹(0.975), the normal quantile of a two-sided 95 % interval.
Z95 = Decimal("1.959963984540054")

# Whether a value takes part in the distribution, by its base (see base_standing).
MIN_RESPONDENTS = 30
MIN_DENOMINATOR = 10
RANKED = "ranked"
BELOW_MINIMUM_BASE = "below_minimum_base"
NOT_AVAILABLE = "not_available"  # as indicators.models.Availability

# A quarterly measure's basis: equal to indicators.models.Basis values.
SNAPSHOT = "snapshot"
IN_QUARTER = "in_quarter"
YEAR_TO_DATE = "year_to_date"
BASES = (SNAPSHOT, IN_QUARTER, YEAR_TO_DATE)
QUARTERS = (1, 2, 3, 4)
RAG_ORDER = ("red", "amber", "green")

_DOMAIN_CUTOFFS = (0.25, 0.5, 0.75)
_TRAVEL = {1: IMPROVING, 0: STATIC, -1: WORSENING}
_OVERALL = {1: POSITIVE, 0: STATIC, -1: NEGATIVE}


@dataclass(frozen=True, slots=True)
class Distribution:
    """Count and five-number summary of the non-missing values; all None when n is 0.

    p25, median and p75 are positions in ascending value order: which end is the "upper"
    quarter depends on polarity.
    """

    n: int
    p25: float | None
    median: float | None
    p75: float | None
    min: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class Benchmark:
    """One council's standing among the n non-missing values of one indicator and period."""

    value: float | None
    rank: int | None
    tied: bool
    n: int
    band: int | None
    percentile: float | None


@dataclass(frozen=True, slots=True)
class BenchmarkTable:
    """The distribution of one indicator, period and breakdown, and each council's standing."""

    distribution: Distribution
    rows: dict[Hashable, Benchmark]


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Σ numerators / Σ denominators × multiplier over members such as a region's councils.

    When ``complete`` is False the value covers only the complete members, must be shown
    flagged as incomplete, and the sums are None so a suppressed member cannot be recovered.
    """

    value: float | None
    numerator_sum: Number | None
    denominator_sum: Number | None
    n_members: int
    n_missing: int
    complete: bool


@dataclass(frozen=True, slots=True)
class OverallDirection:
    """Mean percentile rank of the measures common to both ends of a span, and its movement."""

    direction: str
    measures: list[Hashable]
    mean_start: float | None
    mean_end: float | None
    change: float | None


@dataclass(frozen=True, slots=True)
class ValueRange:
    """Lowest and highest non-missing values, with every name holding each (ties included)."""

    min: float | None
    at_min: list[Hashable]
    max: float | None
    at_max: list[Hashable]


def _check_polarity(polarity: str) -> None:
    if polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}; expected one of {POLARITIES}")


def _is_missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _dec(x: Number) -> Decimal:
    # str gives the shortest decimal that round-trips, i.e. the value as written.
    return Decimal(str(x))


def _round_decimal(d: Decimal, decimals: int) -> float:
    # ROUND_HALF_UP in the decimal module rounds ties away from zero.
    return float(d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def _mean(values: list[Number]) -> Decimal:
    return sum(map(_dec, values), Decimal(0)) / len(values)


def _movement(change: Decimal, tolerance: Number) -> int:
    """+1 if change exceeds the tolerance, −1 if it falls below −tolerance, otherwise 0."""
    limit = _dec(tolerance)
    return (change > limit) - (change < -limit)


def _band(x, cutoffs, polarity: str):
    """4 minus the number of cut-offs x reaches or passes in the better direction.

    Works unchanged on a scalar or element-wise on a numpy array, so single values and whole
    tables are banded by this one rule.
    """
    if polarity == HIGHER_IS_BETTER:
        return 4 - sum(x >= c for c in cutoffs)
    return 4 - sum(x <= c for c in cutoffs)


def _bandable(dist: Distribution, polarity: str) -> bool:
    return polarity != NO_JUDGEMENT and dist.n >= MIN_VALUES_FOR_BANDS


def _cutoffs(dist: Distribution) -> tuple[float, float, float]:
    return (dist.p25, dist.median, dist.p75)


def _percentile(rank, n: int):
    """(n − rank) / (n − 1); works on a scalar or element-wise on a numpy array."""
    return (n - rank) / (n - 1)


def _sorted_present(values: Iterable[Number | None]) -> np.ndarray:
    # dtype=float turns None into NaN, so one mask drops both kinds of missing value.
    arr = np.array(list(values), dtype=float)
    return np.sort(arr[~np.isnan(arr)])


def _distribution_of_sorted(xs: np.ndarray) -> Distribution:
    if xs.size == 0:
        return Distribution(0, None, None, None, None, None)
    # np.quantile's default "linear" method is what pandas' Series.quantile calls.
    p25, median, p75 = np.quantile(xs, (0.25, 0.5, 0.75)).tolist()
    return Distribution(xs.size, p25, median, p75, float(xs[0]), float(xs[-1]))


def distribution(values: Iterable[Number | None]) -> Distribution:
    """n, quartiles (pandas ``Series.quantile`` / Excel ``QUARTILE.INC``), min and max.

    Missing values (None or NaN) are left out. The q-quantile of the n values sorted
    ascending is at position h = q × (n − 1) counting from 0: x[⌊h⌋] + (h − ⌊h⌋) ×
    (x[⌊h⌋ + 1] − x[⌊h⌋]). The median is the 0.5-quantile, which is the usual median (it can
    differ from ``Series.median`` in the last binary digit). n = 0 gives all None.
    """
    return _distribution_of_sorted(_sorted_present(values))


def quartile_band(value: Number | None, dist: Distribution, polarity: str) -> int | None:
    """Quartile band 1 (Upper) to 4 (Lower) of ``value`` against ``dist``.

    The band is 4 minus the number of cut-offs (p25, median, p75) the value reaches or passes
    in the better direction, so a value equal to a cut-off goes to the better band. Higher is
    better: ≥ p75 → 1, ≥ median → 2, ≥ p25 → 3, otherwise 4. Lower is better: ≤ p25 → 1,
    ≤ median → 2, ≤ p75 → 3, otherwise 4. None if the value is missing, the distribution has
    fewer than 4 values, or the polarity is no_judgement. The value need not be one of the
    distribution's (e.g. England against the councils).
    """
    _check_polarity(polarity)
    if _is_missing(value) or not _bandable(dist, polarity):
        return None
    return int(_band(value, _cutoffs(dist), polarity))


def _competition_ranks(present: np.ndarray, xs: np.ndarray, polarity: str):
    """Rank = 1 + number of strictly better values, and whether another value is equal.

    ``xs`` is ``present`` sorted ascending.
    """
    n_below = np.searchsorted(xs, present, side="left")
    n_not_above = np.searchsorted(xs, present, side="right")
    n_better = present.size - n_not_above if polarity == HIGHER_IS_BETTER else n_below
    return n_better + 1, n_not_above - n_below > 1


def benchmark_table(values: Mapping[K, Number | None], polarity: str) -> BenchmarkTable:
    """Distribution, and for every key its rank, tie, n, band and percentile rank, in one pass.

    ``values`` holds one indicator, period and breakdown: council key → value or None. The
    rules are those of :func:`distribution`, :func:`ranks`, :func:`quartile_band` and
    :func:`percentile_rank`, applied to whole arrays at once. Missing values get a row with
    value, rank, band and percentile None. For no_judgement only the distribution is given.
    """
    _check_polarity(polarity)
    keys = list(values)
    arr = np.array([values[k] for k in keys], dtype=float)
    is_present = ~np.isnan(arr)
    present = arr[is_present]
    xs = np.sort(present)
    dist = _distribution_of_sorted(xs)
    n = dist.n
    nothing = [None] * n
    rank, tied, band, percentile = nothing, [False] * n, nothing, nothing
    if polarity != NO_JUDGEMENT:
        rank_arr, tied_arr = _competition_ranks(present, xs, polarity)
        rank, tied = rank_arr.tolist(), tied_arr.tolist()
        if _bandable(dist, polarity):
            band = _band(present, _cutoffs(dist), polarity).tolist()
        if n >= 2:
            percentile = _percentile(rank_arr, n).tolist()
    standings = iter(zip(present.tolist(), rank, tied, band, percentile, strict=True))
    missing = Benchmark(None, None, False, n, None, None)
    rows = {}
    for key, here in zip(keys, is_present.tolist(), strict=True):
        if here:
            value, r, t, b, p = next(standings)
            rows[key] = Benchmark(value, r, t, n, b, p)
        else:
            rows[key] = missing
    return BenchmarkTable(dist, rows)


def ranks(values: Mapping[K, Number | None], polarity: str) -> dict[K, int | None]:
    """Competition rank of each value: 1 + the number of strictly better values.

    Rank 1 is best by polarity and ties share the best rank (1, 2, 2, 4). Values tie only when
    exactly equal, so pass the published (rounded) figures. Missing values, and every value of
    a no_judgement measure, get None.
    """
    return {key: row.rank for key, row in benchmark_table(values, polarity).rows.items()}


def _ordinal(k: int) -> str:
    suffix = "th" if k % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def rank_label(rank: int, n: int, tied: bool) -> str:
    """Rank as text: "4th of 152", or "=4th of 152" when another value shares the rank."""
    return f"{'=' if tied else ''}{_ordinal(rank)} of {n}"


def percentile_rank(rank: int | None, n: int) -> float | None:
    """p = (n − rank) / (n − 1): 1.0 for the best, 0.0 for the worst; None if n < 2 or no rank."""
    if rank is None or n < 2:
        return None
    return float(_percentile(rank, n))


def base_standing(base: Number | None, *, survey: bool) -> str:
    """Whether a value on ``base`` takes part in the distribution: RANKED, BELOW_MINIMUM_BASE
    or NOT_AVAILABLE.

    ``base`` is a survey measure's number of respondents (``survey`` True) or an
    administrative measure's denominator; None when unknown. A zero base is NOT_AVAILABLE:
    there is no value, whatever figure is printed (the workbook gives 1B 2019-20 as 0.0 from 0
    respondents). A known base below the minimum is BELOW_MINIMUM_BASE: the value is shown,
    but is left out of the distribution, ranks, bands and directions of travel (pass it as
    missing), while it stays in Σ aggregates. An unknown base is RANKED: most administrative
    years publish the outcome only, and the publisher already suppresses the smallest counts.

    The minimums:

    - MIN_RESPONDENTS = 30 survey respondents. A survey estimate's 95 % margin grows as
      1/√n: below 30 respondents it exceeds ±17.9 points for a proportion near 50 %
      (1.96 × √(0.25 / 30)), three or more times a typical council's published margin (3 to 6
      points), so a rank would reflect the sample drawn more than the council; and 30 is the
      usual size below which the normal approximation behind the published margins is not
      relied on. Respondent counts are published rounded to 5: 25 or fewer is below.
    - MIN_DENOMINATOR = 10 for administrative measures. Their denominators are whole
      populations (people, providers), not samples, so the concern is granularity: below 10,
      one person or provider moves the percentage by more than 10 points, wider than the
      whole interquartile range of most measures (Isles of Scilly's 6B is 0 % of 1 provider).
      NHS England's own pipeline suppresses smaller counts still (denominators under 8 or 5).

    Raises ValueError for a negative base.
    """
    if _is_missing(base):
        return RANKED
    if base < 0:
        raise ValueError(f"a base cannot be negative, not {base}")
    if base == 0:
        return NOT_AVAILABLE
    minimum = MIN_RESPONDENTS if survey else MIN_DENOMINATOR
    return RANKED if base >= minimum else BELOW_MINIMUM_BASE


def round_half_away(x: Number, decimals: int) -> float:
    """Round half away from zero (NHS Digital's my_round) on the decimal value as written.

    Working on ``str(x)`` rather than the binary float avoids artefacts: 0.125 → 0.13 at
    2 dp, 2.675 → 2.68 at 2 dp, −2.5 → −3 at 0 dp, 27.85 → 27.9 at 1 dp.
    """
    return _round_decimal(_dec(x), decimals)


def _plain(d: Decimal) -> Number:
    return int(d) if d == d.to_integral_value() else float(d)


def aggregate(
    members: Iterable[tuple[Number | None, Number | None]], multiplier: Number, decimals: int
) -> Aggregate:
    """Σ numerators / Σ denominators × multiplier, rounded half away from zero to ``decimals``.

    ``members`` are (numerator, denominator) pairs; None marks a suppressed or missing figure.
    A member missing either figure is left out of both sums and counted in ``n_missing``; the
    aggregate is then incomplete (``complete`` False): the value covers the complete members
    only and callers must show it flagged as incomplete; the sums are None so that a
    suppressed member cannot be recovered by subtracting the others from a total. The ratio is
    worked exactly in decimal arithmetic and rounded once, so 57/200 × 100 = 28.5 → 29 at 0 dp.
    A denominator sum of 0 (including no complete members) gives value None. Whole sums are
    returned as int.
    """
    members = list(members)
    usable = [(a, b) for a, b in members if not (_is_missing(a) or _is_missing(b))]
    numerator = sum((_dec(a) for a, _ in usable), Decimal(0))
    denominator = sum((_dec(b) for _, b in usable), Decimal(0))
    value = (
        None
        if denominator == 0
        else _round_decimal(numerator * _dec(multiplier) / denominator, decimals)
    )
    complete = len(usable) == len(members)
    return Aggregate(
        value=value,
        numerator_sum=_plain(numerator) if complete else None,
        denominator_sum=_plain(denominator) if complete else None,
        n_members=len(members),
        n_missing=len(members) - len(usable),
        complete=complete,
    )


def compare_with_england(
    value: Number | None,
    margin_of_error: Number | None,
    england_value: Number | None,
    polarity: str,
) -> str | None:
    """SIMILAR, BETTER or WORSE than England, allowing for the council's margin of error.

    Similar if England's value lies within value ± margin_of_error, ends included. Otherwise
    better if the whole interval is on England's better side by polarity (above England when
    higher is better, below when lower is better), worse if on the other side. None if any
    input is missing or the polarity is no_judgement.
    """
    _check_polarity(polarity)
    if polarity == NO_JUDGEMENT or any(
        _is_missing(x) for x in (value, margin_of_error, england_value)
    ):
        return None
    centre, margin = _dec(value), _dec(margin_of_error)
    return _against(centre - margin, centre + margin, _dec(england_value), polarity)


def _against(low: Decimal, high: Decimal, england: Decimal, polarity: str) -> str:
    """SIMILAR if england lies in [low, high], else BETTER or WORSE by the interval's side."""
    if low <= england <= high:
        return SIMILAR
    above = low > england
    return BETTER if above == (polarity == HIGHER_IS_BETTER) else WORSE


def england_comparison(
    value: Number | None,
    england_value: Number | None,
    polarity: str,
    *,
    margin_of_error: Number | None = None,
    counts: tuple[Number | None, Number | None] | None = None,
    multiplier: Number = 100,
) -> str | None:
    """SIMILAR, BETTER, WORSE or NOT_TESTED against England, on the value's uncertainty.

    With a margin of error (a survey measure), :func:`compare_with_england`: similar when
    England lies within value ± margin. Otherwise, with ``counts`` (numerator, denominator)
    of a proportion, similar when England lies within the Wilson 95 % interval of
    numerator / denominator × ``multiplier`` (:func:`wilson_interval`), ends included;
    better or worse by which side of England the interval lies and the polarity. Without
    either, NOT_TESTED: a value is never called better or worse without an interval. Counts
    are for percentages only, as in :func:`judged_change`. None if the value or England's is
    missing, or the polarity is no_judgement.
    """
    _check_polarity(polarity)
    if polarity == NO_JUDGEMENT or _is_missing(value) or _is_missing(england_value):
        return None
    if not _is_missing(margin_of_error):
        return compare_with_england(value, margin_of_error, england_value, polarity)
    if counts is None or not _usable_counts(*counts):
        return NOT_TESTED
    low, high = _wilson(_dec(counts[0]), _dec(counts[1]), Z95)
    scale = _dec(multiplier)
    return _against(low * scale, high * scale, _dec(england_value), polarity)


def direction(
    current: Number | None, previous: Number | None, polarity: str, tolerance: Number = 0.0
) -> str:
    """IMPROVING, STATIC, WORSENING or NOT_COMPARABLE, from previous to current value.

    Static if |current − previous| ≤ tolerance (worked in decimal arithmetic), otherwise
    improving when the change is in the better direction by polarity. Not comparable if
    either value is missing or the polarity is no_judgement. Choose ``previous`` with
    :func:`previous_comparable`: a series break or a missing value gives not comparable,
    never a guess.
    """
    _check_polarity(polarity)
    if polarity == NO_JUDGEMENT or _is_missing(current) or _is_missing(previous):
        return NOT_COMPARABLE
    movement = _movement(_dec(current) - _dec(previous), tolerance)
    return _TRAVEL[movement if polarity == HIGHER_IS_BETTER else -movement]


class Change(NamedTuple):
    """A change judged against its uncertainty (:func:`judged_change`).

    ``direction`` is IMPROVING, STATIC, WORSENING or NOT_COMPARABLE; ``significance`` is
    SIGNIFICANT, NOT_SIGNIFICANT (the direction is then STATIC: no significant change) or
    NOT_TESTED (the direction is the movement as published, untested), and None when not
    comparable; ``change`` is current − previous as published, None when not comparable.
    """

    direction: str
    significance: str | None
    change: float | None


def _usable_counts(numerator: Number | None, denominator: Number | None) -> bool:
    """A proportion's counts can be tested: both present, 0 ≤ numerator ≤ denominator > 0."""
    if _is_missing(numerator) or _is_missing(denominator):
        return False
    return 0 <= numerator <= denominator and denominator > 0


def _wilson(x: Decimal, n: Decimal, z: Decimal) -> tuple[Decimal, Decimal]:
    centre = 2 * x + z * z
    spread = z * (z * z + 4 * x * (n - x) / n).sqrt()
    scale = 2 * (n + z * z)
    return (centre - spread) / scale, (centre + spread) / scale


def wilson_interval(
    numerator: Number, denominator: Number, z: Number | Decimal = Z95
) -> tuple[float, float]:
    """Wilson score interval (without continuity correction) of numerator / denominator.

    With x = numerator, n = denominator and z = Φ⁻¹(0.975) for 95 %:
    (2x + z² ∓ z√(z² + 4x(n − x)/n)) / (2(n + z²)), worked in decimal arithmetic on the
    figures as written; a proportion between 0 and 1. Raises ValueError unless
    0 ≤ numerator ≤ denominator and denominator > 0.
    """
    if not _usable_counts(numerator, denominator):
        raise ValueError(f"need 0 ≤ numerator ≤ denominator > 0, not {numerator}/{denominator}")
    low, high = _wilson(_dec(numerator), _dec(denominator), _dec(z))
    return float(low), float(high)


def _newcombe(
    x1: Decimal, n1: Decimal, x2: Decimal, n2: Decimal, z: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """(d, low, high) of :func:`newcombe_wilson_interval`, in decimals."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = _wilson(x1, n1, z)
    l2, u2 = _wilson(x2, n2, z)
    d = p1 - p2
    low = d - ((p1 - l1) ** 2 + (u2 - p2) ** 2).sqrt()
    high = d + ((u1 - p1) ** 2 + (p2 - l2) ** 2).sqrt()
    return d, low, high


def newcombe_wilson_interval(
    numerator_1: Number,
    denominator_1: Number,
    numerator_2: Number,
    denominator_2: Number,
    z: Number | Decimal = Z95,
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p₁ − p₂ of two independent proportions.

    Newcombe (1998), "Interval estimation for the difference between independent
    proportions: comparison of eleven methods", Statistics in Medicine 17:873-890, method 10.
    With pᵢ = xᵢ / nᵢ, (lᵢ, uᵢ) their Wilson intervals (:func:`wilson_interval`) and
    d = p₁ − p₂: [d − √((p₁ − l₁)² + (u₂ − p₂)²), d + √((u₁ − p₁)² + (p₂ − l₂)²)], in decimal
    arithmetic. 56/70 − 48/80 gives (0.0524, 0.3339), as published. Raises ValueError unless
    each 0 ≤ xᵢ ≤ nᵢ and nᵢ > 0.
    """
    for x, n in ((numerator_1, denominator_1), (numerator_2, denominator_2)):
        if not _usable_counts(x, n):
            raise ValueError(f"need 0 ≤ numerator ≤ denominator > 0, not {x}/{n}")
    _, low, high = _newcombe(
        _dec(numerator_1), _dec(denominator_1), _dec(numerator_2), _dec(denominator_2), _dec(z)
    )
    return float(low), float(high)


def combined_margin(margin_1: Number, margin_2: Number) -> float:
    """√(MoE₁² + MoE₂²): the 95 % half-width of a difference of two independent estimates,
    each published with its 95 % margin of error (decimal square root of the exact sum)."""
    return float((_dec(margin_1) ** 2 + _dec(margin_2) ** 2).sqrt())


def survey_change_significant(
    current: Number, previous: Number, margin_current: Number, margin_previous: Number
) -> bool:
    """Whether |current − previous| > √(MoE₁² + MoE₂²) (:func:`combined_margin`).

    Decided exactly as (current − previous)² > MoE₁² + MoE₂² in decimal arithmetic on the
    figures as published, so a change equal to the combined margin (margins 3 and 4, change
    5.0) is not significant. Dudley's 1D, 65.1 (2023-24, margin 3.7) → 70.0 (2024-25,
    margin 3.5), is not: 4.9 < 5.09. Raises ValueError for a negative margin.
    """
    m_current, m_previous = _dec(margin_current), _dec(margin_previous)
    if m_current < 0 or m_previous < 0:
        raise ValueError("a margin of error cannot be negative")
    change = _dec(current) - _dec(previous)
    return change * change > m_current * m_current + m_previous * m_previous


def judged_change(
    current: Number | None,
    previous: Number | None,
    polarity: str,
    *,
    margin_current: Number | None = None,
    margin_previous: Number | None = None,
    counts_current: tuple[Number | None, Number | None] | None = None,
    counts_previous: tuple[Number | None, Number | None] | None = None,
) -> Change:
    """The direction of travel from ``previous`` to ``current``, judged against both ends'
    uncertainty.

    - With a margin of error at both ends (a survey measure): significant when
      |Δ| > √(MoE₁² + MoE₂²) (:func:`survey_change_significant`).
    - Otherwise, with counts (numerator, denominator) at both ends (an administrative
      proportion): significant when the Newcombe–Wilson 95 % interval for the difference of
      the two proportions excludes 0 (:func:`newcombe_wilson_interval`). Pass counts only for
      a percentage whose numerator counts people (or providers) among its denominator: never a
      survey's weighted counts, nor a rate per 100,000 (a count over a population, which would
      need a Poisson test, not made here).
    - Otherwise NOT_TESTED: the movement as published (static only when equal), flagged.

    A significant change is improving or worsening by polarity; a tested change that is not
    significant is static (no significant change). Either value missing, or polarity
    no_judgement: (NOT_COMPARABLE, None, None). Choose ``previous`` with
    :func:`previous_comparable`.
    """
    _check_polarity(polarity)
    if polarity == NO_JUDGEMENT or _is_missing(current) or _is_missing(previous):
        return Change(NOT_COMPARABLE, None, None)
    change = _dec(current) - _dec(previous)
    sign = (change > 0) - (change < 0)
    if not (_is_missing(margin_current) or _is_missing(margin_previous)):
        significant = survey_change_significant(current, previous, margin_current, margin_previous)
    elif (
        counts_current is not None
        and counts_previous is not None
        and _usable_counts(*counts_current)
        and _usable_counts(*counts_previous)
    ):
        d, low, high = _newcombe(*map(_dec, (*counts_current, *counts_previous)), Z95)
        significant = low > 0 or high < 0
        sign = (d > 0) - (d < 0)  # the tested difference's sign
    else:
        significant = None
    significance = {True: SIGNIFICANT, False: NOT_SIGNIFICANT, None: NOT_TESTED}[significant]
    movement = 0 if significant is False else sign
    return Change(
        _TRAVEL[movement if polarity == HIGHER_IS_BETTER else -movement],
        significance,
        float(change),
    )


def comparable(
    earlier: K,
    later: K,
    *,
    breaks: Collection[K] = (),
    partial: Collection[K] = (),
    boundaries: Collection[K] = (),
) -> bool:
    """Whether ``later`` may be compared with ``earlier``: the one comparability rule.

    A comparison joins two periods: a direction of travel, the line between two points of a
    trend, a "since" span. ``breaks`` are the periods a series break of the measure starts
    in, ``boundaries`` those a council's boundary change starts in (Dorset: 2019-20), and
    ``partial`` the measure's periods of partial coverage (2020-21 survey measures: 18
    councils). The rule:

    - a break or boundary change in B blocks every comparison across it: from B or later to
      a period before B (earlier < B ≤ later);
    - a partial-coverage period is never an end of a comparison;
    - a partial-coverage period between the ends does not block (2021-22 compares with
      2019-20, as the publisher's comparability log allows).

    False also when ``earlier`` is not before ``later``.
    """
    if not earlier < later or earlier in partial or later in partial:
        return False
    return not any(earlier < start <= later for start in (*breaks, *boundaries))


def previous_comparable(
    series: Mapping[K, Number | None],
    period: K,
    breaks: Collection[K] = (),
    *,
    partial: Collection[K] = (),
    boundaries: Collection[K] = (),
) -> K | None:
    """The period to compare ``period`` with: the latest earlier period with a value, or None.

    ``series`` is one council's values for one indicator, keyed by sortable period keys (e.g.
    2022 for 2022-23, or (2024, 2) for a quarter), in any order. Missing periods (absent or
    None) and periods of partial coverage are skipped, so a biennial survey measure compares
    with two years before and 2021-22 with 2019-20. The period found is returned if
    :func:`comparable` allows it (no break or boundary change after it up to and including
    ``period``, and ``period`` not itself of partial coverage), else None: a break, boundary
    change or missing value gives not comparable, never a guess.

    For quarterly measures use :func:`quarterly_direction`, which follows the measure's basis
    and does not skip back over a missing quarter.
    """
    earlier = [
        key
        for key, value in series.items()
        if key < period and key not in partial and not _is_missing(value)
    ]
    if not earlier:
        return None
    candidate = max(earlier)
    rules = {"breaks": breaks, "partial": partial, "boundaries": boundaries}
    return candidate if comparable(candidate, period, **rules) else None


def compared_periods(
    series: Mapping[K, Number | None],
    *,
    breaks: Collection[K] = (),
    partial: Collection[K] = (),
    boundaries: Collection[K] = (),
) -> dict[K, K | None]:
    """Each period with a value, in order, mapped to the period it compares with, or None.

    :func:`previous_comparable` for every period of ``series``: the joins of a trend line.
    """
    rules = {"breaks": breaks, "partial": partial, "boundaries": boundaries}
    return {
        period: previous_comparable(series, period, **rules)
        for period in sorted(key for key, value in series.items() if not _is_missing(value))
    }


def direction_of_travel(
    series: Mapping[K, Number | None],
    period: K,
    polarity: str,
    breaks: Collection[K] = (),
    tolerance: Number = 0.0,
    *,
    partial: Collection[K] = (),
    boundaries: Collection[K] = (),
) -> str:
    """:func:`direction` from the :func:`previous_comparable` period's value to ``period``'s."""
    previous = previous_comparable(series, period, breaks, partial=partial, boundaries=boundaries)
    before = None if previous is None else series[previous]
    return direction(series.get(period), before, polarity, tolerance)


def overall_direction(
    start: Mapping[K, float | None],
    end: Mapping[K, float | None],
    tolerance: Number = OVERALL_TOLERANCE,
) -> OverallDirection:
    """The regional account's overall direction of a council across a span of periods.

    ``start`` and ``end`` map each measure to the council's percentile rank p at the first and
    last period of the span. The caller must already have left out measures with a series
    break within the span. Only measures with p at both ends are used (listed in
    ``measures``). Positive if the mean p rose by more than ``tolerance``, negative if it fell
    by more than ``tolerance``, static otherwise (a change of exactly ± tolerance is static);
    means and change are worked in decimal arithmetic. No common measure: not_comparable.
    """
    measures = [m for m, p in start.items() if not _is_missing(p) and not _is_missing(end.get(m))]
    if not measures:
        return OverallDirection(NOT_COMPARABLE, [], None, None, None)
    mean_start = _mean([start[m] for m in measures])
    mean_end = _mean([end[m] for m in measures])
    change = mean_end - mean_start
    return OverallDirection(
        direction=_OVERALL[_movement(change, tolerance)],
        measures=measures,
        mean_start=float(mean_start),
        mean_end=float(mean_end),
        change=float(change),
    )


def domain_position(ps: Iterable[float | None]) -> tuple[float | None, int | None]:
    """(mean, band) of a council's percentile ranks over one domain's measures in a period.

    Missing ranks are ignored. The band uses the quartile band rule with cut-offs 0.25, 0.5
    and 0.75: mean ≥ 0.75 → 1, ≥ 0.5 → 2, ≥ 0.25 → 3, otherwise 4. No ranks: (None, None).
    """
    present = [p for p in ps if not _is_missing(p)]
    if not present:
        return None, None
    mean = _mean(present)
    return float(mean), _band(mean, _DOMAIN_CUTOFFS, HIGHER_IS_BETTER)


def band_counts(bands: Iterable[int | None]) -> dict[int | None, int]:
    """How many of each band: {1: n, 2: n, 3: n, 4: n, None: n}, None counting no band."""
    counts: dict[int | None, int] = {1: 0, 2: 0, 3: 0, 4: 0, None: 0}
    for band in bands:
        counts[band] += 1
    return counts


def value_range(values: Mapping[K, Number | None]) -> ValueRange:
    """Lowest and highest non-missing values and every name holding each, in mapping order."""
    present = {name: v for name, v in values.items() if not _is_missing(v)}
    if not present:
        return ValueRange(None, [], None, [])
    low, high = min(present.values()), max(present.values())
    return ValueRange(
        min=low,
        at_min=[name for name, v in present.items() if v == low],
        max=high,
        at_max=[name for name, v in present.items() if v == high],
    )


def category_counts(values: Iterable[Hashable], categories_order: Iterable[Hashable]) -> dict:
    """Count of each category in ``categories_order`` order, zeros included.

    A value outside ``categories_order`` raises ValueError so nothing drops out of a total;
    include None in the order to count missing values.
    """
    counts = dict.fromkeys(categories_order, 0)
    for value in values:
        if value not in counts:
            raise ValueError(f"{value!r} is not one of the categories {list(counts)}")
        counts[value] += 1
    return counts


def rag_movement(previous: str | None, current: str | None) -> str:
    """IMPROVING, STATIC or WORSENING between RAG ratings ordered red < amber < green.

    Case is ignored. Either rating missing gives NOT_COMPARABLE; any other string raises
    ValueError.
    """
    if previous is None or current is None:
        return NOT_COMPARABLE
    try:
        change = RAG_ORDER.index(current.lower()) - RAG_ORDER.index(previous.lower())
    except ValueError:
        raise ValueError(f"RAG ratings must be one of {RAG_ORDER}") from None
    return _TRAVEL[(change > 0) - (change < 0)]


# Quarterly measures

QuarterKey = tuple[int, int]


@dataclass(frozen=True, slots=True)
class QuarterFigures:
    """One quarter's published figures for one council and measure; None marks a missing one."""

    outcome: Number | None
    numerator: Number | None = None
    denominator: Number | None = None


@dataclass(frozen=True, slots=True)
class AnnualFromQuarters:
    """A year's value derived from its quarters by the measure's basis.

    ``value`` is None when the year is incomplete (``missing`` names the quarters the basis
    needs that are absent), or for an in-quarter ratio whose denominators sum to 0.
    ``source_quarter`` is the quarter the year's value is taken from, 4 for snapshot and year
    to date (a text value is Q4's too), None for an in-quarter sum. ``numerator`` and
    ``denominator`` are Q4's for snapshot and year to date, the sums for an in-quarter ratio,
    None for an in-quarter count or an incomplete year.
    """

    value: Number | None
    numerator: Number | None
    denominator: Number | None
    source_quarter: int | None
    missing: tuple[int, ...]

    @property
    def complete(self) -> bool:
        """True when every quarter the basis needs is there."""
        return not self.missing


def _check_basis(basis: str) -> None:
    if basis not in BASES:
        raise ValueError(f"unknown quarterly basis {basis!r}; expected one of {BASES}")


def _check_quarter(quarter: int) -> None:
    if quarter not in QUARTERS:
        raise ValueError(f"quarter must be 1 to 4, not {quarter!r}")


def period_order_key(year: int, quarter: int | None) -> tuple[int, int]:
    """Sortable key of a year (quarter None) or a quarter: a year follows its own Q4.

    (2024, 1) < (2024, 2) < (2024, 3) < (2024, 4) < (2024, None) < (2025, 1).
    """
    if quarter is None:
        return (year, 5)
    _check_quarter(quarter)
    return (year, quarter)


def annual_from_quarters(
    basis: str,
    quarters: Mapping[int, QuarterFigures | None],
    *,
    multiplier: Number = 1,
    decimals: int = 1,
    is_count: bool | None = None,
) -> AnnualFromQuarters:
    """The year's value of a quarterly measure from its quarters ``{1: ..., 4: ...}``.

    Snapshot and year to date: Q4's outcome, numerator and denominator, as published; the
    year is incomplete if Q4's outcome is missing. In-quarter: for a ratio, Σ numerators /
    Σ denominators × ``multiplier`` over the four quarters, worked exactly and rounded once
    half away from zero to ``decimals`` (:func:`aggregate`), and incomplete unless every
    quarter has both; for a count, the sum of the four outcomes (rounded to ``decimals``),
    incomplete unless every quarter has one. ``is_count`` True means a count (or money), False
    a ratio; None infers a count only when no quarter has a numerator or a denominator, so
    pass False for a percentage or rate, whose suppressed figures must never be summed.
    """
    _check_basis(basis)
    for quarter in quarters:
        _check_quarter(quarter)

    def figures(quarter: int) -> QuarterFigures:
        return quarters.get(quarter) or QuarterFigures(None)

    if basis != IN_QUARTER:
        q4 = figures(4)
        if _is_missing(q4.outcome):
            return AnnualFromQuarters(None, None, None, 4, (4,))
        return AnnualFromQuarters(q4.outcome, q4.numerator, q4.denominator, 4, ())

    every = [figures(q) for q in QUARTERS]
    if is_count is None:
        is_count = all(_is_missing(f.numerator) and _is_missing(f.denominator) for f in every)
    if is_count:
        missing = tuple(q for q, f in zip(QUARTERS, every, strict=True) if _is_missing(f.outcome))
        if missing:
            return AnnualFromQuarters(None, None, None, None, missing)
        total = sum((_dec(f.outcome) for f in every), Decimal(0))
        return AnnualFromQuarters(_round_decimal(total, decimals), None, None, None, ())
    missing = tuple(
        q
        for q, f in zip(QUARTERS, every, strict=True)
        if _is_missing(f.numerator) or _is_missing(f.denominator)
    )
    if missing:
        return AnnualFromQuarters(None, None, None, None, missing)
    sums = aggregate(((f.numerator, f.denominator) for f in every), multiplier, decimals)
    return AnnualFromQuarters(sums.value, sums.numerator_sum, sums.denominator_sum, None, ())


def _previous_quarter(year: int, quarter: int) -> QuarterKey:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def _across_break(earlier: QuarterKey, later: QuarterKey, breaks: Collection[int]) -> bool:
    """A break in year B separates B's Q1 and everything after it from everything before."""
    return any(earlier[0] < start <= later[0] for start in breaks)


def quarterly_comparisons(
    basis: str, period: QuarterKey, breaks: Collection[int] = ()
) -> tuple[QuarterKey | None, QuarterKey | None]:
    """(the quarter the direction compares with, the quarter shown beside it) for ``period``.

    Snapshot: the immediately previous quarter (Q1 → Q4 of the year before), nothing beside.
    In-quarter: the same quarter a year earlier, with the previous quarter beside it. Year to
    date: the same quarter a year earlier, nothing beside. ``breaks`` are the years a series
    break starts in; a quarter across a break (before B's Q1 from a period in B or later) is
    None. The caller checks that the quarters given have values: a missing one is not
    comparable, and nothing is looked for further back.
    """
    _check_basis(basis)
    year, quarter = period
    _check_quarter(quarter)
    previous = _previous_quarter(year, quarter)
    year_before = (year - 1, quarter)
    compared, beside = {
        SNAPSHOT: (previous, None),
        IN_QUARTER: (year_before, previous),
        YEAR_TO_DATE: (year_before, None),
    }[basis]

    def unbroken(other: QuarterKey | None) -> QuarterKey | None:
        return None if other is None or _across_break(other, period, breaks) else other

    return unbroken(compared), unbroken(beside)


def quarterly_direction(
    basis: str,
    series: Mapping[QuarterKey, Number | None],
    period: QuarterKey,
    polarity: str,
    breaks: Collection[int] = (),
    tolerance: Number = 0.0,
) -> tuple[str, QuarterKey | None]:
    """(:func:`direction`, the quarter compared with) for ``period`` of a quarterly measure.

    ``series`` is one council's values keyed by (year, quarter). The quarter compared with is
    :func:`quarterly_comparisons`' first; if it is across a break, or either value is missing
    (absent or None), or the polarity is no_judgement, the result is (NOT_COMPARABLE, None).
    """
    compared, _ = quarterly_comparisons(basis, period, breaks)
    before = None if compared is None else series.get(compared)
    travel = direction(series.get(period), before, polarity, tolerance)
    return travel, None if travel == NOT_COMPARABLE else compared
