"""How a published number is shown: the one formatter for pages, charts, downloads and commands.

A number is rounded half away from zero to its indicator's decimals, on the decimal value as
written (`stats.round_half_away`), as the publisher rounds: 2.675 at 2 dp is 2.68, −2.5 at 0 dp
is −3, and Walsall's 2D(1) for 2024-25, stored as 56.37, is 56.4. Only what is shown is
rounded: stored values stay as published, and ranks and quartiles use them. Pure: no Django.
"""

from decimal import Decimal

from scorecard import stats

YEAR = "year"  # indicators.models.Kind.YEAR, named here to keep this module free of Django


def rounded(value, decimals: int) -> float | None:
    """The value as shown, as a number for machine outputs (CSV, Excel): rounded half away from
    zero to `decimals`; None when missing or not finite."""
    if value is None or not Decimal(str(value)).is_finite():
        return None
    # + 0.0 turns −0.0 (−0.04 at 1 dp) into 0.0.
    return stats.round_half_away(value, decimals) + 0.0


def format_number(value, decimals: int, *, thousands: bool = True) -> str:
    """The value as shown, as text: rounded half away from zero to `decimals`, with exactly
    that many decimals and, unless `thousands` is False, thousands separators ("1,234.5");
    "" when missing or not finite."""
    number = rounded(value, decimals)
    if number is None:
        return ""
    return f"{number:{',' if thousands else ''}.{decimals}f}"


def format_value(value, info) -> str:
    """A measure's value as shown: a year as a year ("2024", never "2,024"), anything else
    by `format_number` to the measure's decimals. `info` has `kind` and `decimals`."""
    if getattr(info, "kind", None) == YEAR:
        return format_number(value, 0, thousands=False)
    return format_number(value, info.decimals)
