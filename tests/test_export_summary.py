"""``manage.py export-summary`` (issue 16): a year's alerts as anonymised counts.

The store is ``tests/test_impact_figures.py``'s (A10, A1-A8, all raised in the financial
year 2026-27) and five more alerts, E1-E5, for a planted child in a planted team: each
raised at Level 1 (Service Manager) in December 2026, answered on time, resolved as
improved, and followed up as sustained on 15 Mar 2027. Counted on 31 Mar 2027, by hand:

    all (and iro)   raised 14 (A10 A1-A8 E1-E5); resolved 13 (all but A8); withdrawn 0;
                    open 1 (A8); improved 9 (A10 A1 A2 A6 E1-E5); partly 2 (A3 A5);
                    not improved 1 (A4); not recorded 1 (A7); sustained 7 (A1 A5 E1-E5);
                    not sustained 1 (A2); not yet 3 (A10 A3 A6); responses 8 (A4 A5 A6
                    E1-E5), all on time
    Care Planning   raised 11 (A10 A1 A2 A5 A6 A8 E1-E5); resolved 10; improved 9; partly 1;
                    sustained 7 (A1 A5 E1-E5); not sustained 1; not yet 2 (A10 A6);
                    responses 7 (A5 A6 E1-E5), on time 7
    Level 1         raised 7 (A4 A5 E1-E5); resolved 7; improved 5; sustained 6 (A5 E1-E5)
    never formal    raised 6 (A10 A1 A2 A3 A7 A8); resolved 5
    within limit    raised 8 (A4 A5 A6 E1-E5)
    improved        raised 9; sustained 6 (A1 E1-E5); not sustained 1; not yet 2; responses 6

Everything else is under 5 (0 included) and written ``<5``.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pytest

import manage
from db.connection import write_transaction
from db.people import insert_child, insert_team
from tests.support import D, act, new_store, raise_at
from tests.test_impact_figures import NOW, build
from usecases.alert_forms import act_from_form
from usecases.export_summary import COLUMNS, COUNTS, summary_csv
from usecases.impact import record_follow_up, sweep_follow_ups

COUNTED_ON = D(2027, 3, 31)
#: What must never reach the file: a child, people, a team, and everything typed.
PLANTED = {
    "child_ref": "ZQX-CHILD-9917", "child_name": "Zebedee Quartermaine",
    "team": "Wolfsbane Team", "staff": "Test Reviewer", "staff_email": "iro@example.invalid",
    "concern": "PLANTED-CONCERN-TEXT", "outcome": "PLANTED-OUTCOME-SOUGHT",
    "response": "PLANTED-RESPONSE-NOTE", "impact_note": "PLANTED-IMPACT-NOTE",
    "action": "PLANTED-ACTION-WORDS", "follow_up": "PLANTED-FOLLOW-UP-NOTE",
    "alert_ref": "E-PLANTED-1",
}


def _extended(tmp_path):
    store, iro = build(tmp_path)
    with write_transaction(store.db):
        team = insert_team(store.db, PLANTED["team"])
        insert_child(store.db, case_ref=PLANTED["child_ref"], name=PLANTED["child_name"],
                     date_of_birth=None, legal_status="looked_after", team_id=team,
                     social_worker_id=None, reviewer_id=iro.staff_id)
    refs = [PLANTED["alert_ref"], "E2", "E3", "E4", "E5"]
    for n, ref in enumerate(refs):
        raised = D(2026, 12, 1) + dt.timedelta(days=n)  # Tue 1 - Sat 5 Dec
        raise_at(store, raised, "service_manager", ref=ref, child=PLANTED["child_ref"],
                 gate="HoS agreed", concern=PLANTED["concern"],
                 outcome_sought=PLANTED["outcome"])
        act(store, "responded", D(2026, 12, 7), ref=ref, actor_role="service_manager",
            outcome="agree", note=PLANTED["response"])  # due 8 Dec at the earliest: on time
        act_from_form(store, ref, "satisfied", user=iro, on=D(2026, 12, 8), now=NOW,
                      confirmed=True, impact="improved", impact_note=PLANTED["impact_note"],
                      actions=[(PLANTED["action"], D(2026, 12, 15))])
    assert {w["alert"] for w in sweep_follow_ups(store, D(2027, 3, 10))} == set(refs)
    for ref in refs:
        record_follow_up(store, iro, ref, "sustained", PLANTED["follow_up"],
                         on=D(2027, 3, 15), now=NOW)
    return store


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    return _extended(tmp_path_factory.mktemp("export-summary"))


def _rows(text: str) -> dict[tuple[str, str, str], dict[str, str]]:
    return {(r["dimension"], r["track"], r["value"]): r
            for r in csv.DictReader(io.StringIO(text))}


def _counts(row: dict[str, str]) -> dict[str, str]:
    return {k: row[k] for k in COUNTS}


def _row(**shown: str) -> dict[str, str]:
    """A row's counts: the ones given, and <5 for every other."""
    return {k: shown.get(k, "<5") for k in COUNTS}


