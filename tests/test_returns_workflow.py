"""Leads' returns (`returns.workflow`) on the seeded demo: who may take each step from which
state, entries checked as the admin checks them, submitting, returning with an e-mail,
publishing into `Value` (the pages and the stored results follow), reopening a revision, and
the audit of every save and transition. 2025-26 Q3 is the period being collected in the demo."""

import pytest
from django.contrib.auth import get_user_model

from councils.models import Area, ComparatorGroup
from indicators.models import Indicator, Value, ValueChange
from returns import workflow
from returns.models import Action, Entry, EntryChange, Event, Membership, Return, Role, State
from returns.workflow import EntryErrors, StaleVersion, WorkflowError
from scorecard import data
from tests.test_freshness import assert_store_equals_a_rebuild

pytestmark = pytest.mark.django_db

PERIOD = "2025-26 Q3"
DUE = [
    "WM-DASS-POST",
    "WM-CARE-ACT",
    "WM-COMPLAINTS",
    "WM-CQC-LOCATIONS",
    "WM-CQC-NON-COMPLIANT",
    "WM-SW-VACANCY",
    "WM-AGENCY-STAFF",
]
# Every due measure: a category, a rating typed in another case, counts (3 of 8 upheld: 38 %),
# a count, no decisions (not applicable), suppressed counts, and 12 of 100 agency staff.
FULL = {
    "WM-DASS-POST": {"text_value": "permanent", "comment": "In post since April"},
    "WM-CARE-ACT": {"text_value": "Green"},
    "WM-COMPLAINTS": {"numerator": 3, "denominator": 8},
    "WM-CQC-LOCATIONS": {"outcome": 120},
    "WM-CQC-NON-COMPLIANT": {"numerator": 0, "denominator": 0},
    "WM-SW-VACANCY": {"numerator_status": "suppressed", "denominator_status": "suppressed"},
    "WM-AGENCY-STAFF": {"numerator": "12", "denominator": "100"},
}


def ids(entries: dict) -> dict:
    codes = dict(Indicator.objects.values_list("code", "pk"))
    return {codes[code]: fields for code, fields in entries.items()}


def council(name: str) -> Area:
    return Area.objects.get(kind="council", name=name)


@pytest.fixture
def walsall():
    return council("Walsall")


@pytest.fixture
def dudley():
    return council("Dudley")


def _user(username, role, councils=()):
    # No password: hashing one takes longer than the test.
    user = get_user_model().objects.create_user(username, f"{username}@example.org")
    membership = Membership.objects.create(user=user, role=role)
    membership.councils.set(councils)
    return user


@pytest.fixture
def users(walsall, dudley):
    return {
        Role.COUNCIL_LEAD: _user("walsall.lead", Role.COUNCIL_LEAD, [walsall]),
        Role.REGIONAL_LEAD: _user("regional.lead", Role.REGIONAL_LEAD),
        Role.VIEWER: _user("a.viewer", Role.VIEWER),
        "dudley": _user("dudley.lead", Role.COUNCIL_LEAD, [dudley]),
    }


@pytest.fixture
def lead(users):
    return users[Role.COUNCIL_LEAD]


@pytest.fixture
def regional(users):
    return users[Role.REGIONAL_LEAD]


def started(user, area, entries=FULL) -> Return:
    return workflow.save_draft(user, area, PERIOD, ids(entries))


def in_state(user, area, state) -> Return:
    return_ = started(user, area)
    Return.objects.filter(pk=return_.pk).update(state=state)
    return_.refresh_from_db()
    return return_


def walsall_value(code):
    return Value.objects.filter(
        indicator__code=code, area__name="Walsall", period__year=2025, period__quarter=3
    ).first()


def walsall_result(code):
    info = next(info for info in data.indicators() if info.code == code)
    group = ComparatorGroup.objects.get(is_default=True)
    result = data.benchmarks(2025, group, [info], quarter=3)[info.id]
    return next(row for row in result.rows if row.council.name == "Walsall").cell


# Roles and what is due ------------------------------------------------------------------------


