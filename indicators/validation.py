"""One validation layer: the rules a value must meet, whichever way it is written (an import,
the admin, the loaders, and the data-entry forms and uploads to come).

Plain values in, problems out: no queries here. The numeric rules work on whole arrays at
once (NumPy), so an import checks every row of a file in one pass; `check_value` applies the
same rules to one value.

Two classes of rule:

**Impossible**, rejected from every source:
- a number that is not a finite number (NaN, infinity, or beyond ±10¹²);
- a negative numerator, denominator, base (respondents) or margin of error, or a negative
  count;
- a RAG, yes/no or category value that is not in the indicator's fixed list (matched without
  regard to case, and stored as the list spells it);
- a year (for a year measure) or a date outside 1990 to the end of the period being collected;
- a period after the period being collected (see `indicators.models.period_being_collected`),
  or starting before 2000 (the first year a period may have);
- a period that does not fit the measure's frequency (`check_frequency`): a year's value of a
  quarterly measure in a year it is collected by quarter (the year is derived from its
  quarters), a quarter before its first quarter, or a quarter of a yearly measure.

**Implausible**, flagged (as the value's quality flag) when official, rejected when entered:
- a percentage outside 0 to 100;
- a numerator greater than its denominator, for a percentage (a proportion of its
  denominator; a score's numerator is a sum of scores, far above its respondents).
The publisher's own 4B above 100 % is the known official case (data/ascof/NOTES.md).
"""

import datetime
from dataclasses import dataclass

import numpy as np

from scorecard.stats import round_half_away

from .models import NUMBER_LIMIT, Availability, Basis, Kind
from .periods import format_period, period_end

COUNT_FIELDS = ("numerator", "denominator", "base", "margin_of_error")
NUMBER_FIELDS = ("outcome", *COUNT_FIELDS)
FIELD_LABELS = {
    "outcome": "outcome",
    "numerator": "numerator",
    "denominator": "denominator",
    "base": "base (respondents)",
    "margin_of_error": "margin of error",
    "text_value": "rating",
    "date_value": "date",
}
FIRST_YEAR = 1990
FIRST_PERIOD_YEAR = 2000  # as the period_year_plausible constraint
CHOICE_KINDS = {Kind.RAG, Kind.YES_NO, Kind.CATEGORY}


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    impossible: bool  # False: implausible, flagged if official, rejected if entered

    def __str__(self) -> str:
        return self.message


# Whole arrays, for imports ------------------------------------------------------------------


def not_finite(numbers: np.ndarray) -> np.ndarray:
    """True where a number is given (not NaN-as-missing is the caller's business: pass NaN only
    for a number that was given) and is NaN, infinite or beyond ±10¹²."""
    with np.errstate(invalid="ignore"):
        return ~(np.abs(numbers) < NUMBER_LIMIT)


