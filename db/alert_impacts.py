"""The impact of each resolved alert, as a projection of the log (issue 16).

One row per resolved alert: the difference the reviewer recorded for the child (``impact``,
``impact_note``, the ``actions`` agreed with their dates), when the follow-up is due, when
the sweep asked for it, whether the change lasted, and the new alert raised when it did
not. Why a table of its own and not the alert's state: impact is about the child after the
alert closed, and the alert's state folds only what moves the ladder; keeping them apart
means adding impact needs no alert refolded.

Every value comes from an event: ``satisfied`` (its data carries ``impact``,
``impact_note``, ``actions``, ``follow_up_on``), ``impact_follow_up_due`` (the sweep's
prompt), ``impact_followed_up`` (``sustained``, ``note``) and a ``raised`` event naming
``follows_alert_id``. :func:`project` is called by ``db.events`` for each event as it is
appended, in the same transaction; :func:`refill` writes the rows again from
``live_events``; :func:`differences` says how the table differs from the log (``verify``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

KINDS = ("satisfied", "impact_follow_up_due", "impact_followed_up")

CREATE = (
    """CREATE TABLE IF NOT EXISTS alert_impacts (
        alert_id INTEGER PRIMARY KEY,
        child_id INTEGER NOT NULL,
        resolved_on TEXT NOT NULL,
        impact TEXT NOT NULL DEFAULT '',
        impact_note TEXT NOT NULL DEFAULT '',
        actions TEXT NOT NULL DEFAULT '[]',
        follow_up_on TEXT,
        prompted_on TEXT,
        sustained TEXT NOT NULL DEFAULT '',
        followed_up_on TEXT,
        follow_up_note TEXT NOT NULL DEFAULT '',
        linked_alert_id INTEGER
    )""",
    "CREATE INDEX IF NOT EXISTS idx_alert_impacts_resolved ON alert_impacts(resolved_on)",
    "CREATE INDEX IF NOT EXISTS idx_alert_impacts_follow_up ON alert_impacts(follow_up_on) "
    "WHERE sustained = '' AND follow_up_on IS NOT NULL",
)

COLUMNS = ("alert_id", "child_id", "resolved_on", "impact", "impact_note", "actions",
           "follow_up_on", "prompted_on", "sustained", "followed_up_on", "follow_up_note",
           "linked_alert_id")

Fact = tuple[str, int | None, int | None, str, dict[str, Any]]  # kind, alert, child, on, data


def _data(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def project(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    """Apply one just-appended event (nothing for kinds the table does not keep)."""
    kind = row["kind"]
    if kind not in KINDS and kind != "raised":
        return
    data = _data(row["data"])
    if kind == "raised" and not data.get("follows_alert_id"):
        return
    _apply(db, [(kind, row["alert_id"], row["child_id"], row["occurred_on"], data)])


def _apply(db: sqlite_utils.Database, facts: Iterable[Fact],
           table: str = "alert_impacts") -> None:
    """Fold events into ``table`` (the stored table, or ``differences``' scratch copy)."""
    for kind, alert_id, child_id, on, data in facts:
        on = on.isoformat() if isinstance(on, dt.date) else on
        if kind == "raised":
            db.execute(f"UPDATE {table} SET linked_alert_id = ? WHERE alert_id = ?",
                       [alert_id, int(data["follows_alert_id"])])
        elif alert_id is None:
            continue
        elif kind == "satisfied":
            db.execute(
                f"INSERT OR REPLACE INTO {table} (alert_id, child_id, resolved_on, impact, "
                "impact_note, actions, follow_up_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [alert_id, child_id, on, data.get("impact") or "",
                 data.get("impact_note") or "", json.dumps(data.get("actions") or []),
                 data.get("follow_up_on") or None])
        elif kind == "impact_follow_up_due":
            db.execute(f"UPDATE {table} SET prompted_on = ? WHERE alert_id = ?",
                       [on, alert_id])
        elif kind == "impact_followed_up":
            db.execute(f"UPDATE {table} SET sustained = ?, followed_up_on = ?, "
                       "follow_up_note = ? WHERE alert_id = ?",
                       [data.get("sustained") or "", on, data.get("note") or "", alert_id])


_FROM_LOG = """SELECT kind, alert_id, child_id, occurred_on, data FROM live_events
               WHERE {where} ORDER BY id"""


