"""Write local_values.csv: the demo values of the region's own measures.

Run from the repository root with `python data/demo/make_local_values.py`; it needs nothing
but Python and gives the same file every time (a fixed random seed).

It keeps every yearly row already in the file (the measures collected yearly, and the years
before a measure became quarterly), gives a yearly percentage row without counts a numerator
and a denominator whose ratio is its value, and writes the quarters of the quarterly measures
afresh: 2024-25 Q1 to Q4 and 2025-26 Q1 and Q2. The 2024-25 quarters end where the region's
yearly 2024-25 figures stood (YEAR_END_2024 below): a snapshot's Q4 is that figure, and the
complaints decided over the four quarters give the year's percentage upheld.
"""

import csv
import random
from pathlib import Path

CSV = Path(__file__).resolve().parent / "local_values.csv"
COLUMNS = [
    "period",
    "cassr_code",
    "council",
    "indicator",
    "value",
    "numerator",
    "denominator",
    "note",
]
NOTE = "Illustrative demo value"
FIRST_QUARTERLY_YEAR = 2024
QUARTERS = [(2024, 1), (2024, 2), (2024, 3), (2024, 4), (2025, 1), (2025, 2)]
PERCENTAGES = {"WM-COMPLAINTS", "WM-CQC-NON-COMPLIANT", "WM-SW-VACANCY", "WM-AGENCY-STAFF"}
QUARTERLY = [
    "WM-DASS-POST",
    "WM-CARE-ACT",
    "WM-COMPLAINTS",
    "WM-CQC-LOCATIONS",
    "WM-CQC-NON-COMPLIANT",
    "WM-SW-VACANCY",
    "WM-AGENCY-STAFF",
]
RAG = ["red", "amber", "green"]

# CASSR code, name, size (adult population relative to Birmingham's).
COUNCILS = [
    ("406", "Birmingham", 1.0),
    ("407", "Coventry", 0.30),
    ("408", "Dudley", 0.28),
    ("415", "Herefordshire", 0.16),
    ("409", "Sandwell", 0.29),
    ("417", "Shropshire", 0.28),
    ("410", "Solihull", 0.19),
    ("413", "Staffordshire", 0.77),
    ("414", "Stoke-on-Trent", 0.23),
    ("418", "Telford and Wrekin", 0.16),
    ("411", "Walsall", 0.25),
    ("404", "Warwickshire", 0.53),
    ("412", "Wolverhampton", 0.23),
    ("416", "Worcestershire", 0.53),
]

# Where each council stood at the end of 2024-25, as the region's yearly figures had it:
# CQC locations, % not compliant, % of complaints upheld, Care Act readiness, DASS post.
YEAR_END_2024 = {
    "Birmingham": (505, 31, 27, "amber", "joint DASS/DCS"),
    "Coventry": (168, 27, 33, "amber", "joint DASS/DCS"),
    "Dudley": (152, 19, 17, "amber", "joint DASS/DCS"),
    "Herefordshire": (121, 24, 40, "amber", "interim"),
    "Sandwell": (147, 53, 25, "amber", "joint DASS/DCS"),
    "Shropshire": (214, 15, 14, "green", "joint DASS/DCS"),
    "Solihull": (109, 10, 0, "green", "permanent"),
    "Staffordshire": (389, 21, 20, "amber", "joint DASS/DCS"),
    "Stoke-on-Trent": (131, 38, 29, "amber", "interim"),
    "Telford and Wrekin": (88, 17, 11, "amber", "joint DASS/DCS"),
    "Walsall": (139, 29, 22, "amber", "interim"),
    "Warwickshire": (246, 14, 13, "amber", "interim"),
    "Wolverhampton": (126, 33, 36, "amber", "interim"),
    "Worcestershire": (281, 18, 18, "amber", "joint DASS/DPH"),
}
# The figures the regional account quotes for the year end.
REGIONAL_ACCOUNT_NOTE = {
    ("Birmingham", "WM-CQC-LOCATIONS"): "As in the WM ADASS regional account",
    ("Telford and Wrekin", "WM-CQC-LOCATIONS"): "As in the WM ADASS regional account",
}
# Posts that change hands in 2025-26: council -> (quarter, post from then on).
DASS_2025 = {
    "Stoke-on-Trent": (1, "permanent"),
    "Warwickshire": (2, "permanent"),
    "Walsall": (2, "permanent"),
}
# A small council where the Ombudsman decided no complaint in a quarter: its percentage
# upheld is not applicable, 0 of 0.
NONE_DECIDED = {("Herefordshire", (2025, 1))}


