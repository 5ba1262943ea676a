"""Exporting alerts as of a date, and the export/import round trip."""

from __future__ import annotations

import csv
import io
import json

import pytest

import manage
from tests.support import D, act, new_store, raise_at
from usecases.export_alerts import export_alerts, export_events_csv
from usecases.import_events import import_events
from usecases.store import create_store


def _by_ref(records):
    return {r["alert"]: r for r in records}


def test_record_fields_mid_ladder(tmp_path):
    store = new_store(tmp_path, "seed-001")
    raise_at(store, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    # no sweep has run: the export replays the clock itself
    record = _by_ref(export_alerts(store, D(2027, 1, 11)))["A1"]
    record.pop("events")
    assert record == {
        "alert": "A1", "child": "C-1", "track": "iro", "category": "care_planning",
        "raised_on": "2026-12-14", "status": "open", "level": "divisional_director",
        "level_name": "Level 3: Divisional Director", "awaiting": "divisional_director",
        "due": "2027-01-11", "overdue": False, "formal_started": "2026-12-14",
        "formal_due": "2027-01-14", "formal_at_risk": False, "formal_breached": False,
        "working_days_open": 17, "cafcass_referred": False, "closed_on": None,
    }
    record = _by_ref(export_alerts(store, D(2027, 1, 13)))["A1"]
    events = record.pop("events")
    assert (record["level"], record["due"], record["overdue"], record["formal_at_risk"],
            record["working_days_open"]) == ("director", "2027-01-19", False, True, 19)
    late = _by_ref(export_alerts(store, D(2027, 1, 21)))["A1"]
    assert (late["overdue"], late["formal_at_risk"], late["formal_breached"]) == (
        True, False, True)
    assert [(e["date"], e["event"], e["derived"]) for e in events] == [
        ("2026-12-14", "raised", False),
        ("2026-12-22", "escalated", True),
        ("2027-01-04", "escalated", True),
        ("2027-01-12", "escalated", True),
        ("2027-01-12", "formal_at_risk", True),
    ]
    assert events[1]["rule"] == "silence_escalates"
    assert events[1]["reason"].startswith("No response from Service Manager by 21 Dec 2026")
    assert events[1]["policy_id"] == "seed-001" and events[1]["policy_version"] == 1


def test_an_earlier_date_gives_the_earlier_state_even_after_a_sweep(tmp_path):
    from usecases.alerts import sweep

    store = new_store(tmp_path, "seed-001")
    raise_at(store, D(2026, 12, 14), "service_manager", gate="HoS agreed")
    sweep(store, D(2027, 2, 1))
    early = _by_ref(export_alerts(store, D(2026, 12, 21)))["A1"]
    assert (early["level"], early["overdue"], early["working_days_open"]) == (
        "service_manager", False, 5)
    assert export_alerts(store, D(2026, 12, 13)) == []  # not raised yet


def test_resolved_alert_fields(tmp_path):
    store = new_store(tmp_path, "seed-003")
    raise_at(store, D(2026, 12, 14), "team_manager", gate="Line manager agreed")
    act(store, "hos_notified", D(2026, 12, 15), actor_role="iro")
    act(store, "cafcass_referral", D(2026, 12, 15), actor_role="iro")
    act(store, "responded", D(2026, 12, 18), actor_role="team_manager", outcome="agree")
    act(store, "satisfied", D(2026, 12, 21), actor_role="iro")
    record = _by_ref(export_alerts(store, D(2027, 3, 1), with_events=False))["A1"]
    assert (record["status"], record["awaiting"], record["due"], record["closed_on"],
            record["working_days_open"], record["cafcass_referred"],
            record["formal_breached"]) == ("resolved", None, None, "2026-12-21", 5, True, False)


HISTORY = """alert,child,track,date,event,level,outcome,by,until,note,category
R1,SYN-1,iro,2026-12-14,raised,team_manager,,iro,,Line manager agreed,failure_to_visit
R1,SYN-1,iro,2026-12-17,extension_requested,,,team_manager,2027-01-08,Court date,
R1,SYN-1,iro,2026-12-18,extension_agreed,,,iro,,,
R1,SYN-1,iro,2027-01-08,responded,,uphold,team_manager,,,
R1,SYN-1,iro,2027-01-08,not_satisfied,,,iro,,,
R2,SYN-2,cp,2027-03-24,raised,informal,,cp_chair,2027-03-26,,inadequate_practice
R2,SYN-2,cp,2027-04-01,escalated,deputy_head_of_service,,cp_chair,,,
R2,SYN-2,cp,2027-04-02,complaint,,,social_worker,,By the parent,
R3,SYN-3,iro,2027-03-24,raised,informal,,iro,,,failure_to_visit
R3,SYN-3,iro,2027-03-25,withdrawn,,,iro,,Moved to another authority,
"""


def test_export_and_import_round_trip(tmp_path):
    first = create_store(tmp_path / "first.db", "seed-002", demo=False, as_of=D(2026, 1, 5))
    import_events(first, HISTORY)
    exported = export_events_csv(first)
    second = create_store(tmp_path / "second.db", "seed-002", demo=False, as_of=D(2026, 1, 5))
    import_events(second, exported)
    for day in (D(2027, 1, 8), D(2027, 4, 30), D(2027, 9, 1)):
        assert export_alerts(second, day) == export_alerts(first, day)
    assert export_events_csv(second) == exported
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["event"] for r in rows if r["alert"] == "R1"] == [
        "raised", "extension_requested", "extension_agreed", "responded", "not_satisfied"]


