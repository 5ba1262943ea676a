"""Importing the difference a resolution made for the child (issue 16): a ``satisfied`` row's
``outcome`` is its impact (``improved``, ``partly``, ``not_improved``, or empty when the
old record does not say), its ``impact_note`` the sentence and its ``actions`` the actions
agreed (``2026-12-23: Visits booked; 2027-01-10: Plan shared``); an ``impact_followed_up``
row says whether the change lasted; a ``raised`` row's ``follows`` names the alert, higher
up the file, whose change did not. Anything wrong is refused with its line and nothing is
written; and no imported alert is ever followed up."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.alert_impacts import impact_of
from db.alerts import alert_by_id, alert_by_ref
from rules.impact import MAX_ACTION_CHARS
from tests.support import D, log, new_store
from usecases.export_alerts import export_events_csv
from usecases.impact import sweep_follow_ups
from usecases.import_events import (
    ImportRefused,
    actions_text,
    import_events,
    map_from_text,
    parse_actions,
)

HEADER = "alert,child,track,date,event,level,outcome,by,until,note,category\n"
#: The header with the impact's own columns (the optional ``concern`` ones left out).
FULL = "alert,child,track,date,event,level,outcome,by,until,note,category,impact_note,actions," \
       "follows\n"
#: Text a spreadsheet would run as a formula, with Markdown and HTML, over two lines.
TRICKY = "=HYPERLINK(\"http://x.invalid\",\"x\") **weekly**\n<b>now</b> | # not a heading"


def _history(outcomes: dict[str, str]) -> str:
    """One alert per entry, raised and resolved with that outcome."""
    rows = [HEADER]
    for n, (ref, outcome) in enumerate(outcomes.items(), start=1):
        rows.append(f"{ref},SYN-{n},iro,2026-12-14,raised,informal,,iro,2026-12-28,,"
                    "care_planning\n")
        rows.append(f"{ref},SYN-{n},iro,2026-12-16,satisfied,,{outcome},iro,,"
                    f"\"Visits weekly, =SUM(A1) <b>now</b>\",\n")
    return "".join(rows)


def _impact(store, ref):
    return impact_of(store.db, alert_by_ref(store.db, ref).id)


def test_the_three_outcomes_and_none_land_in_the_impact_table(tmp_path):
    store = new_store(tmp_path, "seed-001")
    import_events(store, _history({"I1": "improved", "I2": "partly", "I3": "not_improved",
                                   "I4": ""}), as_of=D(2027, 1, 5))
    for ref, impact in (("I1", "improved"), ("I2", "partly"), ("I3", "not_improved"),
                        ("I4", "")):
        row = _impact(store, ref)
        assert (row["impact"], row["resolved_on"], row["impact_note"]) == (
            impact, "2026-12-16", ""), ref
        assert row["follow_up_on"] is None, ref  # history: never followed up
        satisfied = log(store, ref)[-1]
        assert satisfied.kind == "satisfied"
        assert satisfied.data["note"] == "Visits weekly, =SUM(A1) <b>now</b>"  # still the note
    assert "Difference for the child: partly improved." in log(store, "I2")[-1].reason
    assert "impact" not in log(store, "I4")[-1].data
    # years on, the sweep asks about none of them
    assert sweep_follow_ups(store, D(2030, 1, 1)) == []


def test_a_wrong_outcome_on_a_satisfied_row_is_refused_with_its_line(tmp_path):
    store = new_store(tmp_path, "seed-001")
    counts = {t: store.db[t].count for t in ("alerts", "events", "children", "alert_impacts")}
    with pytest.raises(ImportRefused) as refused:
        import_events(store, _history({"W1": "improved", "W2": "agree", "W3": "Better"}),
                      as_of=D(2027, 1, 5))
    assert [str(p) for p in refused.value.problems] == [
        f"line {line}, outcome: '{word}' is not a difference for the child that a resolved "
        "alert can record. Use one of: improved, partly, not_improved, or leave it empty "
        "when the record does not say."
        for line, word in ((5, "agree"), (7, "Better"))]
    assert {t: store.db[t].count for t in counts} == counts


def test_a_map_can_translate_a_spreadsheets_own_words(tmp_path):
    store = new_store(tmp_path, "seed-001")
    column_map = map_from_text(
        "columns: {alert: Ref, child: Case, date: Date, event: Action, level: Stage, "
        "outcome: Result, note: Comments}\n"
        "values:\n"
        "  event: {Raised: raised, Closed: satisfied}\n"
        "  outcome: {Much better: improved, Some progress: partly}\n"
        "defaults: {track: iro}\n")
    text = ("Ref,Case,Date,Action,Stage,Result,Comments\n"
            "M1,SYN-1,2026-12-14,Raised,informal,,Visits missed\n"
            "M1,SYN-1,2026-12-16,Closed,,Much better,Plan back on track\n"
            "M2,SYN-2,2026-12-14,Raised,informal,,Visits missed\n"
            "M2,SYN-2,2026-12-16,Closed,,Some progress,\n")
    result = import_events(store, text, column_map=column_map, as_of=D(2027, 1, 5))
    assert result.events == 4
    assert (_impact(store, "M1")["impact"], _impact(store, "M2")["impact"]) == (
        "improved", "partly")
    assert dt.date.fromisoformat(_impact(store, "M1")["resolved_on"]) == D(2026, 12, 16)


def _row(ref: str, date: str, event: str, *, child: str = "SYN-1", level: str = "",
         outcome: str = "", until: str = "", note: str = "", category: str = "",
         impact_note: str = "", actions: str = "", follows: str = "") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        [ref, child, "iro", date, event, level, outcome, "", until, note, category,
         impact_note, actions, follows])
    return out.getvalue()


def _raised(ref: str, date: str = "2026-12-14", **kw) -> str:
    until = (D(*map(int, date.split("-"))) + dt.timedelta(days=14)).isoformat()
    return _row(ref, date, "raised", level="informal", until=until, category="care_planning",
                **kw)


def _resolved(ref: str, impact: str, date: str = "2026-12-16", **kw) -> str:
    return _row(ref, date, "satisfied", outcome=impact, **kw)


def _followed_up(ref: str, answer: str, date: str = "2027-03-20", **kw) -> str:
    return _row(ref, date, "impact_followed_up", outcome=answer, **kw)


def _counts(store):
    return {t: store.db[t].count for t in ("alerts", "events", "children", "alert_impacts")}


def test_the_sentence_the_actions_the_follow_up_and_the_link_are_imported(tmp_path):
    store = new_store(tmp_path, "seed-001")
    text = (FULL
            + _raised("F1")
            + _resolved("F1", "partly", impact_note="Visits **weekly**, <b>now</b>",
                        actions="2026-12-23: Visits booked; 2027-01-10: Plan shared;; with "
                                "the child")
            + _followed_up("F1", "not_sustained", note="Visits slipped again.")
            + _raised("F2", "2027-03-21", follows="F1")
            + _raised("F3", child="SYN-2")
            + _resolved("F3", "improved", child="SYN-2", impact_note="Better.",
                        actions="2026-12-20: Visits")
            + _followed_up("F3", "sustained", child="SYN-2"))
    result = import_events(store, text, as_of=D(2027, 6, 1))
    assert result.events == 7
    f1 = impact_of(store.db, alert_by_ref(store.db, "F1").id)
    assert {k: f1[k] for k in ("impact", "impact_note", "actions", "sustained",
                                "followed_up_on", "follow_up_note")} == {
        "impact": "partly", "impact_note": "Visits **weekly**, <b>now</b>",
        "actions": [{"action": "Visits booked", "by": "2026-12-23"},
                    {"action": "Plan shared; with the child", "by": "2027-01-10"}],
        "sustained": "not_sustained", "followed_up_on": "2027-03-20",
        "follow_up_note": "Visits slipped again."}
    assert alert_by_id(store.db, f1["linked_alert_id"]).ref == "F2"
    raised = log(store, "F2")[0]
    assert (raised.data["follows"], raised.data["follows_alert_id"]) == (
        "F1", alert_by_ref(store.db, "F1").id)
    f3 = impact_of(store.db, alert_by_ref(store.db, "F3").id)
    assert (f3["sustained"], f3["actions"]) == (
        "sustained", [{"action": "Visits", "by": "2026-12-20"}])
    # the follow-up, as the app's form writes it, by the reviewer when ``by`` is empty
    answer = log(store, "F3")[-1]
    assert (answer.kind, answer.actor_role, answer.data["sustained"], answer.data["note"],
            answer.reason) == ("impact_followed_up", "iro", "sustained", "",
                               "The IRO followed up alert F3: the change for the child has "
                               "lasted.")
    # history: no follow-up was asked for, and none ever will be
    assert (f1["follow_up_on"], f1["prompted_on"], f3["follow_up_on"]) == (None, None, None)
    assert sweep_follow_ups(store, D(2030, 1, 1)) == []


def test_bad_impact_cells_are_refused_with_their_line_and_nothing_is_written(tmp_path):
    store = new_store(tmp_path, "seed-001")
    before = _counts(store)
    how = ("write each action as its date (YYYY-MM-DD, for example 2026-12-21), a colon and "
           "what was agreed, and separate actions with ';' (a ';' in an action's words is "
           "written ';;').")
    text = (FULL
            + _raised("C1") + _resolved("C1", "improved", actions="Visits booked")
            + _raised("C2") + _resolved("C2", "partly",
                                        actions="2026-12-23: Visits; ; 2026-12-24: Plan")
            + _raised("C3") + _resolved("C3", "partly", actions="2026-13-01: Bad month")
            + _raised("C4", impact_note="What changed")
            + _raised("C5") + _resolved("C5", "partly", actions="2026-12-23:")
            + _raised("C6") + _resolved("C6", "partly", actions="2029-12-23: Too late")
            + _raised("C7") + _followed_up("C7", "lasted")
            + _raised("C8") + _row("C8", "2026-12-16", "responded", outcome="agree",
                                   actions="2026-12-20: x", follows="C1")
            + _raised("C9") + _resolved("C9", "improved", actions="; ".join(
                f"2026-12-{n + 17}: step {n}" for n in range(11)))
            + _raised("C10") + _resolved("C10", "improved",
                                         actions="2026-12-20: " + "x" * (MAX_ACTION_CHARS + 1))
            + _raised("C11") + _followed_up("C11", ""))
    with pytest.raises(ImportRefused) as refused:
        import_events(store, text, as_of=D(2027, 6, 1))
    assert [str(p) for p in refused.value.problems] == [
        f"line 3, actions: the action, 'Visits booked', does not begin with a date and a "
        f"colon: {how}",
        f"line 5, actions: action 2 is empty (two separators together, or one at the end): "
        f"{how}",
        f"line 7, actions: the action begins with '2026-13-01', which is not a date: {how}",
        "line 8, impact_note: the sentence on what changed for the child belongs on the "
        "alert's satisfied row, not on a 'raised' row.",
        "line 10, actions: the action has a date but no words: say what was agreed.",
        "line 12, actions: the action is dated 23 Dec 2029, more than two years from the "
        "row's date (16 Dec 2026); check the year.",
        "line 14, outcome: 'lasted' is not an answer to a follow-up: say whether the change "
        "for the child lasted, with one of: sustained, not_sustained.",
        "line 16, actions: the actions agreed belong on the alert's satisfied row, not on a "
        "'responded' row.",
        "line 16, follows: only a raised row can follow an earlier alert, not a 'responded' "
        "row.",
        "line 18, actions: 11 actions are given; a resolution records at most 10 (the rest "
        "belong in the plan itself).",
        f"line 20, actions: the action is {MAX_ACTION_CHARS + 1} characters long; the longest "
        f"allowed is {MAX_ACTION_CHARS} (the detail belongs in the plan).",
        "line 22, outcome: a follow-up needs its answer: say whether the change for the "
        "child lasted, with one of: sustained, not_sustained.",
    ]
    assert _counts(store) == before


def test_a_follow_up_or_a_link_out_of_place_is_refused_with_its_line(tmp_path):
    store = new_store(tmp_path, "seed-001")
    before = _counts(store)
    text = (FULL
            + _raised("P1") + _resolved("P1", "partly") + _followed_up("P1", "not_sustained")
            # before the resolution (line 6)
            + _raised("P2") + _followed_up("P2", "sustained", "2026-12-15")
            + _resolved("P2", "improved")
            # nothing to follow up: not improved (line 10), no difference recorded (line 13)
            + _raised("P3") + _resolved("P3", "not_improved") + _followed_up("P3", "sustained")
            + _raised("P4") + _resolved("P4", "") + _followed_up("P4", "sustained")
            # twice (line 17)
            + _raised("P5") + _resolved("P5", "improved") + _followed_up("P5", "sustained")
            + _followed_up("P5", "not_sustained", "2027-03-21")
            # another child's (18); before the change was found not to last (19); a change
            # that lasted (20); an alert lower down the file (21); one not in it (23)
            + _raised("P6", "2027-03-25", follows="P1", child="SYN-2")
            + _raised("P7", "2027-03-19", follows="P1")
            + _raised("P8", "2027-03-25", follows="P5")
            + _raised("P9", "2027-03-25", follows="P10") + _raised("P10")
            + _raised("P11", "2027-03-25", follows="NOPE"))
    with pytest.raises(ImportRefused) as refused:
        import_events(store, text, as_of=D(2027, 6, 1))
    assert [str(p) for p in refused.value.problems] == [
        "line 6, event: alert P2 has not been resolved by 15 Dec 2026: a follow-up comes "
        "after the alert's satisfied row (an earlier date, or the same date higher up the "
        "file).",
        "line 6: the later rows of alert P2 were not checked, as they follow this one.",
        "line 10, event: alert P3 was resolved as 'not improved': only an alert resolved as "
        "improved or partly improved is followed up.",
        "line 13, event: alert P4 was resolved without a difference for the child recorded: "
        "only an alert resolved as improved or partly improved is followed up.",
        "line 17, event: the follow-up of alert P5 was already recorded, on 20 Mar 2027: an "
        "alert is followed up once.",
        "line 18, follows: alert P1 is about child SYN-1, not SYN-2: a new alert can follow "
        "only an alert about the same child.",
        "line 19, follows: alert P1's change for the child was not recorded as not lasting by "
        "19 Mar 2027 (an impact_followed_up row with not_sustained), so this alert cannot "
        "follow it.",
        "line 20, follows: alert P5's change for the child was not recorded as not lasting by "
        "25 Mar 2027 (an impact_followed_up row with not_sustained), so this alert cannot "
        "follow it.",
        "line 21, follows: alert P10 is not higher up this file: a new alert can follow only "
        "an alert imported with it, above it in the file.",
        "line 23, follows: alert NOPE is not higher up this file: a new alert can follow only "
        "an alert imported with it, above it in the file.",
    ]
    assert _counts(store) == before


def test_a_link_to_an_alert_of_an_earlier_import_is_refused(tmp_path):
    """Rolling back an unfinished import puts right only the alerts it wrote to: a link to
    an alert the file does not hold would outlive it, so the alert must be in the file."""
    store = new_store(tmp_path, "seed-001")
    import_events(store, FULL + _raised("E1") + _resolved("E1", "partly")
                  + _followed_up("E1", "not_sustained"), as_of=D(2027, 6, 1))
    before = _counts(store)
    with pytest.raises(ImportRefused, match="line 2, follows: alert E1 is not higher up this "
                                            "file"):
        import_events(store, FULL + _raised("E2", "2027-03-25", follows="E1"),
                      as_of=D(2027, 6, 1))
    assert _counts(store) == before


def test_text_full_of_markdown_html_and_formulas_survives_export_and_import(tmp_path):
    first = new_store(tmp_path, "seed-001", "first.db")
    action = "=SUM(A1); **then** <script>x</script>: [plan](http://x.invalid);;"
    import_events(first, FULL + _raised("T1")
                  + _resolved("T1", "partly", impact_note=TRICKY,
                              actions=actions_text([{"action": action, "by": "2026-12-23"},
                                                    {"action": "-1 @once", "by": "2027-01-10"}]))
                  + _followed_up("T1", "not_sustained", note="+" + TRICKY)
                  + _raised("T2", "2027-03-25", follows="T1"), as_of=D(2027, 6, 1))
    exported = export_events_csv(first)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["impact_note"], r["note"]) for r in rows if r["alert"] == "T1"][1:] == [
        ("'" + TRICKY, ""), ("", "'+" + TRICKY)]  # inert in a spreadsheet
    second = new_store(tmp_path, "seed-001", "second.db")
    import_events(second, exported, as_of=D(2027, 6, 1))
    for store in (first, second):
        found = impact_of(store.db, alert_by_ref(store.db, "T1").id)
        assert (found["impact_note"], found["follow_up_note"], found["actions"]) == (
            TRICKY, "+" + TRICKY, [{"action": action, "by": "2026-12-23"},
                                   {"action": "-1 @once", "by": "2027-01-10"}])
        assert alert_by_id(store.db, found["linked_alert_id"]).ref == "T2"
    assert export_events_csv(second) == exported


def test_a_map_can_name_the_impact_columns_and_write_dates_its_own_way(tmp_path):
    store = new_store(tmp_path, "seed-001")
    column_map = map_from_text(
        "date_format: DD/MM/YYYY\n"
        "columns: {alert: Ref, child: Case, date: Date, event: Action, level: Stage, "
        "outcome: Result, note: Comments, until: Agreed, impact_note: What changed, "
        "actions: Actions agreed, follows: Follows}\n"
        "values:\n"
        "  event: {Raised: raised, Closed: satisfied, Followed up: impact_followed_up}\n"
        "  outcome: {Some progress: partly, Slipped: not_sustained}\n"
        "defaults: {track: iro}\n")
    text = ("Ref,Case,Date,Action,Stage,Result,Comments,Agreed,What changed,Actions agreed,"
            "Follows\n"
            "M1,SYN-1,14/12/2026,Raised,informal,,Visits missed,28/12/2026,,,\n"
            "M1,SYN-1,16/12/2026,Closed,,Some progress,,,Visits weekly,23/12/2026: Visits,\n"
            "M1,SYN-1,20/03/2027,Followed up,,Slipped,Missed again,,,,\n"
            "M2,SYN-1,21/03/2027,Raised,informal,,Visits missed,04/04/2027,,,M1\n")
    import_events(store, text, column_map=column_map, as_of=D(2027, 6, 1))
    found = impact_of(store.db, alert_by_ref(store.db, "M1").id)
    assert (found["impact_note"], found["actions"], found["sustained"],
            found["follow_up_note"], alert_by_id(store.db, found["linked_alert_id"]).ref) == (
        "Visits weekly", [{"action": "Visits", "by": "2026-12-23"}], "not_sustained",
        "Missed again", "M2")


_WORDS = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(
    [";", ":", "\n", " "]), min_size=1, max_size=40).map(str.strip).filter(bool)


@given(st.lists(st.tuples(_WORDS, st.dates(D(2025, 1, 1), D(2028, 12, 1))), min_size=1,
                max_size=10))
def test_the_actions_cell_reads_back_exactly_what_it_wrote(pairs):
    """Whatever the words (semicolons, colons, line breaks, dates), the cell written is
    read back as the same actions."""
    actions = [{"action": words, "by": by.isoformat()} for words, by in pairs]
    assert parse_actions(actions_text(actions), resolved_on=D(2026, 12, 16)) == (actions, [])