def label(year: int, quarter: int | None = None) -> str:
    text = f"{year}-{(year + 1) % 100:02d}"
    return f"{text} Q{quarter}" if quarter else text


def start_year(period: str) -> int:
    return int(period[:4])


def counts_for(percent: float, whole: int) -> tuple[int, int]:
    """(numerator, denominator) near `whole` whose ratio rounds to the whole `percent`."""
    for denominator in sorted(range(max(whole - 6, 1), whole + 7), key=lambda d: abs(d - whole)):
        numerator = round(percent * denominator / 100)
        if abs(100 * numerator / denominator - percent) < 0.5:
            return numerator, denominator
    raise ValueError(f"no counts near {whole} give {percent}%")


def exact_counts(percent: float, denominator: int) -> int:
    numerator = round(percent * denominator / 100)
    assert abs(100 * numerator / denominator - percent) < 0.5, (percent, denominator)
    return numerator


def split(total: int, parts: int, rng: random.Random, minimum: int = 0) -> list[int]:
    """`total` split at random into `parts` whole numbers, each at least `minimum`."""
    shares = [minimum] * parts
    for _ in range(total - minimum * parts):
        shares[rng.randrange(parts)] += 1
    return shares


def split_upheld(upheld: int, decided: list[int], rng: random.Random) -> list[int]:
    shares = [0] * len(decided)
    for _ in range(upheld):
        room = [i for i, d in enumerate(decided) if shares[i] < d]
        shares[rng.choice(room)] += 1
    return shares


def step_rag(rating: str, rng: random.Random) -> str:
    i = RAG.index(rating)
    return RAG[min(max(i + rng.choice([-1, 1]), 0), 2)]


def quarterly_rows(yearly: dict, rng: random.Random) -> list[dict]:
    """The rows of the quarterly measures, by quarter, measure and council."""
    by_quarter: dict[tuple, dict] = {}

    def put(quarter, code, council, value="", numerator="", denominator=""):
        by_quarter[(quarter, code, council)] = {
            "value": value,
            "numerator": numerator,
            "denominator": denominator,
        }

    for _, council, size in COUNCILS:
        locations_end, non_compliant_end, upheld_end, care_act_end, dass_end = YEAR_END_2024[
            council
        ]

        # CQC registered locations: a walk from the 2023-24 count to the year-end count.
        start = int(yearly[(council, "WM-CQC-LOCATIONS")]["value"])
        locations = {}
        for q in range(1, 4):
            locations[(2024, q)] = round(start + (locations_end - start) * q / 4) + rng.randint(
                -2, 2
            )
        locations[(2024, 4)] = locations_end
        locations[(2025, 1)] = locations_end + rng.randint(-3, 3)
        locations[(2025, 2)] = locations[(2025, 1)] + rng.randint(-3, 4)
        for quarter, count in locations.items():
            put(quarter, "WM-CQC-LOCATIONS", council, value=count)

        # Not compliant, of those registered: the share moves a point or two a quarter.
        old = yearly[(council, "WM-CQC-NON-COMPLIANT")]
        start_share = 100 * int(old["numerator"]) / int(old["denominator"])
        for quarter in QUARTERS:
            if quarter == (2024, 4):
                share = non_compliant_end
            elif quarter[0] == 2024:
                progress = quarter[1] / 4
                share = start_share + (non_compliant_end - start_share) * progress
                share += rng.uniform(-2, 2)
            else:
                share = non_compliant_end + rng.uniform(-3, 3)
            denominator = locations[quarter]
            numerator = (
                exact_counts(share, denominator)
                if quarter == (2024, 4)
                else round(max(share, 1) * denominator / 100)
            )
            put(quarter, "WM-CQC-NON-COMPLIANT", council, "", numerator, denominator)

        # Ombudsman complaints: few decided in a quarter; the year's four give its percentage.
        upheld, decided = counts_for(upheld_end, max(round(40 * size), 5))
        decided_by_quarter = split(decided, 4, rng, minimum=1)
        upheld_by_quarter = split_upheld(upheld, decided_by_quarter, rng)
        for q in range(1, 5):
            put(
                (2024, q),
                "WM-COMPLAINTS",
                council,
                "",
                upheld_by_quarter[q - 1],
                decided_by_quarter[q - 1],
            )
        for quarter in QUARTERS[4:]:
            if (council, quarter) in NONE_DECIDED:
                put(quarter, "WM-COMPLAINTS", council, "", 0, 0)
                continue
            in_quarter = max(1, round(10 * size + rng.uniform(-2, 2)))
            rate = min(max(upheld_end + rng.uniform(-15, 15), 0), 100) / 100
            upheld_now = sum(rng.random() < rate for _ in range(in_quarter))
            put(quarter, "WM-COMPLAINTS", council, "", upheld_now, in_quarter)

        # Care Act readiness: the 2023-24 rating until the quarter it changed to the year end's.
        rating = yearly[(council, "WM-CARE-ACT")]["value"]
        changes = rng.randint(1, 4)
        for quarter in QUARTERS:
            if quarter[0] == 2024 and quarter[1] >= changes:
                rating = care_act_end
            elif quarter[0] == 2025 and rng.random() < 0.12:
                rating = step_rag(rating, rng)
            put(quarter, "WM-CARE-ACT", council, value=rating)

        # DASS post: the 2023-24 post holder until the quarter the year end's took over.
        post = yearly[(council, "WM-DASS-POST")]["value"]
        changes = rng.randint(1, 4)
        for quarter in QUARTERS:
            if quarter[0] == 2024 and quarter[1] >= changes:
                post = dass_end
            if council in DASS_2025 and quarter[0] == 2025:
                when, after = DASS_2025[council]
                if quarter[1] >= when:
                    post = after
            put(quarter, "WM-DASS-POST", council, value=post)

        # Social worker posts: established posts by size, a vacancy rate of 6 to 25 %.
        posts = max(round(620 * size + rng.randint(-15, 15)), 48)
        rate = rng.uniform(7, 23)
        for quarter in QUARTERS:
            posts += rng.choice([0, 0, 0, 1, 2, -1]) * max(1, round(posts / 100))
            rate = min(max(rate + rng.uniform(-2.0, 2.0), 6), 25)
            put(quarter, "WM-SW-VACANCY", council, "", round(rate * posts / 100), posts)

        # Agency staff: worker-days since 1 April, so each quarter adds to the year's total.
        staff = round(2400 * size + rng.randint(-40, 40))
        share = rng.uniform(3, 14)
        for year in (2024, 2025):
            agency_days = all_days = 0
            for q in range(1, 5):
                if (year, q) not in QUARTERS:
                    break
                days = round(staff * rng.uniform(56, 62))
                share = min(max(share + rng.uniform(-1.5, 1.2), 1.5), 20)
                agency_days += round(days * share / 100)
                all_days += days
                put((year, q), "WM-AGENCY-STAFF", council, "", agency_days, all_days)

    rows = []
    for quarter in QUARTERS:
        for code in QUARTERLY:
            for cassr, council, _ in COUNCILS:
                note = NOTE
                if quarter == (2024, 4):
                    note = REGIONAL_ACCOUNT_NOTE.get((council, code), NOTE)
                rows.append(
                    {
                        "period": label(*quarter),
                        "cassr_code": cassr,
                        "council": council,
                        "indicator": code,
                        **by_quarter[(quarter, code, council)],
                        "note": note,
                    }
                )
    return rows


