"""Uploading a return from its template, and an ASCOF file, with a preview: the template's
content, the preview (created, changed, unchanged, every problem with its row and column),
the confirmation (one transaction, audited as uploaded; refused when the return changed since
the preview), bad files (each refused with its message, nothing kept or written), and each
role on each upload route."""

import csv
import gzip
import io
import os
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from councils.models import Area
from indicators.models import Indicator, Period, Value
from returns import upload, workflow
from returns.models import Action, Entry, EntryChange, Event, Return, Role, State
from tests.test_import_ascof import FIXTURES
from tests.test_returns_pages import _user, collecting  # noqa: F401 (a fixture, used below)

# 2025-26 Q3 is being collected, due 30 January 2026.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("collecting")]

Q3 = "2025-26 Q3"
WALSALL = f"/returns/walsall/{Q3}/"
DUDLEY = f"/returns/dudley/{Q3}/"
ASCOF = "/returns/ascof/upload/"
HEADER = ",".join(upload.HEADER)


@pytest.fixture(autouse=True)
def upload_root(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    return settings.UPLOAD_ROOT


@pytest.fixture
def users(db):
    return {
        "walsall": _user("walsall-lead", Role.COUNCIL_LEAD, "walsall"),
        "regional": _user("regional-lead", Role.REGIONAL_LEAD),
        "viewer": _user("viewer", Role.VIEWER),
    }


def nothing_kept(root) -> bool:
    """No uploaded file and no meta left."""
    return not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def kept(root) -> list:
    """The uploaded files kept (each has its meta beside it)."""
    files = root.rglob("*") if root.exists() else []
    return sorted(p.name for p in files if p.is_file() and p.suffix != ".json")


def csv_file(*rows, header=HEADER, name="walsall.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join([header, *rows]).encode(), "text/csv")


def row(code, value="", numerator="", denominator="", reason="", comment="", council="Walsall"):
    return ",".join([council, Q3, code, "", "", "", value, numerator, denominator, reason, comment])


def pk(code) -> int:
    return Indicator.objects.get(code=code).pk


def walsall() -> Area:
    return Area.objects.get(slug="walsall")


def draft(user, **entries) -> Return:
    """Walsall's return saved as a draft with entries by measure code."""
    return workflow.save_draft(user, walsall(), Q3, {pk(c): e for c, e in entries.items()})


# The template ------------------------------------------------------------------------------------


def test_the_csv_template_has_a_row_per_measure_due_in_its_kinds_terms(client, users):
    client.force_login(users["walsall"])
    draft(users["walsall"], **{"WM-CARE-ACT": {"text_value": "green", "comment": "-checked"}})
    response = client.get(f"{WALSALL}template/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "return-walsall-2025-26-Q3.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0])[: len(upload.HEADER)] == upload.HEADER
    assert "council (read only)" in rows[0] and "measure_name (read only)" in rows[0]
    by_code = {r["measure_code"]: r for r in rows}
    assert list(by_code) == [m.code for m in workflow.due_measures(walsall(), Q3)]
    # The return's own entry where there is one (a comment a spreadsheet would run, quoted)…
    care = by_code["WM-CARE-ACT"]
    assert (care["value"], care["comment"]) == ("green", "'-checked")
    assert care["what_to_enter (read only)"] == "value: one of red, amber, green"
    assert care["last_period (read only)"] == "2025-26 Q2: Amber"
    # …else last period's published value: counts for a counted percentage, no outcome.
    complaints = by_code["WM-COMPLAINTS"]
    assert (complaints["value"], complaints["numerator"], complaints["denominator"]) == (
        "",
        "1",
        "3",
    )
    assert "numerator and denominator" in complaints["what_to_enter (read only)"]
    locations = by_code["WM-CQC-LOCATIONS"]
    assert locations["value"] and not locations["numerator"]
    assert all(
        r["council (read only)"] == "Walsall" and r["period (read only)"] == Q3 for r in rows
    )


def test_the_xlsx_template_holds_the_same_rows(client, users):
    client.force_login(users["walsall"])
    as_csv = client.get(f"{WALSALL}template/", {"format": "csv"}).content.decode("utf-8-sig")
    response = client.get(f"{WALSALL}template/", {"format": "xlsx"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Return"
    cells = [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
    expected = list(csv.reader(io.StringIO(as_csv)))
    assert [r[:11] for r in cells] == [r[:11] for r in expected]


def test_the_template_uploaded_unchanged_creates_then_leaves_unchanged(client, users, upload_root):
    client.force_login(users["walsall"])
    for outcome in ("Created", "Unchanged"):
        template = client.get(f"{WALSALL}template/", {"format": "xlsx"}).content
        file = SimpleUploadedFile("walsall.xlsx", template)
        response = client.post(f"{WALSALL}upload/", {"file": file})
        html = response.content.decode()
        assert response.status_code == 200 and "There is a problem" not in html
        assert html.count(f">{outcome}</strong>") == 7
        token = next(p.name for p in upload_root.iterdir() if p.is_dir())
        version = Return.objects.filter(council__slug="walsall").first()
        version = version.version if version else 0
        response = client.post(
            f"{WALSALL}upload/{token}/", {"action": "confirm", "version": version}
        )
        assert response.status_code == 302 and response["Location"].endswith("?done=save")
        assert nothing_kept(upload_root)
    ret = Return.objects.get(council__slug="walsall")
    assert ret.state == State.DRAFT and ret.entries.count() == 7
    # The second, unchanged upload changed nothing: no second event.
    assert list(ret.events.values_list("action", flat=True)) == [Action.UPLOADED]


# The preview -------------------------------------------------------------------------------------


def test_the_preview_shows_created_changed_unchanged_and_every_problem_with_its_row_and_column(
    client, users, upload_root
):
    lead = users["walsall"]
    ret = draft(
        lead,
        **{
            "WM-CARE-ACT": {"text_value": "green"},
            "WM-CQC-LOCATIONS": {"outcome": 120},
        },
    )
    client.force_login(lead)
    file = csv_file(
        row("WM-CARE-ACT", "Green"),  # row 2: unchanged (any case)
        row("WM-CQC-LOCATIONS", "121"),  # row 3: changed
        row("WM-COMPLAINTS", numerator="3", denominator="8"),  # row 4: created
        row("WM-SW-VACANCY", numerator="twelve", denominator="10"),  # row 5: text for a number
        row("WM-AGENCY-STAFF", numerator="12", denominator="10"),  # row 6: out of range
        row("WM-NOPE", "1"),  # row 7: unknown measure
        row("WM-DASS-POST", "permanent", council="Dudley"),  # row 8: another council's
        row("WM-CQC-NON-COMPLIANT", reason="sometimes"),  # row 9: not a reason
    )
    response = client.post(f"{WALSALL}upload/", {"file": file})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "the file was not kept" in html
    assert "1 to be created, 1 to be changed, 1 unchanged" in html
    assert "5 with a problem" in html
    assert "value: 120 → 121" in html
    assert (
        "walsall.csv, row 5, column &#x27;numerator&#x27;: Enter numerator as a number, like 12.5"
        in html
    )
    assert "walsall.csv, row 6, column &#x27;numerator&#x27;:" in html
    assert "walsall.csv, row 7, column &#x27;measure_code&#x27;: &#x27;WM-NOPE&#x27; is not" in html
    assert "walsall.csv, row 8, column &#x27;council&#x27;: this row is for Dudley" in html
    assert "walsall.csv, row 9, column &#x27;reason_if_blank&#x27;:" in html
    assert 'href="#row-5"' in html and 'id="row-5"' in html
    assert "Confirm and save" not in html
    # Nothing was written, and the file was not kept.
    ret.refresh_from_db()
    assert ret.version == 1 and ret.events.count() == 1 and ret.entries.count() == 2
    assert nothing_kept(upload_root)


def test_the_preview_gives_the_messages_of_the_return_screen(client, users):
    """The same entry, typed on the screen and uploaded, is refused in the same words."""
    client.force_login(users["walsall"])
    numerator = f"m{pk('WM-AGENCY-STAFF')}-numerator"
    denominator = f"m{pk('WM-AGENCY-STAFF')}-denominator"
    screen = client.post(WALSALL, {"action": "save", "version": "0", numerator: "12"})
    file = csv_file(row("WM-AGENCY-STAFF", numerator="12"))
    uploaded = client.post(f"{WALSALL}upload/", {"file": file}).content.decode()
    messages = [
        line.split("</a>")[0].split(": ", 1)[1]
        for line in screen.content.decode().split('<li><a href="#id_')[1:]
        if line.startswith((numerator, denominator))
    ]
    assert messages
    for message in messages:
        assert message in uploaded


def test_the_preview_page_runs_a_fixed_number_of_queries(
    client, users, upload_root, django_assert_num_queries
):
    client.force_login(users["walsall"])
    file = csv_file(
        row("WM-CARE-ACT", "green"), row("WM-COMPLAINTS", numerator="1", denominator="4")
    )
    client.post(f"{WALSALL}upload/", {"file": file})
    token = next(p.name for p in upload_root.iterdir() if p.is_dir())
    with django_assert_num_queries(PREVIEW_QUERIES):
        response = client.get(f"{WALSALL}upload/{token}/")
    assert response.status_code == 200 and "Confirm and save" in response.content.decode()


PREVIEW_QUERIES = 63


# Confirming --------------------------------------------------------------------------------------


def _upload(client, *rows, url=WALSALL) -> str:
    """Upload rows; the stored file's token (the preview had no problem)."""
    response = client.post(f"{url}upload/", {"file": csv_file(*rows)})
    html = response.content.decode()
    assert "There is a problem" not in html, html
    return html.split(f"{url}upload/".replace(" ", "%20"))[1].split("/")[0]


def test_confirming_saves_every_row_in_one_event_audited_as_uploaded(client, users, upload_root):
    lead = users["walsall"]
    draft(lead, **{"WM-CQC-LOCATIONS": {"outcome": 120}})
    client.force_login(lead)
    token = _upload(
        client,
        row("WM-CQC-LOCATIONS", "121", comment="two opened"),
        row("WM-COMPLAINTS", numerator="3", denominator="8"),
        row("WM-SW-VACANCY", reason="suppressed"),
    )
    assert kept(upload_root) == ["walsall.csv"]
    assert Event.objects.filter(action=Action.UPLOADED).count() == 0  # not at preview
    response = client.post(f"{WALSALL}upload/{token}/", {"action": "confirm", "version": "1"})
    assert response.status_code == 302
    ret = Return.objects.get(council__slug="walsall")
    assert ret.version == 2 and ret.updated_by == lead
    event = ret.events.get(action=Action.UPLOADED)
    assert event.by == lead and event.from_state == State.DRAFT
    changes = set(EntryChange.objects.filter(event=event).values_list("field", "old", "new"))
    assert ("outcome", "120", "121") in changes and ("comment", "", "two opened") in changes
    assert ("numerator", "", "3") in changes and ("numerator_status", "", "suppressed") in changes
    vacancy = ret.entries.get(indicator__code="WM-SW-VACANCY")
    assert vacancy.numerator is None and vacancy.denominator_status == "suppressed"
    assert nothing_kept(upload_root)
    assert "Your draft was saved." in client.get(response["Location"]).content.decode()


def test_confirming_writes_all_or_nothing(users, upload_root, monkeypatch, tmp_path):
    path = tmp_path / "walsall.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                row("WM-CARE-ACT", "green"),
                row("WM-COMPLAINTS", numerator="1", denominator="2"),
            ]
        )
    )

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(EntryChange.objects, "bulk_create", fail)
    period = Period.objects.for_label(Q3)
    with pytest.raises(RuntimeError):
        upload.apply_return(users["walsall"], walsall(), period, path, "walsall.csv", 0)
    assert not Return.objects.filter(council__slug="walsall").exists()
    assert not Entry.objects.filter(submission__council__slug="walsall").exists()


def test_confirming_after_the_return_changed_is_refused_with_a_new_preview(
    client, users, upload_root
):
    lead = users["walsall"]
    client.force_login(lead)
    token = _upload(client, row("WM-CQC-LOCATIONS", "121"))
    draft(users["regional"], **{"WM-CQC-LOCATIONS": {"outcome": 130}})  # meanwhile
    response = client.post(f"{WALSALL}upload/{token}/", {"action": "confirm", "version": "0"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "changed after you opened it" in html and "confirm again" in html
    assert "value: 130 → 121" in html and 'name="version" value="1"' in html
    assert not Event.objects.filter(action=Action.UPLOADED).exists()
    assert kept(upload_root) == ["walsall.csv"]
    response = client.post(f"{WALSALL}upload/{token}/", {"action": "confirm", "version": "1"})
    assert response.status_code == 302
    entry = Entry.objects.get(
        submission__council__slug="walsall", indicator__code="WM-CQC-LOCATIONS"
    )
    assert entry.outcome == 121


def test_cancelling_deletes_the_file_and_saves_nothing(client, users, upload_root):
    client.force_login(users["walsall"])
    token = _upload(client, row("WM-CARE-ACT", "green"))
    response = client.post(f"{WALSALL}upload/{token}/", {"action": "cancel"})
    assert response.status_code == 302 and kept(upload_root) == []
    assert not Return.objects.filter(council__slug="walsall").exists()
    assert client.get(f"{WALSALL}upload/{token}/").status_code == 404


def test_a_file_left_in_preview_for_a_day_is_deleted_at_the_next_upload(client, users, upload_root):
    client.force_login(users["walsall"])
    left = _upload(client, row("WM-CARE-ACT", "green"))
    recent = _upload(client, row("WM-CARE-ACT", "amber"))
    a_day_ago = time.time() - upload.KEPT_FOR.total_seconds() - 60
    os.utime(upload_root / f"{left}.json", (a_day_ago, a_day_ago))
    latest = _upload(client, row("WM-CARE-ACT", "red"))
    assert upload.stored(left) is None and not (upload_root / left).exists()
    assert upload.stored(recent) is not None and upload.stored(latest) is not None


def test_a_submitted_return_takes_no_upload(client, users, upload_root):
    lead = users["walsall"]
    everything = {
        "WM-DASS-POST": {"text_value": "permanent"},
        "WM-CARE-ACT": {"text_value": "green"},
        "WM-COMPLAINTS": {"numerator": 3, "denominator": 8},
        "WM-CQC-LOCATIONS": {"outcome": 120},
        "WM-CQC-NON-COMPLIANT": {"numerator": 0, "denominator": 0},
        "WM-SW-VACANCY": {"numerator_status": "suppressed", "denominator_status": "suppressed"},
        "WM-AGENCY-STAFF": {"numerator": 12, "denominator": 100},
    }
    workflow.submit(lead, draft(lead, **everything))
    client.force_login(lead)
    response = client.post(f"{WALSALL}upload/", {"file": csv_file(row("WM-CARE-ACT", "red"))})
    html = response.content.decode()
    assert "is submitted: only a return that is not started, a draft or returned" in html
    assert nothing_kept(upload_root)
    assert "Download template / Upload a file" not in client.get(WALSALL).content.decode()


# Bad files ---------------------------------------------------------------------------------------


def _xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(upload.HEADER)
    workbook.active.append(["Walsall", Q3, "WM-CARE-ACT", "", "", "", "green", "", "", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


BAD_RETURN_FILES = [
    ("empty.csv", b"", "empty.csv: is empty"),
    ("junk.csv", bytes(range(256)) * 8, "is not a text file (it holds binary data)"),
    ("renamed.xlsx", b"measure_code,value\nWM-CARE-ACT,green\n", "cannot be read as a spreadsheet"),
    ("truncated.xlsx", _xlsx_bytes()[:700], "cannot be read as a spreadsheet"),
    ("notes.txt", b"measure_code\n", "notes.txt is not a file of a kind taken here"),
    (
        "columns.csv",
        b"measure_code,value,numerator\nWM-CARE-ACT,green,\n",
        "the header has no column &#x27;denominator&#x27;, &#x27;reason_if_blank&#x27;",
    ),
    ("other.csv", b"council,value\nWalsall,1\n", "has no table with a &#x27;measure_code&#x27;"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_RETURN_FILES)
def test_a_bad_return_file_is_refused_with_its_message_and_nothing_kept(
    client, users, upload_root, name, content, message
):
    client.force_login(users["walsall"])
    response = client.post(f"{WALSALL}upload/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert nothing_kept(upload_root)
    assert not Return.objects.filter(council__slug="walsall").exists()


def test_a_utf16_csv_is_read_as_the_importer_reads_it(client, users):
    client.force_login(users["walsall"])
    text = "\n".join([HEADER, row("WM-CARE-ACT", "green")])
    file = SimpleUploadedFile("walsall.csv", text.encode("utf-16"))
    html = client.post(f"{WALSALL}upload/", {"file": file}).content.decode()
    assert "There is a problem" not in html and "1 to be created" in html


def test_a_file_over_20_mb_is_refused_and_not_kept(client, users, upload_root):
    client.force_login(users["walsall"])
    big = SimpleUploadedFile("big.csv", b"a" * (upload.MAX_BYTES + 1))
    html = client.post(f"{WALSALL}upload/", {"file": big}).content.decode()
    assert "big.csv is larger than 20 MB (20,971,521 bytes)" in html
    assert nothing_kept(upload_root)


def test_the_browsers_file_name_is_never_a_path(client, users, upload_root):
    client.force_login(users["walsall"])
    file = csv_file(row("WM-CARE-ACT", "green"), name="../../etc/passwd.csv")
    client.post(f"{WALSALL}upload/", {"file": file})
    (stored,) = [p for p in upload_root.rglob("*.csv")]
    assert stored.name == "passwd.csv" and stored.parent.parent == upload_root


# Who may -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "url", "allowed"),
    [
        ("walsall", WALSALL, True),
        ("walsall", DUDLEY, False),
        ("regional", WALSALL, True),
        ("regional", DUDLEY, True),
        ("viewer", WALSALL, False),
        ("anonymous", WALSALL, False),
    ],
)
def test_each_role_on_each_upload_route(client, users, upload_root, who, url, allowed):
    if who != "anonymous":
        client.force_login(users[who])
    gone = 302 if who == "anonymous" else 404
    assert client.get(f"{url}template/").status_code == (200 if allowed else gone)
    assert client.get(f"{url}upload/").status_code == (200 if allowed else gone)
    council = "Dudley" if url == DUDLEY else "Walsall"
    file = csv_file(row("WM-CARE-ACT", "green", council=council))
    response = client.post(f"{url}upload/", {"file": file})
    assert response.status_code == (200 if allowed else gone)
    assert bool(kept(upload_root)) == allowed
    # Another user's stored file is not theirs to preview or confirm.
    other = users["regional"] if who != "regional" else users["walsall"]
    client.force_login(other)
    token = _upload(client, row("WM-CARE-ACT", "amber"), url=WALSALL)
    if who == "anonymous":
        client.logout()
    else:
        client.force_login(users[who])
    assert client.get(f"{WALSALL}upload/{token}/").status_code == gone
    response = client.post(f"{WALSALL}upload/{token}/", {"action": "confirm", "version": "0"})
    assert response.status_code == gone
    assert not Event.objects.filter(action=Action.UPLOADED).exists()


def test_the_return_screen_links_the_template_and_the_upload(client, users):
    client.force_login(users["walsall"])
    html = client.get(WALSALL).content.decode()
    assert "Download template / Upload a file" in html
    assert 'href="/returns/walsall/2025-26%20Q3/upload/"' in html
    assert "template/?format=xlsx" in html


# An ASCOF file -----------------------------------------------------------------------------------

A_2024_25_FILE = FIXTURES / "ascof_2024-25_csv_layout.csv"


def _fresh_2024_25():
    """The fixture's values deleted, so that importing it creates them."""
    Value.objects.filter(
        period__year=2024,
        indicator__code__in=["1A", "3D(2a)"],
        area__code__in=["England", "406", "407", "415"],
    ).delete()


def test_a_regional_lead_previews_then_imports_an_ascof_file(client, users, upload_root, tmp_path):
    _fresh_2024_25()
    client.force_login(users["regional"])
    assert client.get(ASCOF).status_code == 200
    file = SimpleUploadedFile(A_2024_25_FILE.name, A_2024_25_FILE.read_bytes())
    html = client.post(ASCOF, {"file": file}).content.decode()
    expected = io.StringIO()
    call_command("import_ascof", str(A_2024_25_FILE), dry_run=True, stdout=expected)
    first = expected.getvalue().splitlines()[0]
    assert first in html and "Confirm and import" in html
    assert not Value.objects.filter(period__year=2024, area__code="406", indicator__code="1A")
    token = html.split('action="/returns/ascof/upload/')[1].split("/")[0]
    version = html.split('name="data_version" value="')[1].split('"')[0]
    response = client.post(f"{ASCOF}{token}/", {"action": "confirm", "data_version": version})
    assert "Imported:" in response.content.decode()
    assert Value.objects.filter(period__year=2024, area__code="406", indicator__code="1A")
    assert nothing_kept(upload_root)


def test_an_ascof_import_after_the_data_changed_is_refused_with_a_new_preview(client, users):
    _fresh_2024_25()
    client.force_login(users["regional"])
    file = SimpleUploadedFile(A_2024_25_FILE.name, A_2024_25_FILE.read_bytes())
    html = client.post(ASCOF, {"file": file}).content.decode()
    token = html.split('action="/returns/ascof/upload/')[1].split("/")[0]
    response = client.post(f"{ASCOF}{token}/", {"action": "confirm", "data_version": "-1"})
    html = response.content.decode()
    assert "the data changed after the preview" in html and "Confirm and import" in html
    assert not Value.objects.filter(period__year=2024, area__code="406", indicator__code="1A")


def test_the_tracker_links_the_ascof_import_for_regional_leads_only(client, users):
    for who, shown in (("regional", True), ("walsall", False), ("viewer", False)):
        client.force_login(users[who])
        assert (f'href="{ASCOF}"' in client.get("/returns/").content.decode()) is shown


@pytest.mark.parametrize("who", ["walsall", "viewer", "anonymous"])
def test_only_regional_leads_upload_ascof_files(client, users, upload_root, who):
    if who != "anonymous":
        client.force_login(users[who])
    gone = 302 if who == "anonymous" else 404
    assert client.get(ASCOF).status_code == gone
    file = SimpleUploadedFile(A_2024_25_FILE.name, A_2024_25_FILE.read_bytes())
    assert client.post(ASCOF, {"file": file}).status_code == gone
    assert nothing_kept(upload_root)


def _ascof_csv(*replace) -> bytes:
    text = A_2024_25_FILE.read_text()
    for old, new in replace:
        text = text.replace(old, new, 1)
    return text.encode()


BAD_ASCOF_FILES = [
    ("empty.csv", b""),
    ("junk.csv", bytes(range(256)) * 8),
    ("renamed_2024-25.xlsx", A_2024_25_FILE.read_bytes()),
    ("truncated.xlsx", _xlsx_bytes()[:700]),
    ("missing_2024-25.csv", _ascof_csv(("Measure type,", ""))),
    (
        "area_2024-25.csv",
        _ascof_csv(("England,England,England,E92000001", "999,Nowhere,Council,E0")),
    ),
    ("code_2024-25.csv", _ascof_csv(("3D(2a)", "9Z(9z)"))),
    ("range_2024-25.csv", _ascof_csv((",Numerator,117655", ",Numerator,-5"))),
    ("text_2024-25.csv", _ascof_csv((",Numerator,117655", ",Numerator,lots"))),
]


@pytest.mark.parametrize(("name", "content"), BAD_ASCOF_FILES)
def test_a_bad_ascof_file_gives_the_commands_message_and_imports_nothing(
    client, users, upload_root, tmp_path, name, content
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError) as refused:
        call_command("import_ascof", str(path), dry_run=True, stdout=io.StringIO())
    client.force_login(users["regional"])
    response = client.post(ASCOF, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "Confirm and import" not in html
    from django.utils.html import escape

    for message in str(refused.value).splitlines()[1:]:
        assert escape(message) in html
    assert nothing_kept(upload_root)


def test_a_utf16_or_gzipped_ascof_file_is_read_as_the_command_reads_it(client, users):
    client.force_login(users["regional"])
    text = A_2024_25_FILE.read_text()
    for name, content in [
        ("utf16_2024-25.csv", text.encode("utf-16")),
        ("zipped_2024-25.csv.gz", gzip.compress(text.encode())),
    ]:
        html = client.post(ASCOF, {"file": SimpleUploadedFile(name, content)}).content.decode()
        assert "There is a problem" not in html and "Confirm and import" in html, name