def test_roles_and_councils(users, walsall, dudley):
    lead, regional, viewer = (users[r] for r in Role)
    admin = get_user_model().objects.create_superuser("the.admin", "admin@example.org")
    nobody = get_user_model().objects.create_user("no.role")
    assert workflow.role_of(lead) == Role.COUNCIL_LEAD
    assert workflow.role_of(regional) == Role.REGIONAL_LEAD
    assert workflow.role_of(viewer) == Role.VIEWER
    assert workflow.role_of(admin) == Role.REGIONAL_LEAD
    assert workflow.role_of(nobody) is None
    assert list(workflow.councils_for(lead)) == [walsall]
    assert workflow.councils_for(regional).count() == 14
    assert workflow.councils_for(admin).count() == 14
    assert not workflow.councils_for(viewer).exists()
    assert not workflow.councils_for(nobody).exists()
    assert workflow.may(lead, Action.SUBMITTED, walsall)
    assert not workflow.may(lead, Action.SUBMITTED, dudley)
    assert not workflow.may(lead, Action.PUBLISHED, walsall)
    assert workflow.may(regional, Action.PUBLISHED, dudley)
    assert not workflow.may(viewer, Action.SAVED, walsall)


def test_the_measures_due_in_a_quarter_and_in_a_year(walsall):
    assert [i.code for i in workflow.due_measures(walsall, PERIOD)] == DUE
    yearly = {i.code for i in workflow.due_measures(walsall, "2025-26")}
    assert "WM-BCF" in yearly and "WM-COMPLAINTS" not in yearly
    # Before their first quarter (2024-25 Q1) the quarterly measures were yearly.
    assert "WM-COMPLAINTS" in {i.code for i in workflow.due_measures(walsall, "2023-24")}


# Every transition by role and state -------------------------------------------------------------

EXPECTED = {  # action: (the states it starts from, the roles that may take it)
    Action.SAVED: ({"", State.DRAFT, State.RETURNED}, {Role.COUNCIL_LEAD, Role.REGIONAL_LEAD}),
    Action.SUBMITTED: ({State.DRAFT}, {Role.COUNCIL_LEAD, Role.REGIONAL_LEAD}),
    Action.RETURNED: ({State.SUBMITTED}, {Role.REGIONAL_LEAD}),
    Action.PUBLISHED: ({State.SUBMITTED}, {Role.REGIONAL_LEAD}),
    Action.REOPENED: ({State.PUBLISHED}, {Role.REGIONAL_LEAD}),
}
TARGET = {
    Action.SAVED: State.DRAFT,
    Action.SUBMITTED: State.SUBMITTED,
    Action.RETURNED: State.RETURNED,
    Action.PUBLISHED: State.PUBLISHED,
    Action.REOPENED: State.DRAFT,
}


def test_the_table_is_the_one_the_code_uses():
    for action, (sources, roles) in EXPECTED.items():
        transition = workflow.TRANSITIONS[action]
        assert (set(transition.sources), set(transition.roles)) == (sources, roles)
        assert transition.target == TARGET[action]


def _take(action, user, area, return_):
    if action == Action.SAVED:
        return workflow.save_draft(user, area, PERIOD, ids({"WM-CQC-LOCATIONS": {"outcome": 7}}))
    if action == Action.SUBMITTED:
        return workflow.submit(user, return_)
    if action == Action.RETURNED:
        return workflow.return_to_lead(user, return_, "Check the complaints")
    if action == Action.PUBLISHED:
        return workflow.publish(user, return_)
    return workflow.reopen(user, return_, "A late correction")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("action", "state"),
    # "": not started, which only saving can start from.
    [(a, s) for a in TARGET for s in ["", *State] if s or a == Action.SAVED],
)
def test_each_transition_by_role_and_state(action, state, role, users, walsall, mailoutbox):
    return_ = in_state(users[Role.REGIONAL_LEAD], walsall, state) if state else None
    before = (
        Event.objects.count(),
        EntryChange.objects.count(),
        Value.objects.count(),
        ValueChange.objects.count(),
    )
    sources, roles = EXPECTED[action]
    if state in sources and role in roles:
        result = _take(action, users[role], walsall, return_)
        assert result.state == TARGET[action]
        result.refresh_from_db()
        assert result.state == TARGET[action]
        event = result.events.first()
        assert (event.action, event.from_state, event.to_state, event.by) == (
            action,
            state,
            TARGET[action],
            users[role],
        )
    else:
        with pytest.raises(WorkflowError):
            _take(action, users[role], walsall, return_)
        after = (
            Event.objects.count(),
            EntryChange.objects.count(),
            Value.objects.count(),
            ValueChange.objects.count(),
        )
        assert after == before
        if return_ is not None:
            stored = Return.objects.get(pk=return_.pk)
            assert (stored.state, stored.version) == (state, return_.version)
        else:
            assert not Return.objects.exists()
        assert not mailoutbox