def test_demo_store_round_trips(tmp_path):
    demo = create_store(tmp_path / "demo.db", "seed-001", demo=True, as_of=D(2026, 11, 23))
    copy = create_store(tmp_path / "copy.db", "seed-001", demo=False, as_of=D(2026, 11, 23))
    import_events(copy, export_events_csv(demo))

    def without_staff(records):
        for record in records:
            for event in record["events"]:
                event.pop("by_staff")  # the copy has no staff: roles carry over, people not
        return records

    assert without_staff(export_alerts(copy, D(2027, 1, 31))) == without_staff(
        export_alerts(demo, D(2027, 1, 31)))


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_command(tmp_path, capsys, fmt):
    store = new_store(tmp_path, "seed-002")
    import_events(store, HISTORY)
    code = manage.main(["export-alerts", "--db", str(store.path), "--as-of", "2027-04-30",
                        "--format", fmt])
    out = capsys.readouterr().out
    assert code == 0
    if fmt == "json":
        records = [json.loads(line) for line in out.splitlines()]
        assert [r["alert"] for r in records] == ["R1", "R2", "R3"]
        assert records[1]["events"][2]["event"] == "escalated"
    else:
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [(r["alert"], r["status"], r["overdue"]) for r in rows] == [
            ("R1", "open", "false"), ("R2", "open", "true"), ("R3", "withdrawn", "false")]


def test_export_events_command_writes_the_import_format(tmp_path, capsys):
    store = new_store(tmp_path, "seed-002")
    import_events(store, HISTORY)
    assert manage.main(["export-events", "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "alert,child,track,date,event,level,outcome,by,until,note," \
                                  "category,concern,outcome_sought"


def test_the_stored_projection_is_the_fold_of_the_log(tmp_path):
    from db.alerts import all_alerts
    from db.events import events_for_alert
    from rules.alert_state import AlertState, apply_event

    store = create_store(tmp_path / "demo.db", "seed-002", demo=True, as_of=D(2026, 11, 23))
    rows = list(all_alerts(store.db))
    assert len(rows) >= 5
    for row in rows:
        state = AlertState(ref=row.ref, child=row.child_ref, track=row.track)
        for event in events_for_alert(store.db, row.id):
            state = apply_event(state, event.kind, event.occurred_on, event.data)
        assert state.to_json() == row.state
