"""Uploading a return from a file, and an official ASCOF file, with a preview before anything
is written.

A return's template (`template_rows`) has one row per measure due, pre-filled with the
return's entries or, where there is none, last period's published values. An uploaded file is
kept under `settings.UPLOAD_ROOT` (`store`), in a folder of its own named by a random token,
never by anything the browser sent; it is read (`read_return_file`) into rows, each checked as
the return screen checks a measure (`returns.forms.EntryForm`, then `workflow.save_draft`), and
the preview says what saving it would do. `save_draft` is the one judge: the preview runs it in
a transaction that is rolled back, and `apply_return` runs it for real, with the version the
preview showed, so a return changed since then is refused (`workflow.StaleVersion`).

An ASCOF file goes through `indicators.importing.Importer`, as `manage.py import_ascof` does:
the preview is its dry run, the confirmation its import inside `freshness.batch()`.
"""

import datetime
import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.text import get_valid_filename

from indicators import importing
from indicators.importing import Importer, ImportFailed
from indicators.models import Availability, Kind, Period
from indicators.periods import format_period, parse_period
from indicators.validation import CHOICE_KINDS
from returns import workflow
from returns.forms import EntryForm, value_fields
from returns.models import Action, Entry, EntryChange, Event
from returns.views import shown
from scorecard import freshness
from scorecard.exports import FORMULA_STARTS

MAX_BYTES = 20 * 1024 * 1024
# A file whose preview is neither confirmed nor cancelled is deleted after this long.
KEPT_FOR = datetime.timedelta(days=1)
RETURN_SUFFIXES = (".csv", ".xlsx")
ASCOF_SUFFIXES = (".csv", ".csv.gz", ".ods", ".xlsx", ".xlsx.gz")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{24}$")

# The template's columns. A lead fills the last five; the rest are read only (council, period
# and measure_code are read back, to find the measure and refuse another return's rows).
READ_ONLY = " (read only)"
HEADER = [
    f"council{READ_ONLY}",
    f"period{READ_ONLY}",
    "measure_code",
    f"measure_name{READ_ONLY}",
    f"what_to_enter{READ_ONLY}",
    f"last_period{READ_ONLY}",
    "value",
    "numerator",
    "denominator",
    "reason_if_blank",
    "comment",
]
NEEDED = ["measure_code", "value", "numerator", "denominator", "reason_if_blank", "comment"]
# The column of the file each field of an entry (or of the admin's form) is read from.
COLUMN_OF = {
    "outcome": "value",
    "text_value": "value",
    "date_value": "value",
    "numerator": "numerator",
    "denominator": "denominator",
    "outcome_status": "reason_if_blank",
    "numerator_status": "reason_if_blank",
    "denominator_status": "reason_if_blank",
    "comment": "comment",
    "note": "comment",
}
# The words a lead may give for a blank value: the status, its label, or its marker ([c], c).
REASON_WORDS = {
    word.lower(): a.value
    for a in Availability
    if a != Availability.AVAILABLE
    for word in (a.value, a.label, a.label.split(" [")[0], a.label[-3:], a.label[-2:-1])
}


class UploadRefused(Exception):
    """A file not stored: too large, of a kind not taken, or without a name."""


# Storing -----------------------------------------------------------------------------------


def _root() -> Path:
    return Path(settings.UPLOAD_ROOT)


def safe_name(name: str) -> str:
    """The browser's file name as a plain file name (never a path), keeping its suffixes."""
    base = re.split(r"[\\/]", name or "")[-1]
    try:
        return get_valid_filename(base)
    except Exception:  # nothing usable left of it (SuspiciousFileOperation)
        return "upload"