def test_a_council_lead_cannot_enter_or_submit_for_another_council(lead, regional, dudley):
    with pytest.raises(WorkflowError, match="Dudley"):
        started(lead, dudley)
    assert not Return.objects.exists()
    return_ = started(regional, dudley)
    with pytest.raises(WorkflowError):
        workflow.submit(lead, return_)
    assert Return.objects.get().state == State.DRAFT


# Entries ----------------------------------------------------------------------------------------


def test_a_draft_with_an_invalid_entry_saves_nothing_and_reports_every_problem(lead, walsall):
    entries = {
        "WM-DASS-POST": {"text_value": "", "comment": "To follow"},  # no value, no reason
        "WM-CARE-ACT": {"text_value": "purple"},
        "WM-COMPLAINTS": {"numerator": 9, "denominator": 8, "outcome": 112},
        "WM-CQC-LOCATIONS": {"outcome": -1, "colour": "red"},
        "WM-AGENCY-STAFF": {"numerator": 12, "denominator": 100},  # valid, yet not saved
    }
    with pytest.raises(EntryErrors) as raised:
        started(lead, walsall, entries)
    errors = {
        Indicator.objects.get(pk=pk).code: problems for pk, problems in raised.value.errors.items()
    }
    assert set(errors) == {"WM-DASS-POST", "WM-CARE-ACT", "WM-COMPLAINTS", "WM-CQC-LOCATIONS"}
    assert [field for field, _ in errors["WM-DASS-POST"]] == ["text_value"]
    assert "'purple' is not one of red, amber, green" in errors["WM-CARE-ACT"][0][1]
    complaints = dict(errors["WM-COMPLAINTS"])
    assert "worked out from the numerator" in complaints["outcome"]
    assert "greater than its denominator" in complaints["numerator"]
    locations = dict(errors["WM-CQC-LOCATIONS"])
    assert "negative" in locations["outcome"] and "colour" in locations
    assert "Nothing was saved" in str(raised.value)
    assert not Return.objects.exists() and not Entry.objects.exists()
    assert not Event.objects.exists()


def test_entries_are_stored_as_the_admin_cleans_them(lead, walsall):
    return_ = started(lead, walsall)
    entries = {e.indicator.code: e for e in return_.entries.select_related("indicator")}
    assert set(entries) == set(DUE)
    complaints = entries["WM-COMPLAINTS"]
    assert (complaints.outcome, complaints.outcome_status) == (38, "available")
    assert (complaints.numerator_status, complaints.denominator_status) == ("available",) * 2
    assert entries["WM-CARE-ACT"].text_value == "green"
    none_decided = entries["WM-CQC-NON-COMPLIANT"]
    assert (none_decided.outcome, none_decided.outcome_status) == (None, "not_applicable")
    suppressed = entries["WM-SW-VACANCY"]
    assert (suppressed.numerator, suppressed.outcome_status) == (None, "suppressed")
    assert entries["WM-DASS-POST"].comment == "In post since April"
    assert (return_.state, return_.version, return_.revision) == (State.DRAFT, 1, 0)


def test_a_draft_needs_no_more_than_its_valid_entries_but_submitting_needs_every_measure(
    lead, walsall
):
    return_ = started(lead, walsall, {k: FULL[k] for k in ["WM-CARE-ACT", "WM-COMPLAINTS"]})
    with pytest.raises(WorkflowError) as raised:
        workflow.submit(lead, return_)
    message = str(raised.value)
    for code in set(DUE) - {"WM-CARE-ACT", "WM-COMPLAINTS"}:
        assert code in message
    assert "WM-CARE-ACT" not in message
    assert Return.objects.get().state == State.DRAFT
    workflow.save_draft(lead, walsall, PERIOD, ids(FULL))
    return_.refresh_from_db()
    assert workflow.submit(lead, return_).state == State.SUBMITTED