def test_the_counts_by_hand_with_small_ones_suppressed(extended):
    rows = _rows(summary_csv(extended, 2026, COUNTED_ON))
    everything = _row(alerts_raised="14", resolved="13", improved="9", sustained="7",
                      responses="8", responses_on_time="8")
    assert _counts(rows[("all", "all", "all")]) == everything
    assert _counts(rows[("all", "iro", "all")]) == everything  # only the one track used
    assert _counts(rows[("all", "cp", "all")]) == _row()  # nothing: 0 is written <5 too
    assert _counts(rows[("theme", "all", "Care Planning")]) == _row(
        alerts_raised="11", resolved="10", improved="9", sustained="7", responses="7",
        responses_on_time="7")
    assert _counts(rows[("theme", "all", "Practice")]) == _row()  # A3 A4 A7: 3
    assert _counts(rows[("level_reached", "iro", "service_manager")]) == _row(
        alerts_raised="7", resolved="7", improved="5", sustained="6", responses="7",
        responses_on_time="7")
    assert _counts(rows[("level_reached", "iro", "informal")]) == _row(
        alerts_raised="6", resolved="5")
    assert _counts(rows[("timeliness", "all", "never_formal")]) == _row(
        alerts_raised="6", resolved="5")
    assert _counts(rows[("timeliness", "all", "formal_within_limit")]) == _row(
        alerts_raised="8", resolved="8", improved="6", sustained="6", responses="8",
        responses_on_time="8")
    assert _counts(rows[("impact", "all", "improved")]) == _row(
        alerts_raised="9", resolved="9", improved="9", sustained="6", responses="6",
        responses_on_time="6")
    every_count = [v for r in rows.values() for v in _counts(r).values()]
    assert all(v == "<5" or int(v) >= 5 for v in every_count)
    assert not {"0", "1", "2", "3", "4"} & set(every_count)


def test_the_rows_come_in_a_fixed_documented_order(extended):
    rows = list(csv.DictReader(io.StringIO(summary_csv(extended, 2026, COUNTED_ON))))
    keys = [(r["dimension"], r["track"], r["value"]) for r in rows]
    dimensions = [d for d, _, _ in keys]
    assert dimensions == sorted(dimensions, key=["all", "theme", "level_reached",
                                                 "timeliness", "impact"].index)
    assert keys[:3] == [("all", "all", "all"), ("all", "iro", "all"), ("all", "cp", "all")]
    assert [v for d, _, v in keys if d == "theme"] == list(extended.policy.themes)
    iro = [v for d, t, v in keys if d == "level_reached" and t == "iro"]
    assert iro == ["informal", *(lv.role for lv in extended.policy.track("iro").levels)]
    assert [v for d, _, v in keys if d == "timeliness"] == [
        "never_formal", "formal_within_limit", "formal_over_limit", "formal_still_open"]
    assert [v for d, _, v in keys if d == "impact"] == [
        "improved", "partly", "not_improved", "not_recorded"]
    first = rows[0]
    assert (first["format"], first["policy"], first["period_start"], first["period_end"],
            first["counted_on"]) == ("iro-alerts-summary/1", "seed-001", "2026-04-01",
                                     "2027-03-31", "2027-03-31")


def test_nothing_about_a_child_a_person_or_what_was_typed_is_in_it(extended):
    text = summary_csv(extended, 2026, COUNTED_ON)
    for what, planted in PLANTED.items():
        assert planted.lower() not in text.lower(), what
    for team in ("North", "South"):
        assert team not in text
    for ref in ("N-0", "S-1", "A10"):
        assert ref not in text


