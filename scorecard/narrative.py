"""The sentences a page says about a measure's figures, built from plain rows (a
`data.IndicatorResult`): each a whole sentence ending in one full stop."""

from scorecard import cells
from scorecard.numbers import format_value


def spread_sentence(result) -> str:
    """How the councils' values spread in the period, and the reference figures beside them.

    An ASCOF measure: "Nationally in 2024-25: 152 councils with a value; lower quartile
    cut-off …, median …, upper quartile cut-off …. England: …. West Midlands: … (published).
    West Midlands ADASS from Σnumerator/Σdenominator: …." A regional measure has no national
    figures, so it says it is compared within the group; one that is not ranked says nothing
    (the page says why). "" when no council has a value."""
    info = result.indicator
    spread = result.national
    if not spread or not spread.n:
        return ""
    group = cells.in_group(info)
    if group and not cells.ranked(info):
        return ""

    def say(number) -> str:
        return format_value(number, info)

    where = (
        f"Within {result.group_name} in {result.period} (a regional measure, compared within "
        "the group only)"
        if group
        else f"Nationally in {result.period}"
    )
    sentences = [
        f"{where}: {spread.n} councils with a value; lower quartile cut-off {say(spread.p25)}, "
        f"median {say(spread.median)}, upper quartile cut-off {say(spread.p75)}"
    ]
    if not group:
        if result.england.has_value:
            sentences.append(f"England: {say(result.england.outcome)}")
        if result.region.has_value:
            sentences.append(f"{result.region_name}: {say(result.region.outcome)} (published)")
    aggregate = result.aggregate
    if aggregate:
        words = f"{result.group_name} from Σnumerator/Σdenominator: {say(aggregate.value)}"
        if not aggregate.complete:
            missing = aggregate.n_missing
            words += (
                f" (incomplete: {missing} council{'' if missing == 1 else 's'} without a "
                "published numerator or denominator)"
            )
        sentences.append(words)
    return " ".join(f"{sentence}." for sentence in sentences)