def test_a_stale_version_is_refused(lead, regional, walsall):
    opened = 0  # the form was opened before the return was started
    return_ = started(regional, walsall)
    with pytest.raises(StaleVersion):
        workflow.save_draft(lead, walsall, PERIOD, ids(FULL), version=opened)
    changed = {"WM-CQC-LOCATIONS": {"outcome": 121}}
    saved = workflow.save_draft(lead, walsall, PERIOD, ids(changed), version=return_.version)
    assert saved.version == return_.version + 1
    with pytest.raises(StaleVersion):
        workflow.save_draft(lead, walsall, PERIOD, ids(changed), version=return_.version)
    assert Entry.objects.get(indicator__code="WM-CQC-LOCATIONS").outcome == 121


# Returning, publishing, reopening ---------------------------------------------------------


def test_returning_needs_a_reason_and_e_mails_the_councils_lead(
    lead, regional, walsall, mailoutbox, settings
):
    settings.SITE_URL = "https://scorecard.example.org"
    return_ = workflow.submit(lead, started(lead, walsall))
    for reason in ("", "   "):
        with pytest.raises(WorkflowError, match="reason"):
            workflow.return_to_lead(regional, return_, reason)
    assert Return.objects.get().state == State.SUBMITTED and not mailoutbox
    workflow.return_to_lead(regional, return_, "Complaints look low: please check")
    assert Return.objects.get().state == State.RETURNED
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert "walsall.lead@example.org" in mail.to and "dudley.lead@example.org" not in mail.to
    assert mail.to == workflow.lead_addresses(walsall)  # with the demo's Walsall leads
    for text in ("Walsall", PERIOD, "Complaints look low: please check"):
        assert text in mail.subject + mail.body
    assert mail.body.endswith(
        "submit it again: https://scorecard.example.org/returns/walsall/2025-26%20Q3/"
    )
    event = return_.events.first()
    assert (event.action, event.reason, event.by) == (
        Action.RETURNED,
        "Complaints look low: please check",
        regional,
    )
    # Saving a returned return makes it a draft again, even with nothing changed.
    workflow.save_draft(lead, walsall, PERIOD, {})
    return_.refresh_from_db()
    assert return_.state == State.DRAFT
    assert (return_.events.first().from_state, return_.events.first().to_state) == (
        State.RETURNED,
        State.DRAFT,
    )


def test_publishing_writes_the_values_the_pages_show(lead, regional, walsall):
    untouched = Value.objects.filter(period__year=2025, period__quarter=3).count()
    assert untouched == 0 and walsall_result("WM-COMPLAINTS").outcome is None
    return_ = workflow.submit(lead, started(lead, walsall))
    workflow.publish(regional, return_)
    assert Return.objects.get().state == State.PUBLISHED
    complaints = walsall_value("WM-COMPLAINTS")
    assert (complaints.outcome, complaints.numerator, complaints.denominator) == (38, 3, 8)
    assert (complaints.entered_by, complaints.import_run, complaints.version) == (
        regional,
        None,
        1,
    )
    assert walsall_value("WM-CARE-ACT").text_value == "green"
    assert walsall_value("WM-DASS-POST").note == "In post since April"
    assert walsall_value("WM-SW-VACANCY").outcome_status == "suppressed"
    assert Value.objects.filter(period__year=2025, period__quarter=3).count() == len(DUE)
    assert walsall_result("WM-COMPLAINTS").outcome == 38
    assert walsall_result("WM-CARE-ACT").text == "green"
    changes = {(c.field, c.old, c.new) for c in complaints.changes.all()}
    assert {("numerator", "", "3"), ("denominator", "", "8"), ("outcome", "", "38")} <= changes
    published = ValueChange.objects.filter(value__area=walsall, value__period=return_.period)
    assert {c.changed_by for c in published} == {regional}
    assert_store_equals_a_rebuild()