def negative(numbers: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return numbers < 0


def outside_percent(numbers: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (numbers < 0) | (numbers > 100)


def above_denominator(numerators: np.ndarray, denominators: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return numerators > denominators


def check_numbers(kind: str, fields: dict[str, list]) -> list[list[Problem]]:
    """The problems of many values of one kind at once. `fields` maps each numeric field to a
    list (one entry per value) of the number given, or None where none was given. Returns
    one list of problems per value."""
    size = len(next(iter(fields.values()), []))
    problems: list[list[Problem]] = [[] for _ in range(size)]
    arrays = {}
    for name, numbers in fields.items():
        given = np.array([np.nan if x is None else x for x in numbers], dtype=float)
        present = np.array([x is not None for x in numbers], dtype=bool)
        bad = present & not_finite(given)
        for i in np.flatnonzero(bad):
            problems[i].append(
                Problem(name, f"{_label(name)} {numbers[i]!r} is not a finite number", True)
            )
        given[bad] = np.nan
        arrays[name] = given
        if name in COUNT_FIELDS or kind == Kind.COUNT:
            for i in np.flatnonzero(negative(given)):
                problems[i].append(
                    Problem(name, f"{_label(name)} {numbers[i]:g} is negative", True)
                )
    if kind == Kind.PERCENTAGE and "outcome" in arrays:
        for i in np.flatnonzero(outside_percent(arrays["outcome"])):
            problems[i].append(
                Problem(
                    "outcome",
                    f"outcome {arrays['outcome'][i]:g}% is outside 0 to 100%",
                    False,
                )
            )
    # A proportion's part cannot exceed its whole; a score's or a rate's numerator can.
    if kind == Kind.PERCENTAGE and "numerator" in arrays and "denominator" in arrays:
        for i in np.flatnonzero(above_denominator(arrays["numerator"], arrays["denominator"])):
            problems[i].append(
                Problem(
                    "numerator",
                    f"numerator {arrays['numerator'][i]:g} is greater than its denominator "
                    f"{arrays['denominator'][i]:g}",
                    False,
                )
            )
    return problems


def _label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " "))


# One value, for forms and loaders ----------------------------------------------------------


def canonical_choice(text: str, choices: list[str]) -> str | None:
    """The choice as the indicator's list spells it, matched without regard to case or
    surrounding space; None if it is not one of them."""
    wanted = str(text).strip().casefold()
    return next((choice for choice in choices if choice.casefold() == wanted), None)


def check_period(
    year: int, quarter: int | None, collecting: tuple[int, int | None] | None
) -> list[Problem]:
    """A period after the period being collected (if one is) is not yet collected, and one
    before 2000 is none the scorecard holds: neither can have data."""
    if year < FIRST_PERIOD_YEAR:
        return [
            Problem(
                "period",
                f"the year {year} is before {FIRST_PERIOD_YEAR}, the first year a period may "
                "start in",
                True,
            )
        ]
    # The year first: period_end cannot reach the year 10000.
    if collecting and (year > collecting[0] or period_end(year, quarter) > period_end(*collecting)):
        return [
            Problem(
                "period",
                f"{format_period(year, quarter)} is after the period being collected "
                f"({format_period(*collecting)})",
                True,
            )
        ]
    return []


def check_frequency(
    year: int,
    quarter: int | None,
    *,
    basis: str,
    quarterly_from: tuple[int, int | None] | None,
) -> list[Problem]:
    """A value's period against its measure's frequency. `basis` is the measure's quarterly
    basis (blank for a yearly measure) and `quarterly_from` the (year, quarter) of its first
    quarter collected (None for a yearly measure). From that year on a quarterly measure takes
    quarters only: its year's value is derived from them, never entered. Before it the measure
    was yearly, so a quarter there is refused, as is any quarter of a yearly measure."""
    label = format_period(year, quarter)
    if not basis:
        if quarter is None:
            return []
        return [
            Problem(
                "period",
                f"{label} is a quarter, but the measure is collected yearly: enter its value "
                f"for the year {format_period(year)}",
                True,
            )
        ]
    if quarterly_from is None:
        raise ValueError(f"a quarterly measure ({Basis(basis).label}) needs its first quarter")
    first_year, first_quarter = quarterly_from[0], quarterly_from[1] or 1
    first = format_period(first_year, first_quarter)
    if quarter is None:
        if year < first_year:
            return []
        return [
            Problem(
                "period",
                f"{label} is a year with quarters: the measure is collected by quarter from "
                f"{first}, and its value for the year is derived from its quarters, so enter a "
                f"quarter ({format_period(year, 1)} to {format_period(year, 4)})",
                True,
            )
        ]
    if (year, quarter) < (first_year, first_quarter):
        advice = (
            f": the years before it are collected yearly, so enter the value for the year "
            f"{format_period(year)}"
            if year < first_year
            else ""
        )
        return [
            Problem(
                "period",
                f"{label} is before {first}, the first quarter the measure is collected{advice}",
                True,
            )
        ]
    return []


def check_value(
    kind: str,
    categories: list[str],
    *,
    numbers: dict[str, float | None] | None = None,
    text: str = "",
    date: datetime.date | None = None,
    collecting: tuple[int, int | None],
) -> list[Problem]:
    """Every problem of one value of an indicator of `kind` (with its fixed `categories`),
    as entered: numbers by field, a rating or category as `text`, a `date`."""
    problems = (
        check_numbers(kind, {k: [v] for k, v in (numbers or {}).items()})[0] if numbers else []
    )
    last = period_end(*collecting)
    if text and kind in CHOICE_KINDS and canonical_choice(text, categories) is None:
        problems.append(
            Problem("text_value", f"{text!r} is not one of {', '.join(categories)}", True)
        )
    if date is not None and not (datetime.date(FIRST_YEAR, 1, 1) <= date <= last):
        problems.append(
            Problem(
                "date_value",
                f"{date:%d %B %Y} is not between 1 January {FIRST_YEAR} and the end of the "
                f"period being collected ({last:%d %B %Y})",
                True,
            )
        )
    outcome = (numbers or {}).get("outcome")
    if (
        kind == Kind.YEAR
        and outcome is not None
        and np.isfinite(outcome)
        and (outcome != int(outcome) or not FIRST_YEAR <= outcome <= last.year)
    ):
        problems.append(
            Problem("outcome", f"{outcome:g} is not a year from {FIRST_YEAR} to {last.year}", True)
        )
    return problems


def outcome_from_counts(
    numerator: float, denominator: float, multiplier: float, decimals: int
) -> tuple[float | None, str]:
    """(outcome, its availability) of a percentage of the region's own, worked out from its
    counts: numerator / denominator × multiplier, rounded half away from zero to `decimals`;
    not applicable when the denominator is 0 (no complaints decided: no share upheld)."""
    if not denominator:
        return None, Availability.NOT_APPLICABLE
    return (
        round_half_away(numerator / denominator * multiplier, decimals),
        Availability.AVAILABLE,
    )