def test_the_same_store_gives_the_same_bytes(extended, tmp_path, capsys):
    path = str(extended.path)
    assert summary_csv(extended, 2026, COUNTED_ON) == summary_csv(extended, 2026, COUNTED_ON)
    files = []
    for n in range(2):
        out = tmp_path / f"summary-{n}.csv"
        code = manage.main(["export-summary", "--db", path, "--year", "2026", "--as-of",
                            "2027-03-31", "--out", str(out)])
        assert code == 0
        files.append(out.read_bytes())
    assert files[0] == files[1]
    assert files[0] == summary_csv(extended, 2026, COUNTED_ON).encode("utf-8")
    assert files[0].startswith(b"format,authority,")  # no byte-order mark
    assert "Wrote the summary of alerts raised from 1 Apr 2026 to 31 Mar 2027" in \
        capsys.readouterr().out


def test_two_authorities_files_make_one_table(extended, tmp_path, capsys):
    other = new_store(tmp_path, "seed-003", "other.db")  # Northamptonshire: other ladders
    raise_at(other, D(2026, 6, 1), ref="B1", child="B-1")
    act(other, "satisfied", D(2026, 6, 3), ref="B1", actor_role="iro")
    texts = []
    for store in (extended, other):
        assert manage.main(["export-summary", "--db", str(store.path), "--year", "2026",
                            "--as-of", "2027-03-31"]) == 0
        texts.append(capsys.readouterr().out)
    first, second = texts[0].splitlines(), texts[1].splitlines()
    assert first[0] == second[0] == ",".join(COLUMNS)
    together = list(csv.DictReader(io.StringIO("\n".join(first + second[1:]))))
    assert len(together) == len(first) - 1 + len(second) - 1
    assert all(list(r) == list(COLUMNS) and None not in r.values() for r in together)
    assert {r["policy"] for r in together} == {"seed-001", "seed-003"}
    assert {r["authority"] for r in together if r["policy"] == "seed-003"} == {
        "Northamptonshire County Council"}
    # the words line up: levels by role, themes by name, the same dimensions
    assert {r["dimension"] for r in together if r["policy"] == "seed-003"} == {
        "all", "theme", "level_reached", "timeliness", "impact"}


def test_text_a_spreadsheet_would_run_is_made_inert(extended):
    tricky = dataclasses.replace(extended, policy=dataclasses.replace(
        extended.policy, authority="=HYPERLINK(\"http://example.invalid\")"))
    rows = list(csv.reader(io.StringIO(summary_csv(tricky, 2026, COUNTED_ON))))
    assert {r[1] for r in rows[1:]} == {"'=HYPERLINK(\"http://example.invalid\")"}


@pytest.mark.parametrize(("argv", "message"), [
    (["--year", "20x6"], "--year '20x6' is not a year"),
    (["--year", "1850"], "--year 1850 is outside"),
    (["--year", "2027", "--as-of", "2027-03-01"], "The year 2027-28 begins on 1 Apr 2027"),
    (["--year", "2026", "--as-of", "31/03/2027"], "--as-of '31/03/2027' is not a date"),
])
def test_a_bad_year_or_date_is_refused_plainly(extended, capsys, argv, message):
    code = manage.main(["export-summary", "--db", str(extended.path), *argv])
    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    assert err.startswith("Error: ") and message in err
    assert "Traceback" not in err


def test_a_missing_store_is_refused_plainly(tmp_path, capsys):
    missing = tmp_path / "nowhere.db"
    code = manage.main(["export-summary", "--db", str(missing), "--year", "2026"])
    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    assert err == (f"Error: There is no store at {missing}. Create one with "
                   f"'python manage.py init --db {missing} --policy seed-001'.\n")
    assert not missing.exists()


def test_an_unwritable_out_file_is_refused_plainly(extended, tmp_path, capsys):
    code = manage.main(["export-summary", "--db", str(extended.path), "--year", "2026",
                        "--as-of", "2027-03-31", "--out", str(tmp_path / "no" / "x.csv")])
    _, err = capsys.readouterr()
    assert code != 0 and err.startswith("Error: Could not write ")
    assert "Traceback" not in err