def test_reopening_keeps_the_published_values_until_the_revision_is_published(
    lead, regional, walsall
):
    return_ = workflow.publish(regional, workflow.submit(lead, started(lead, walsall)))
    locations = walsall_value("WM-CQC-LOCATIONS")
    with pytest.raises(WorkflowError, match="reason"):
        workflow.reopen(regional, return_, "")
    workflow.reopen(regional, return_, "Walsall found two more complaints")
    assert (return_.state, return_.revision) == (State.DRAFT, 1)
    revised = {"WM-COMPLAINTS": {"numerator": 5, "denominator": 8}}
    workflow.save_draft(lead, walsall, PERIOD, ids(revised))
    assert walsall_value("WM-COMPLAINTS").outcome == 38
    assert walsall_result("WM-COMPLAINTS").outcome == 38
    workflow.submit(lead, return_)
    assert walsall_value("WM-COMPLAINTS").outcome == 38
    workflow.publish(regional, return_)
    complaints = walsall_value("WM-COMPLAINTS")
    assert (complaints.outcome, complaints.numerator, complaints.version) == (63, 5, 2)
    assert walsall_result("WM-COMPLAINTS").outcome == 63
    latest = {(c.field, c.old, c.new, c.changed_by) for c in complaints.changes.all()}
    assert ("numerator", "3", "5", regional) in latest
    assert ("outcome", "38", "63", regional) in latest
    # A value the revision did not change is not written again.
    assert walsall_value("WM-CQC-LOCATIONS").version == locations.version == 1
    assert_store_equals_a_rebuild()


def test_a_published_value_the_return_does_not_touch_stays(lead, regional, walsall, dudley):
    dudley_return = workflow.submit(regional, started(regional, dudley))
    workflow.publish(regional, dudley_return)
    return_ = workflow.submit(lead, started(lead, walsall))
    workflow.publish(regional, return_)
    dudley_values = Value.objects.filter(area=dudley, period__year=2025, period__quarter=3)
    assert dudley_values.count() == len(DUE)
    assert {v.version for v in dudley_values} == {1}


# The audit ---------------------------------------------------------------------------------------


def test_every_save_and_transition_is_audited(lead, regional, walsall):
    return_ = started(lead, walsall)
    first = return_.events.get()
    assert (first.action, first.from_state, first.to_state, first.by) == (
        Action.SAVED,
        "",
        State.DRAFT,
        lead,
    )
    first_changes = {(c.entry.indicator.code, c.field, c.old, c.new) for c in first.changes.all()}
    assert ("WM-COMPLAINTS", "numerator", "", "3") in first_changes
    assert ("WM-COMPLAINTS", "outcome", "", "38") in first_changes
    assert ("WM-DASS-POST", "comment", "", "In post since April") in first_changes

    changed = {"WM-COMPLAINTS": {"numerator": 4, "denominator": 8}}
    workflow.save_draft(lead, walsall, PERIOD, ids(changed))
    second = return_.events.first()
    assert {(c.field, c.old, c.new) for c in second.changes.all()} == {
        ("numerator", "3", "4"),
        ("outcome", "38", "50"),
    }
    # Saving the same again changes nothing, and records nothing.
    workflow.save_draft(lead, walsall, PERIOD, ids(changed))
    assert return_.events.count() == 2

    workflow.submit(lead, return_)
    workflow.return_to_lead(regional, return_, "Check the complaints")
    workflow.save_draft(lead, walsall, PERIOD, ids({"WM-COMPLAINTS": FULL["WM-COMPLAINTS"]}))
    workflow.submit(lead, return_)
    workflow.publish(regional, return_)
    workflow.reopen(regional, return_, "A late correction")
    trail = [
        (e.action, e.from_state, e.to_state, e.reason, e.by.username)
        for e in Event.objects.filter(submission=return_).order_by("at", "pk")
    ]
    assert trail == [
        ("saved", "", "draft", "", "walsall.lead"),
        ("saved", "draft", "draft", "", "walsall.lead"),
        ("submitted", "draft", "submitted", "", "walsall.lead"),
        ("returned", "submitted", "returned", "Check the complaints", "regional.lead"),
        ("saved", "returned", "draft", "", "walsall.lead"),
        ("submitted", "draft", "submitted", "", "walsall.lead"),
        ("published", "submitted", "published", "", "regional.lead"),
        ("reopened", "published", "draft", "A late correction", "regional.lead"),
    ]
    return_.refresh_from_db()
    assert (return_.version, return_.revision) == (8, 1)