def refill(db: sqlite_utils.Database, alert_ids: list[int] | None = None) -> None:
    """Write the rows again from ``live_events``: every alert's, or just ``alert_ids``'.
    Call inside a write transaction."""
    if alert_ids is None:
        db.execute("DELETE FROM alert_impacts")
        rows = db.execute(_FROM_LOG.format(
            where="(kind IN ('satisfied', 'impact_follow_up_due', 'impact_followed_up') "
                  "AND alert_id IS NOT NULL) OR (kind = 'raised' AND "
                  "json_extract(data, '$.follows_alert_id') IS NOT NULL)"))
        _apply(db, ((r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows))
        return
    for alert_id in alert_ids:
        db.execute("DELETE FROM alert_impacts WHERE alert_id = ?", [alert_id])
        rows = db.execute(_FROM_LOG.format(
            where="(alert_id = ? AND kind IN ('satisfied', 'impact_follow_up_due', "
                  "'impact_followed_up')) OR (kind = 'raised' AND "
                  "json_extract(data, '$.follows_alert_id') = ?)"),
            [alert_id, alert_id]).fetchall()
        _apply(db, ((r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows))


def differences(db: sqlite_utils.Database) -> list[str]:
    """How the table differs from what ``live_events`` says, in words (for ``verify``).
    Compares against a fresh fold in a temporary table, so nothing stored is touched."""
    db.execute("DROP TABLE IF EXISTS temp.impacts_from_log")
    db.execute(CREATE[0].replace("CREATE TABLE IF NOT EXISTS alert_impacts",
                                 "CREATE TEMP TABLE impacts_from_log"))  # with its defaults
    rows = db.execute(_FROM_LOG.format(
        where="(kind IN ('satisfied', 'impact_follow_up_due', 'impact_followed_up') "
              "AND alert_id IS NOT NULL) OR (kind = 'raised' AND "
              "json_extract(data, '$.follows_alert_id') IS NOT NULL)")).fetchall()
    _apply(db, ((r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows),
           table="temp.impacts_from_log")
    cols = ", ".join(COLUMNS)
    found = []
    for label, left, right in (("is missing or differs", "temp.impacts_from_log",
                                "main.alert_impacts"),
                               ("should not be there", "main.alert_impacts",
                                "temp.impacts_from_log")):
        for (alert_id,) in db.execute(
                f"SELECT alert_id FROM (SELECT {cols} FROM {left} EXCEPT "
                f"SELECT {cols} FROM {right}) LIMIT 20"):
            found.append(f"Impact: the row of alert id {alert_id} {label}.")
    db.execute("DROP TABLE temp.impacts_from_log")
    return found


# -- reading ----------------------------------------------------------------------------------


def impact_of(db: sqlite_utils.Database, alert_id: int) -> dict[str, Any] | None:
    """The alert's impact row (``actions`` as a list), or None when it was never resolved."""
    rows = list(db.query("SELECT * FROM alert_impacts WHERE alert_id = ?", [alert_id]))
    if not rows:
        return None
    row = dict(rows[0])
    row["actions"] = json.loads(row["actions"] or "[]")
    return row


def follow_ups_due(db: sqlite_utils.Database, as_of: dt.date,
                   alert_id: int | None = None) -> list[dict[str, Any]]:
    """Follow-ups not yet asked for whose day has come (of every alert, or of one): the
    follow-up date has passed, or the child has had a review since the alert was resolved
    (``review_on``, the first such review)."""
    day = as_of.isoformat()
    one = "" if alert_id is None else " AND i.alert_id = ?"
    return [dict(r) for r in db.query(
        """SELECT i.alert_id, i.child_id, i.resolved_on, i.follow_up_on,
                  (SELECT min(r.held_on) FROM reviews r
                   WHERE r.child_id = i.child_id AND r.held_on > i.resolved_on
                     AND r.held_on <= ?) AS review_on
           FROM alert_impacts i
           WHERE i.sustained = '' AND i.follow_up_on IS NOT NULL AND i.prompted_on IS NULL
           """ + one + " ORDER BY i.alert_id", [day] + ([] if alert_id is None else [alert_id]))
        if r["follow_up_on"] <= day or r["review_on"] is not None]
