"""The publisher's rounding of council counts, and whether a published aggregate lies within
what that rounding allows.

Some council numerators and denominators are published rounded (4B's to the nearest 5 from
2023-24), while the publisher's region and England figures total the unrounded counts, so a
Σnumerator / Σdenominator of the published counts can differ from the published aggregate in
the last decimal without either being wrong. The rounding is declared per measure and years in
data/reference/count_rounding.csv (no row: counts are published unrounded).

`rounded_to` reads the declaration; `aggregate_range` and `within_rounding` are plain numbers
in, plain numbers out.
"""

import csv
import functools
from pathlib import Path

COUNT_ROUNDING_CSV = Path(__file__).resolve().parent.parent / "data/reference/count_rounding.csv"


@functools.cache
def _declared() -> tuple[tuple[str, int, int | None, int], ...]:
    """(indicator code, first year, last year or None, rounded to) of each declared row."""
    with open(COUNT_ROUNDING_CSV, newline="", encoding="utf-8") as file:
        return tuple(
            (
                row["indicator"],
                int(row["first_year"][:4]),
                int(row["last_year"][:4]) if row["last_year"] else None,
                int(row["rounded_to"]),
            )
            for row in csv.DictReader(file)
        )


def rounded_to(indicator_code: str, year: int) -> int:
    """The unit a measure's council counts are published rounded to in a year (the start year
    of the financial year): 5 for 4B from 2023-24; 1 (unrounded) where nothing is declared."""
    for code, first, last, unit in _declared():
        if code == indicator_code and first <= year and (last is None or year <= last):
            return unit
    return 1


def aggregate_range(
    numerators: list[float], denominators: list[float], unit: int, multiplier: float
) -> tuple[float, float] | None:
    """The lowest and highest Σnumerator / Σdenominator × multiplier that counts published
    rounded to `unit` allow: each true count lies within half a unit of its published one.
    None when no denominator can be above zero."""
    half = unit / 2 if unit > 1 else 0
    spread = len(numerators) * half
    numerator, denominator = sum(numerators), sum(denominators)
    low_den, high_den = max(denominator - spread, 0), denominator + spread
    if high_den <= 0:
        return None
    low = max(numerator - spread, 0) / high_den * multiplier
    high = (numerator + spread) / low_den * multiplier if low_den else float("inf")
    return low, high


def within_rounding(
    published: float,
    numerators: list[float],
    denominators: list[float],
    unit: int,
    multiplier: float,
    decimals: int,
) -> bool:
    """Whether a published aggregate (rounded to `decimals`) agrees with the council counts,
    given they are published rounded to `unit`: no mismatch should be flagged when it does."""
    found = aggregate_range(numerators, denominators, unit, multiplier)
    if found is None:
        return False
    tolerance = 0.5 * 10**-decimals
    return found[0] - tolerance <= published <= found[1] + tolerance
