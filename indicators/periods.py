"""UK financial years and quarters: parsed from any published spelling, printed one way.

A period is a financial year, named by the calendar year it starts in (2023 = 2023-24,
April 2023 to March 2024), optionally with a quarter: Q1 = Apr-Jun, Q2 = Jul-Sep,
Q3 = Oct-Dec, Q4 = Jan-Mar. It prints as "2023-24" or "2023-24 Q2".
"""

import re
from datetime import date

_YEAR = re.compile(
    r"^\s*(?:FY\s*)?(?P<start>\d{4})\s*(?:-|–|/|\s+to\s+)\s*(?P<end>\d{2}|\d{4})"
    r"(?:\s*(?:Q|quarter\s*)(?P<quarter>[1-4]))?\s*$",
    re.IGNORECASE,
)
QUARTER_MONTHS = {1: "Apr-Jun", 2: "Jul-Sep", 3: "Oct-Dec", 4: "Jan-Mar"}


def parse_period(text: str) -> tuple[int, int | None]:
    """Return (start year, quarter or None) from "2023-24", "2023/24", "2023 to 2024",
    "2023-2024" or "2023-24 Q2". Raises ValueError with the text when it is not a period."""
    match = _YEAR.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a financial year such as 2023-24 or 2023-24 Q2")
    start, end = int(match["start"]), match["end"]
    end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
    if end_year != start + 1:
        raise ValueError(f"{text!r} is not a financial year: it must span two consecutive years")
    quarter = match["quarter"]
    return start, int(quarter) if quarter else None


def format_period(year: int, quarter: int | None = None) -> str:
    label = f"{year}-{(year + 1) % 100:02d}"
    return f"{label} Q{quarter}" if quarter else label


def period_end(year: int, quarter: int | None = None) -> date:
    """The last day of the period: qualitative values hold "as at" this date."""
    if quarter is None or quarter == 4:
        return date(year + 1, 3, 31)
    return {1: date(year, 6, 30), 2: date(year, 9, 30), 3: date(year, 12, 31)}[quarter]


def fiscal_year_from_end(end_year: int) -> int:
    """Files that name a year by its end ("fiscal_year 2023" = 2022-23) give its start year."""
    return end_year - 1


def period_label(key) -> str:
    """A trend's key as users read it: a start year (2024 -> "2024-25") or a (year, quarter)
    pair ((2025, 2) -> "2025-26 Q2"; (2024, None) -> "2024-25"); "" for None."""
    if key is None:
        return ""
    if isinstance(key, tuple):
        return format_period(*key)
    return format_period(key)
