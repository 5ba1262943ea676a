"""In-app notifications: one row per person told, read or not."""

from __future__ import annotations

import sqlite_utils


def insert_notification(
    db: sqlite_utils.Database,
    *,
    event_id: int | None,
    staff_id: int,
    copy: bool,
    subject: str,
    body: str,
    link: str | None,
    created_on: str,
) -> None:
    db.execute(
        """INSERT INTO notifications (event_id, staff_id, copy, subject, body, link, created_on)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (event_id, staff_id) WHERE event_id IS NOT NULL DO NOTHING""",
        [event_id, staff_id, 1 if copy else 0, subject, body, link, created_on],
    )


def notifications_for(db: sqlite_utils.Database, staff_id: int, limit: int = 200) -> list[dict]:
    return list(db.query(
        """SELECT n.*, e.kind AS event_kind, e.alert_id, e.review_id
           FROM notifications n LEFT JOIN events e ON e.id = n.event_id
           WHERE n.staff_id = ? ORDER BY n.created_on DESC, n.id DESC LIMIT ?""",
        [staff_id, limit]))


def unread_count(db: sqlite_utils.Database, staff_id: int) -> int:
    return db.execute("SELECT count(*) FROM notifications WHERE staff_id = ? AND read_at IS NULL",
                      [staff_id]).fetchone()[0]


def mark_read(db: sqlite_utils.Database, staff_id: int, ids: list[int] | None, at: str) -> int:
    """Mark some (or, with ``ids`` None, all) of a person's notifications read."""
    sql = "UPDATE notifications SET read_at = ? WHERE staff_id = ? AND read_at IS NULL"
    params: list = [at, staff_id]
    if ids is not None:
        if not ids:
            return 0
        sql += f" AND id IN ({', '.join('?' for _ in ids)})"
        params += ids
    return db.execute(sql, params).rowcount