def yearly_rows(rows: list[dict]) -> list[dict]:
    """The yearly rows kept: none of a quarterly measure from its first quarterly year. A
    percentage row without counts gets them, near the council's usual size of count."""
    sizes = {council: size for _, council, size in COUNCILS}
    locations = {
        (row["period"], row["council"]): int(row["value"])
        for row in rows
        if row["indicator"] == "WM-CQC-LOCATIONS"
    }
    kept = []
    for row in rows:
        row = {column: row.get(column, "") or "" for column in COLUMNS}
        quarterly = row["indicator"] in QUARTERLY
        if quarterly and ("Q" in row["period"] or start_year(row["period"]) >= 2024):
            continue
        if row["indicator"] in PERCENTAGES and not row["numerator"]:
            percent = float(row["value"])
            if row["indicator"] == "WM-CQC-NON-COMPLIANT":
                denominator = locations[(row["period"], row["council"])]
                numerator = exact_counts(percent, denominator)
            else:
                whole = max(round(40 * sizes[row["council"]]), 5)
                numerator, denominator = counts_for(percent, whole)
            row.update(value="", numerator=numerator, denominator=denominator)
        kept.append(row)
    return kept


def main() -> None:
    with open(CSV, newline="", encoding="utf-8") as file:
        existing = list(csv.DictReader(file))
    yearly = yearly_rows(existing)
    last_yearly = {
        (row["council"], row["indicator"]): row
        for row in yearly
        if row["period"] == label(FIRST_QUARTERLY_YEAR - 1)
    }
    rows = yearly + quarterly_rows(last_yearly, random.Random(20240401))
    with open(CSV, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{CSV.name}: {len(rows)} rows")


if __name__ == "__main__":
    main()
