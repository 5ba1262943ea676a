"""The export's impact columns (issue 16): ``impact``, ``impact_note`` and
``impact_sustained`` at the end of every record, as they stood on the export's date, the
same bytes from the projection as from a replay of the log; and ``export-events`` writes
everything a person entered about impact (the difference, the sentence, the actions agreed,
the follow-up's answer and note, the alert a new one follows) where the import reads it
back, text that looks like a formula made inert and read back as typed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

import manage
from db.alert_impacts import impact_of
from db.alerts import alert_by_id, alert_by_ref
from rules.impact import add_months
from tests.page_support import AS_OF, demo_store, user_with_role
from tests.support import log
from tests.test_export_alerts import replayed_export
from usecases.alert_forms import RaiseAlertForm, act_from_form, raise_from_form
from usecases.export_alerts import (
    SUMMARY_FIELDS,
    alerts_as_csv,
    alerts_as_json_lines,
    export_alerts,
    export_events_csv,
)
from usecases.impact import record_follow_up, sweep_follow_ups
from usecases.import_events import import_events
from usecases.store import create_store

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
#: A sentence a spreadsheet would run as a formula, with Markdown and HTML in it.
NOTE = "=HYPERLINK(\"http://example.invalid\",\"x\") Visits **weekly** <b>now</b>"
DUE = add_months(AS_OF, 3)
#: The columns an events file had before the impact's own (issue 16).
OLD_COLUMNS = ("alert", "child", "track", "date", "event", "level", "outcome", "by", "until",
               "note", "category", "concern", "outcome_sought")
#: An action's words with the cell's separator (and a doubled one) in them, and a note that
#: begins like a formula, in Markdown and HTML over two lines.
TRICKY_ACTION = "=SUM(A1); then **review**;; <script>x</script>: [done](http://x.invalid)"
TRICKY_NOTE = "-1 visit since;\n<i>slipped</i> @once, # Heading"


@pytest.fixture(scope="module")
def lived(tmp_path_factory):
    """Alerts on one child: resolved improved on AS_OF, followed up on DUE as sustained;
    resolved not improved (nothing to follow up); still open; resolved partly, followed up
    as not sustained, and a new alert raised after that, following it."""
    store = demo_store(tmp_path_factory.mktemp("export-impact"))
    iro = user_with_role(store, "iro")
    child = next(store.db.query(
        "SELECT case_ref FROM children WHERE reviewer_id = ? AND legal_status = "
        "'looked_after' ORDER BY case_ref LIMIT 1", [iro.staff_id]))["case_ref"]

    def raise_one(on: dt.date = AS_OF, follows: str = "") -> str:
        form = RaiseAlertForm(child_ref=child, category="care_planning",
                              concern="No visits since July.", outcome_sought="Weekly visits.",
                              level="informal", follows=follows)
        return raise_from_form(store, form, user=iro, on=on, now=NOW).ref

    improved, not_improved, still_open, partly = (raise_one(), raise_one(), raise_one(),
                                                  raise_one())
    act_from_form(store, improved, "satisfied", user=iro, on=AS_OF, now=NOW, confirmed=True,
                  impact="improved", impact_note=NOTE,
                  actions=[("Social worker visits weekly", AS_OF + dt.timedelta(days=7))])
    act_from_form(store, not_improved, "satisfied", user=iro, on=AS_OF, now=NOW,
                  confirmed=True, impact="not_improved", impact_note="Decision upheld.")
    act_from_form(store, partly, "satisfied", user=iro, on=AS_OF, now=NOW, confirmed=True,
                  impact="partly", impact_note=TRICKY_NOTE,
                  actions=[(TRICKY_ACTION, AS_OF + dt.timedelta(days=14)),
                           ("Plan shared", AS_OF + dt.timedelta(days=21))])
    asked = [w["alert"] for w in sweep_follow_ups(store, DUE)]  # the demo's own too
    assert improved in asked and partly in asked and not_improved not in asked
    record_follow_up(store, iro, improved, "sustained", "Still weekly.",
                     on=DUE + dt.timedelta(days=2), now=NOW)
    record_follow_up(store, iro, partly, "not_sustained", TRICKY_NOTE,
                     on=DUE + dt.timedelta(days=2), now=NOW)
    follower = raise_one(on=DUE + dt.timedelta(days=3), follows=partly)
    return store, {"improved": improved, "not_improved": not_improved, "open": still_open,
                   "partly": partly, "follower": follower}


def _impact(records, ref):
    record = next(r for r in records if r["alert"] == ref)
    return record["impact"], record["impact_note"], record["impact_sustained"]


def test_the_columns_say_what_had_happened_by_the_date(lived):
    store, refs = lived
    before = export_alerts(store, AS_OF - dt.timedelta(days=1), with_events=False)
    assert refs["improved"] not in [r["alert"] for r in before]  # not raised yet
    for day, sustained in ((AS_OF, ""), (DUE, ""), (DUE + dt.timedelta(days=1), ""),
                           (DUE + dt.timedelta(days=2), "sustained"), (dt.date(2027, 9, 1),
                                                                       "sustained")):
        records = export_alerts(store, day)
        assert _impact(records, refs["improved"]) == ("improved", NOTE, sustained), day
        assert _impact(records, refs["not_improved"]) == ("not_improved", "Decision upheld.",
                                                          "")
        assert _impact(records, refs["open"]) == ("", "", "")
        # the new columns come after every column there was, in the same order
        assert list(records[0])[:len(SUMMARY_FIELDS) + 3] == [
            *SUMMARY_FIELDS, "impact", "impact_note", "impact_sustained"]
        assert list(records[0])[-1] == "events"


@pytest.mark.parametrize("day", [AS_OF, DUE, DUE + dt.timedelta(days=1),
                                 DUE + dt.timedelta(days=2), dt.date(2027, 9, 1)], ids=str)
def test_the_projection_gives_the_bytes_of_a_replay(lived, day):
    store, _ = lived
    assert alerts_as_json_lines(export_alerts(store, day)) == alerts_as_json_lines(
        replayed_export(store, day))
    assert alerts_as_csv(export_alerts(store, day, with_events=False)) == alerts_as_csv(
        replayed_export(store, day, with_events=False))


def test_a_follow_up_does_not_make_the_stored_state_too_old(lived, monkeypatch):
    """The impact's events change nothing on the ladder: after them the alert's clock still
    starts from its stored state, and the events of a later day are not in the record."""
    import usecases.export_alerts as export

    store, refs = lived
    folded = []
    real = export.apply_event
    monkeypatch.setattr(export, "apply_event",
                        lambda state, *args: folded.append(state.ref) or real(state, *args))
    for day in (dt.date(2027, 9, 1), DUE - dt.timedelta(days=1)):
        for with_events in (True, False):
            assert export_alerts(store, day, with_events=with_events)
    assert refs["improved"] not in folded
    # the day before the follow-up was asked for: its events had not happened
    events = [e["event"] for e in next(
        r for r in export_alerts(store, DUE - dt.timedelta(days=1))
        if r["alert"] == refs["improved"])["events"]]
    assert events == ["raised", "satisfied"]
    assert refs["improved"] not in folded


def test_csv_and_json_carry_the_columns_and_the_csv_is_inert(lived, capsys):
    store, refs = lived
    day = "2027-09-01"
    assert manage.main(["export-alerts", "--db", str(store.path), "--as-of", day,
                        "--format", "csv"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].endswith(",closed_on,impact,impact_note,impact_sustained")
    rows = {r["alert"]: r for r in csv.DictReader(io.StringIO(text))}
    assert (rows[refs["improved"]]["impact"], rows[refs["improved"]]["impact_note"],
            rows[refs["improved"]]["impact_sustained"]) == ("improved", "'" + NOTE, "sustained")
    assert rows[refs["open"]]["impact"] == ""
    assert manage.main(["export-alerts", "--db", str(store.path), "--as-of", day,
                        "--format", "json"]) == 0
    records = {r["alert"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert records[refs["improved"]]["impact_note"] == NOTE  # JSON: exactly as typed
    events = records[refs["improved"]]["events"]
    assert [(e["event"], e["outcome"]) for e in events[1:]] == [
        ("satisfied", "improved"), ("impact_follow_up_due", ""),
        ("impact_followed_up", "sustained")]


def _impact_rows(store, refs):
    """What each of ``refs`` records about the child (the follow-up's asking left out: an
    imported resolution is never followed up)."""
    found = {}
    for ref in refs:
        row = impact_of(store.db, alert_by_ref(store.db, ref).id)
        if row is not None:
            linked = row["linked_alert_id"]
            found[ref] = {k: row[k] for k in ("resolved_on", "impact", "impact_note", "actions",
                                              "sustained", "followed_up_on", "follow_up_note")}
            found[ref]["linked"] = alert_by_id(store.db, linked).ref if linked else None
    return found


def test_export_events_writes_everything_entered_about_impact(lived, tmp_path):
    store, refs = lived
    exported = export_events_csv(store)
    mine = list(refs.values())
    rows = [r for r in csv.DictReader(io.StringIO(exported)) if r["alert"] in mine]
    week, fortnight, three = (AS_OF + dt.timedelta(days=n) for n in (7, 14, 21))
    assert [(r["alert"], r["event"], r["outcome"], r["impact_note"], r["actions"], r["note"],
             r["follows"]) for r in rows] == [
        (refs["improved"], "raised", "", "", "", "", ""),
        (refs["improved"], "satisfied", "improved", "'" + NOTE,  # inert in a spreadsheet
         f"{week}: Social worker visits weekly", "", ""),
        (refs["improved"], "impact_followed_up", "sustained", "", "", "Still weekly.", ""),
        (refs["not_improved"], "raised", "", "", "", "", ""),
        (refs["not_improved"], "satisfied", "not_improved", "Decision upheld.", "", "", ""),
        (refs["open"], "raised", "", "", "", "", ""),
        (refs["partly"], "raised", "", "", "", "", ""),
        (refs["partly"], "satisfied", "partly", "'" + TRICKY_NOTE,
         f"{fortnight}: {TRICKY_ACTION.replace(';', ';;')}; {three}: Plan shared", "", ""),
        (refs["partly"], "impact_followed_up", "not_sustained", "", "", "'" + TRICKY_NOTE, ""),
        (refs["follower"], "raised", "", "", "", "", refs["partly"]),
    ]  # the sweep's prompt (impact_follow_up_due) is derived: the rules' own, not exported
    assert {r["by"] for r in rows if r["event"] == "impact_followed_up"} == {"iro"}

    header, *lines = exported.split("\r\n")
    keep = [line for line in lines if line.split(",", 1)[0] in mine]
    copy = create_store(tmp_path / "copy.db", "seed-001", demo=False, as_of=AS_OF)
    import_events(copy, "\r\n".join([header, *keep, ""]), as_of=dt.date(2027, 9, 1))
    assert _impact_rows(copy, mine) == _impact_rows(store, mine)
    assert _impact_rows(copy, mine)[refs["partly"]]["actions"] == [
        {"action": TRICKY_ACTION, "by": fortnight.isoformat()},
        {"action": "Plan shared", "by": three.isoformat()}]
    assert _impact_rows(copy, mine)[refs["partly"]]["linked"] == refs["follower"]
    # no follow-up is asked for an imported resolution, now or later
    for ref in (refs["improved"], refs["partly"]):
        found = impact_of(copy.db, alert_by_ref(copy.db, ref).id)
        assert (found["follow_up_on"], found["prompted_on"]) == (None, None)
    assert sweep_follow_ups(copy, dt.date(2030, 1, 1)) == []
    # the follow-up and the link are the events the app's forms write
    followed_up = [e for e in log(copy, refs["partly"]) if e.kind == "impact_followed_up"]
    assert [(e.data["sustained"], e.data["note"], e.actor_role) for e in followed_up] == [
        ("not_sustained", TRICKY_NOTE, "iro")]
    raised = log(copy, refs["follower"])[0]
    assert (raised.data["follows"], raised.data["follows_alert_id"]) == (
        refs["partly"], alert_by_ref(copy.db, refs["partly"]).id)
    # and exporting the copy writes the same rows again
    assert export_events_csv(copy) == "\r\n".join([header, *keep, ""])


def test_an_older_events_file_without_the_impact_columns_still_imports(lived, tmp_path):
    """A file written before these columns (the satisfied row's difference in ``outcome``
    and nothing more) imports as it did: no sentence, no actions, no follow-up."""
    store, refs = lived
    rows = [r for r in csv.DictReader(io.StringIO(export_events_csv(store)))
            if r["alert"] in (refs["improved"], refs["not_improved"])
            and r["event"] != "impact_followed_up"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=OLD_COLUMNS, extrasaction="ignore",
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    text = out.getvalue()
    assert text.startswith("alert,child,track,date,event,level,outcome,by,until,note,"
                           "category,concern,outcome_sought\r\n")
    copy = create_store(tmp_path / "copy.db", "seed-001", demo=False, as_of=AS_OF)
    import_events(copy, text, as_of=dt.date(2027, 9, 1))
    found = impact_of(copy.db, alert_by_ref(copy.db, refs["improved"]).id)
    assert (found["impact"], found["impact_note"], found["actions"], found["sustained"],
            found["follow_up_on"]) == ("improved", "", [], "", None)
    assert impact_of(copy.db, alert_by_ref(copy.db, refs["not_improved"]).id)["impact"] == \
        "not_improved"
