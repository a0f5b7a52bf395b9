"""The one way a table leaves the site: CSV, XLSX and JSON with the same columns.

Every row carries two trailing columns, `source` (the attribution: the OGL statement, or a row's
own when the table gives each row its source as its last cell) and `data_as_at` (when the data
last changed, "YYYY-MM-DD HH:MM" local time), instead of a note line above or below the table,
so the file stays one rectangular table that spreadsheets and pandas read as is. JSON is the
same table a page of rows at a time (docs/api.md); the CSV and XLSX are always whole.

Cells are written so that a spreadsheet cannot run them:
- numbers stay numbers: ints as written, floats as the repr of the value given (round before
  exporting), no thousands separators; a negative number is still a number;
- missing values (None) are empty cells, never zero;
- text that starts with =, +, -, @, a tab or a carriage return is neutralised with a leading
  single quote (OWASP's advice against CSV injection), so "=HYPERLINK(...)" and "-cmd" are
  shown as text, not run as formulas.
"""

import csv
import datetime
import io
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.core.paginator import InvalidPage, Paginator
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from scorecard.context_processors import SOURCE_ATTRIBUTION
from scorecard.context_processors import data_as_at as current_data_as_at

TRAILING_COLUMNS = ["source", "data_as_at"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_PAGE_SIZE = 500
# An XLSX column is as wide as its longest cell, within these (in characters).
XLSX_WIDTHS = (8, 60)


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    source_note: str | None = SOURCE_ATTRIBUTION,
    data_as_at=None,
) -> HttpResponse:
    """A CSV download: UTF-8 with a BOM (so Excel reads £ and – right), the header, then the
    rows, each ending with `source_note` and `data_as_at` (default: the data version's time).
    With `source_note=None` each row's last cell is its own source."""
    header, rows = _with_trailing_columns(header, rows, source_note, data_as_at)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_cell(cell) for cell in header])
    writer.writerows([_csv_cell(cell) for cell in row] for row in rows)
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def xlsx_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    source_note: str | None = SOURCE_ATTRIBUTION,
    data_as_at=None,
    sheet_title: str = "Data",
) -> HttpResponse:
    """The same table as `csv_response`, as an Excel workbook with one sheet: the header row
    bold and frozen, each column as wide as its content."""
    header, rows = _with_trailing_columns(header, rows, source_note, data_as_at)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append([_xlsx_cell(cell) for cell in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    widths = [len(name) for name in header]
    for row in rows:
        cells = [_xlsx_cell(cell) for cell in row]
        sheet.append(cells)
        lengths = (len(str(cell)) if cell is not None else 0 for cell in cells)
        widths = [max(pair) for pair in zip(widths, lengths, strict=True)]
    low, high = XLSX_WIDTHS
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, low), high)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def json_response(
    request,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    source_note: str | None = SOURCE_ATTRIBUTION,
    data_as_at=None,
) -> HttpResponse:
    """The same table as `csv_response` as JSON, `JSON_PAGE_SIZE` rows a page (`?page=`, from
    1): {"columns", "rows" (lists in the columns' order), "count" (rows in the whole table),
    "page", "pages", "next" and "previous" (absolute links, or null)}. Numbers are numbers,
    missing values null, dates ISO 8601 text. A page past the last is a 404. A signed-in
    caller's answer (which may hold unpublished entries) is marked private, never stored by a
    shared cache."""
    header, rows = _with_trailing_columns(header, rows, source_note, data_as_at)
    paginator = Paginator(list(rows), JSON_PAGE_SIZE, allow_empty_first_page=True)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as error:
        return JsonResponse({"error": str(error)}, status=404)
    response = JsonResponse(
        {
            "columns": list(header),
            "rows": [[_json_cell(cell) for cell in row] for row in page.object_list],
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "next": _page_link(request, page.next_page_number()) if page.has_next() else None,
            "previous": (
                _page_link(request, page.previous_page_number()) if page.has_previous() else None
            ),
        },
        json_dumps_params={"ensure_ascii": False},
    )
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_store=True)
    return response


def _page_link(request, number: int) -> str:
    query = request.GET.copy()
    query["page"] = number
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def table_rows(table, exclude_columns: Iterable[str] = ()) -> tuple[list, list[list]]:
    """(header, rows) of a django-tables2 Table, all rows in the table's order, through
    `Table.as_values()`: a column whose render_<name> returns HTML needs a value_<name> that
    returns the raw value."""
    values = table.as_values(exclude_columns=tuple(exclude_columns))
    header = next(values)
    return header, list(values)


def neutralise(text: str) -> str:
    """Text a spreadsheet would take for a formula, quoted so it stays text."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def format_data_as_at(value) -> str:
    """ "2025-12-18 09:30" in local time for a datetime, "2025-12-18" for a date."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _with_trailing_columns(header, rows, source_note, data_as_at):
    if data_as_at is None:
        data_as_at = current_data_as_at()
    trailing = [format_data_as_at(data_as_at)]
    if source_note is not None:  # else each row ends with its own source
        trailing.insert(0, source_note)
    return [*header, *TRAILING_COLUMNS], ([*row, *trailing] for row in rows)


def _number(value):
    """An int, float or Decimal as a plain number, or None when it is not a finite one."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        return None
    return value


def _csv_cell(value) -> str:
    if value is None:
        return ""
    number = _number(value)
    if number is not None:
        return repr(number) if isinstance(number, float) else str(number)
    if isinstance(value, float | Decimal):  # NaN or infinity: not a published value
        return ""
    return neutralise(str(value))


def _xlsx_cell(value):
    if value is None:
        return None
    number = _number(value)
    if number is not None:
        return number
    if isinstance(value, float | Decimal):
        return None
    return ILLEGAL_CHARACTERS_RE.sub("", neutralise(str(value)))


def _json_cell(value):
    if value is None or isinstance(value, bool):
        return value
    number = _number(value)
    if number is not None:
        return float(number) if isinstance(number, Decimal) else number
    if isinstance(value, float | Decimal):
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


DOWNLOADS = ("csv", "xlsx", "json")


def download(request, name: str, header: Sequence[str], rows: Iterable[Sequence], **options):
    """The table as `?format=` asks for (one of DOWNLOADS): the file `name`.csv or .xlsx, or
    JSON a page at a time; the same header and rows whichever the format. `options` are the
    writers' (`source_note`, `data_as_at`)."""
    if request.method not in ("GET", "HEAD"):  # a read API: no download answers a write
        return HttpResponseNotAllowed(["GET", "HEAD"])
    fmt = request.GET["format"]
    if fmt == "json":
        return json_response(request, header, rows, **options)
    write = csv_response if fmt == "csv" else xlsx_response
    return write(f"{name}.{fmt}", header, rows, **options)