def store(upload, suffixes: tuple[str, ...], **meta) -> str:
    """Keep an uploaded file under UPLOAD_ROOT; its token. `meta` (who, which return) is kept
    beside it for `stored` to check. Refused (nothing kept) above MAX_BYTES or of another kind."""
    name = safe_name(upload.name)
    if not name.lower().endswith(suffixes):
        raise UploadRefused(
            f"{name} is not a file of a kind taken here: upload a "
            + " or ".join(suffixes)
            + " file"
        )
    if upload.size > MAX_BYTES:
        raise UploadRefused(
            f"{name} is larger than {MAX_BYTES // 1024 // 1024} MB ({upload.size:,} bytes): "
            f"upload a file of {MAX_BYTES // 1024 // 1024} MB or less"
        )
    _forget_abandoned()
    token = secrets.token_urlsafe(18)
    folder = _root() / token
    folder.mkdir(parents=True)
    with open(folder / name, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    (_root() / f"{token}.json").write_text(json.dumps({**meta, "name": name}))
    return token


def stored(token: str) -> tuple[Path, dict] | None:
    """(the stored file, its meta) for a token, or None."""
    if not _TOKEN.match(token or ""):
        return None
    try:
        meta = json.loads((_root() / f"{token}.json").read_text())
    except (OSError, ValueError):
        return None
    path = _root() / token / meta.get("name", "")
    return (path, meta) if path.is_file() else None


def _forget_abandoned() -> None:
    """Delete the files of previews never confirmed or cancelled, a day after their upload."""
    if not _root().is_dir():
        return
    cutoff = time.time() - KEPT_FOR.total_seconds()
    for meta in _root().glob("*.json"):
        try:
            abandoned = meta.stat().st_mtime < cutoff
        except OSError:  # another request discarded it meanwhile
            continue
        if abandoned:
            discard(meta.stem)


def discard(token: str) -> None:
    if _TOKEN.match(token or ""):
        shutil.rmtree(_root() / token, ignore_errors=True)
        (_root() / f"{token}.json").unlink(missing_ok=True)


# The template ------------------------------------------------------------------------------


def _number(number):
    if number is None:
        return None
    return int(number) if float(number).is_integer() else number


def _what_to_enter(indicator) -> str:
    unit = f" ({indicator.unit})" if indicator.unit else ""
    if indicator.is_counted:
        return "numerator and denominator: the percentage is worked out from them"
    if indicator.kind in CHOICE_KINDS:
        return "value: one of " + ", ".join(indicator.categories)
    if indicator.kind == Kind.DATE:
        return "value: a date, as 2025-12-31"
    if indicator.kind == Kind.YEAR:
        return "value: a year, as 2025"
    if indicator.kind == Kind.TEXT:
        return "value: text"
    return f"value: a number{unit}"


def _reason_word(status: str) -> str:
    if not status or status == Availability.AVAILABLE:
        return ""
    return Availability(status).label.split(" [")[0]


def _cells(indicator, held) -> list:
    """value, numerator, denominator, reason_if_blank, comment of an entry or published value."""
    if held is None:
        return [None, None, None, "", ""]
    value = numerator = denominator = None
    reason = ""
    for name, status in value_fields(indicator):
        given = getattr(held, name)
        if name == "outcome":
            value = _number(given)
        elif name == "date_value":
            value = given.isoformat() if given else None
        elif name == "text_value":
            value = given or None
        elif name == "numerator":
            numerator = _number(given)
        else:
            denominator = _number(given)
        if given in (None, ""):
            reason = reason or _reason_word(getattr(held, status))
    comment = held.comment if isinstance(held, Entry) else ""
    return [value, numerator, denominator, reason, comment]


def template_rows(council, year: int, quarter: int | None) -> list[list]:
    """The template's rows for the council's return: one per measure due, pre-filled with the
    return's entry, or last period's published value where there is none."""
    label = format_period(year, quarter)
    period = Period.objects.filter(year=year, quarter=quarter).first()
    measures = workflow.due_measures(council, period or Period(year=year, quarter=quarter))
    entries = {
        entry.indicator_id: entry
        for entry in Entry.objects.filter(submission__council=council, submission__period=period)
    }
    previous = workflow.previous_period(year, quarter)
    last = workflow.last_published(council, previous, measures)
    return [
        [
            council.name,
            label,
            m.code,
            m.name,
            _what_to_enter(m),
            f"{format_period(*previous)}: {shown(m, last.get(m.pk)) or 'nothing published'}",
            *_cells(m, entries.get(m.pk) or last.get(m.pk)),
        ]
        for m in measures
    ]


# Reading a return's file -------------------------------------------------------------------


@dataclass
class Problem:
    row: int | None  # the file's row number (the header is row 1 in the template)
    column: str | None
    message: str


@dataclass
class Line:
    """One row of the file and what saving it would do."""

    row: int
    code: str
    name: str = ""
    counted: bool = False  # a percentage entered as its numerator and denominator
    outcome: str = ""  # created, changed, unchanged, blank, error
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (column, old, new)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Preview:
    file_name: str
    lines: list[Line] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # of the file or the return
    version: int = 0  # the return's, when previewed
    entries: dict = field(default_factory=dict)  # what save_draft is given

    @property
    def all_problems(self) -> list[Problem]:
        return self.problems + [p for line in self.lines for p in line.problems]

    def where(self, problem: Problem) -> str:
        parts = [self.file_name]
        if problem.row is not None:
            parts.append(f"row {problem.row}")
        if problem.column:
            parts.append(f"column {problem.column!r}")
        return ", ".join(parts)

    def messages(self) -> list[str]:
        return [f"{self.where(p)}: {p.message}" for p in self.all_problems]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("created", "changed", "unchanged", "blank", "error"), 0)
        for line in self.lines:
            counts[line.outcome] += 1
        return counts


def _text(cell) -> str:
    """A cell as text, as it would be typed: 12 not 12.0, a date as 2025-12-31."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, datetime.datetime):
        return cell.date().isoformat()
    if isinstance(cell, datetime.date):
        return cell.isoformat()
    text = str(cell).strip()
    # The template quotes text a spreadsheet would run (scorecard.exports): unquote it.
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def _column_key(header) -> str:
    return importing._key(str(header or "").replace(READ_ONLY.strip(), ""))


def read_return_file(path: Path) -> tuple[list[tuple[int, dict]], list[Problem]]:
    """(row number, {column: text}) of each filled row of the template's table in the file, and
    the problems of the file as a whole (read by the importer's own reader, in its words)."""
    try:
        tables, _ = importing._tables(path)
    except importing.Unreadable as problem:
        return [], [Problem(None, None, str(problem))]
    wanted = {importing._key(column): column for column in NEEDED + ["council", "period"]}
    for sheet, rows in tables:
        for at, row in enumerate(rows[:20]):
            keys = [_column_key(cell) for cell in row]
            if "measurecode" not in keys:
                continue
            columns = {key: i for i, key in reversed(list(enumerate(keys))) if key in wanted}
            missing = [c for c in NEEDED if importing._key(c) not in columns]
            if missing:
                where = f"sheet {sheet}, row {at + 1}" if sheet else f"row {at + 1}"
                return [], [
                    Problem(
                        None,
                        None,
                        f"{where}: the header has no column "
                        + ", ".join(repr(c) for c in missing)
                        + ": use the template's columns ("
                        + ", ".join(NEEDED)
                        + ")",
                    )
                ]
            found = []
            for number, cells in enumerate(rows[at + 1 :], start=at + 2):
                values = {
                    wanted[key]: _text(cells[i]) if i < len(cells) else ""
                    for key, i in columns.items()
                }
                if any(values.values()):
                    found.append((number, values))
            return found, []
    return [], [
        Problem(
            None,
            None,
            "has no table with a 'measure_code' column: upload the template, filled in "
            "(download it from the return's page)",
        )
    ]


# Previewing and applying a return ----------------------------------------------------------


def _reason(text: str) -> str | None:
    """The availability status a reason names ("Suppressed", "[c]", "not_available"), "" for
    none, None for words that are not a reason."""
    return REASON_WORDS.get(text.lower()) if text else ""


def _check_row(council, label, measure, number, cells) -> tuple[dict | None, list[Problem]]:
    """The row as `save_draft` takes a measure, read by the return screen's form; or its
    problems (the screen's messages)."""
    problems = []
    said = cells.get("council", "")
    if said and said.lower() not in (council.name.lower(), council.slug):
        problems.append(
            Problem(
                number,
                "council",
                f"this row is for {said}, but this is {council.name}'s return: upload "
                f"{said}'s rows on {said}'s return",
            )
        )
    said = cells.get("period", "")
    if said:
        try:
            same = format_period(*parse_period(said)) == label
        except ValueError:
            same = False
        if not same:
            problems.append(
                Problem(number, "period", f"this row is for {said}, but this return is for {label}")
            )
    reason = _reason(cells["reason_if_blank"])
    if reason is None:
        problems.append(
            Problem(
                number,
                "reason_if_blank",
                f"{cells['reason_if_blank']!r} is not a reason a value is missing: write "
                "suppressed, not available or not applicable",
            )
        )
    pairs = value_fields(measure)
    prefix = f"m{measure.pk}-"
    data = {prefix + "comment": cells["comment"]}
    extra = {}
    for column in ("value", "numerator", "denominator"):
        names = [n for n, _ in pairs if COLUMN_OF[n] == column]
        if names:
            data[prefix + names[0]] = cells[column]
        elif cells[column]:  # the workflow says why a measure does not take it
            extra["outcome" if column == "value" else column] = cells[column]
    blanks = [status for name, status in pairs if not cells[COLUMN_OF[name]]]
    if reason and not blanks:
        problems.append(Problem(number, "reason_if_blank", "leave it empty: the value is given"))
    for status in blanks:
        data[prefix + status] = reason or ""
    if problems:
        return None, problems
    form = EntryForm(measure, data=data)
    if not form.is_valid():
        return None, [
            Problem(number, COLUMN_OF.get(name, "value"), message)
            for name, messages in form.errors.items()
            for message in messages
        ]
    return {**form.entry(), **extra}, []


def _trial(user, council, period, entries: dict, version: int):
    """What `save_draft` would do with the entries, undone: (entries before by indicator id,
    created ids, changes [(indicator id, field, old, new)], the refusal or None)."""
    with transaction.atomic():
        before = set(
            Entry.objects.filter(
                submission__council=council, submission__period=period
            ).values_list("indicator_id", flat=True)
        )
        last_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        try:
            saved = workflow.save_draft(
                user, council, period, entries, version=version, action=Action.UPLOADED
            )
        except workflow.WorkflowError as refused:
            transaction.set_rollback(True)
            return before, set(), [], refused
        changes = list(
            EntryChange.objects.filter(event__submission=saved, event__pk__gt=last_event)
            .order_by("pk")
            .values_list("entry__indicator_id", "field", "old", "new")
        )
        transaction.set_rollback(True)
    created = {pk for pk, *_ in changes} - before
    return before, created, changes, None


def _not_missing(old: str, new: str) -> bool:
    """A status going from blank to available: nothing a lead typed, so not shown."""
    return {old, new} <= {"", Availability.AVAILABLE}


def _shown_change(counted: bool, name: str) -> str:
    """The column an entry's field is read from, as the preview names a change."""
    if name == "outcome" and counted:
        return "value (worked out)"
    if name.endswith("_status"):
        return f"reason_if_blank ({name.removesuffix('_status')})"
    return COLUMN_OF.get(name, name)


def _read_and_check(council, period: Period, path: Path, name: str):
    """The file's rows checked one by one, as the screen's form checks a measure: (the
    preview so far, with `entries` for save_draft, and the lines by measure id)."""
    label = period.label
    ret = council.returns.filter(period=period).first()
    preview = Preview(file_name=name, version=ret.version if ret else 0)
    rows, preview.problems = read_return_file(path)
    if not rows and not preview.problems:
        preview.problems.append(Problem(None, None, "has no rows of measures: nothing to upload"))
    due = {m.code.lower(): m for m in workflow.due_measures(council, period)}
    by_id = {}
    for number, cells in rows:
        code = cells["measure_code"]
        line = Line(row=number, code=code)
        preview.lines.append(line)
        measure = due.get(code.lower())
        if measure is None:
            line.problems.append(
                Problem(
                    number,
                    "measure_code",
                    f"{code or 'a blank code'!r} is not a measure due from {council.name} for "
                    f"{label}",
                )
            )
            continue
        line.code, line.name, line.counted = measure.code, measure.name, measure.is_counted
        if measure.pk in by_id:
            line.problems.append(
                Problem(
                    number,
                    "measure_code",
                    f"{measure.code} is also on row {by_id[measure.pk].row}: give each measure "
                    "once",
                )
            )
            continue
        by_id[measure.pk] = line
        entry, line.problems = _check_row(council, label, measure, number, cells)
        if entry is not None:
            preview.entries[measure.pk] = entry
    return preview, by_id


def preview_return(user, council, period: Period, path: Path, name: str) -> Preview:
    """What uploading the file into the council's return for the period would do, every row,
    with every problem; nothing is written."""
    preview, by_id = _read_and_check(council, period, path, name)
    entries = preview.entries
    before, created, changes, refused = set(), set(), [], None
    if entries:
        before, created, changes, refused = _trial(user, council, period, entries, preview.version)
    if isinstance(refused, workflow.EntryErrors):
        for pk, problems in refused.errors.items():
            line = by_id[int(pk)]
            line.problems += [
                Problem(line.row, COLUMN_OF.get(name, "value"), message)
                for name, message in problems
            ]
        # What the rows without problems would do, for the preview.
        entries = {pk: e for pk, e in entries.items() if not by_id[pk].problems}
        before, created, changes, refused = set(), set(), [], None
        if entries:
            before, created, changes, refused = _trial(
                user, council, period, entries, preview.version
            )
    if refused is not None:
        preview.problems.append(Problem(None, None, str(refused)))
    for pk, line in by_id.items():
        if line.problems:
            continue
        line.changes = [
            (_shown_change(line.counted, name), old, new)
            for i, name, old, new in changes
            if i == pk and not _not_missing(old, new)
        ]
        if pk in created:
            line.outcome = "created"
        elif line.changes:
            line.outcome = "changed"
        else:
            line.outcome = "unchanged" if pk in before else "blank"
    for line in preview.lines:
        if line.problems:
            line.outcome = "error"
    return preview


class UploadErrors(Exception):
    """The file has problems: nothing was saved."""

    def __init__(self, preview: Preview):
        self.preview = preview
        super().__init__("Nothing was saved. " + "; ".join(preview.messages()))


def apply_return(user, council, period: Period, path: Path, name: str, version: int):
    """Read and check the file again, then save it into the return through `save_draft` (one
    transaction, audited as uploaded) at the version the preview showed. Raises UploadErrors,
    or the workflow's refusal (`StaleVersion` when the return changed since the preview)."""
    preview, _ = _read_and_check(council, period, path, name)
    if preview.all_problems:
        raise UploadErrors(preview)
    return workflow.save_draft(
        user, council, period, preview.entries, version=version, action=Action.UPLOADED
    )


# An official ASCOF file ---------------------------------------------------------------------


def preview_ascof(path: Path, year: int | None) -> list[str]:
    """The importer's dry-run report, line by line. Raises ImportFailed or ValueError (the
    command's refusals)."""
    reports = Importer([path], year=year, dry_run=True).run()
    return [line for report in reports for line in report.lines()]


def apply_ascof(path: Path, year: int | None) -> tuple[list[str], int]:
    """The import itself, in one transaction (`freshness.batch()`): (report lines, values
    changed). Raises ImportFailed or ValueError."""
    with freshness.batch():
        reports = Importer([path], year=year).run()
    return [line for report in reports for line in report.lines()], sum(
        report.changed for report in reports
    )


__all__ = [
    "MAX_BYTES",
    "ImportFailed",
    "Preview",
    "UploadErrors",
    "UploadRefused",
    "apply_ascof",
    "apply_return",
    "discard",
    "preview_ascof",
    "preview_return",
    "store",
    "stored",
    "template_rows",
]
