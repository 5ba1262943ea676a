"""Schema versions, applied once at start-up through sqlite-utils ``Migrations``.

Add a migration by appending a function decorated with ``@MIGRATIONS()``; never edit one
that has shipped. The event log's append-only triggers are reinstated after every run,
because ``table.transform()`` (which migrations may use) silently drops triggers.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from db.connection import write_transaction

MIGRATIONS = Migrations("iro")

LEGAL_STATUSES = ("looked_after", "child_protection")
REVIEW_KINDS = ("lac_review", "cp_conference")
RAG_VALUES = ("red", "amber", "green")
TRACKS = ("iro", "cp")
ALERT_STATUSES = ("open", "resolved", "withdrawn")
OUTBOX_STATUSES = ("pending", "sent", "failed")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _run(db: sqlite_utils.Database, *statements: str) -> None:
    # Statement by statement: executescript() would COMMIT the surrounding transaction.
    for statement in statements:
        db.execute(statement)


@MIGRATIONS()
def m001_initial(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        """CREATE TABLE teams (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            service TEXT
        )""",
        """CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            email TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL,
            team_id INTEGER REFERENCES teams(id),
            line_manager_id INTEGER REFERENCES staff(id),
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
        )""",
        f"""CREATE TABLE children (
            id INTEGER PRIMARY KEY,
            case_ref TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            date_of_birth TEXT,
            legal_status TEXT NOT NULL CHECK (legal_status IN {_in(LEGAL_STATUSES)}),
            team_id INTEGER REFERENCES teams(id),
            social_worker_id INTEGER REFERENCES staff(id),
            reviewer_id INTEGER REFERENCES staff(id)
        )""",
        f"""CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            child_id INTEGER NOT NULL REFERENCES children(id),
            kind TEXT NOT NULL CHECK (kind IN {_in(REVIEW_KINDS)}),
            held_on TEXT NOT NULL,
            reviewer_id INTEGER REFERENCES staff(id),
            rag TEXT CHECK (rag IN {_in(RAG_VALUES)}),
            summary TEXT NOT NULL DEFAULT ''
        )""",
        f"""CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            child_id INTEGER NOT NULL REFERENCES children(id),
            track TEXT NOT NULL CHECK (track IN {_in(TRACKS)}),
            category TEXT,
            concern TEXT NOT NULL DEFAULT '',
            outcome_sought TEXT NOT NULL DEFAULT '',
            raised_on TEXT NOT NULL,
            raised_by INTEGER REFERENCES staff(id),
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN {_in(ALERT_STATUSES)}),
            level TEXT NOT NULL,
            awaiting TEXT,
            due TEXT
        )""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            occurred_on TEXT NOT NULL,
            recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            kind TEXT NOT NULL,
            actor_id INTEGER REFERENCES staff(id),
            actor_role TEXT,
            child_id INTEGER REFERENCES children(id),
            alert_id INTEGER REFERENCES alerts(id),
            review_id INTEGER REFERENCES reviews(id),
            data TEXT NOT NULL DEFAULT '{}',
            reason TEXT NOT NULL DEFAULT '',
            rule TEXT,
            policy_id TEXT,
            policy_version INTEGER,
            dedupe_key TEXT UNIQUE
        )""",
        f"""CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            event_id INTEGER REFERENCES events(id),
            message_id TEXT NOT NULL UNIQUE,
            to_addrs TEXT NOT NULL,
            cc_addrs TEXT NOT NULL DEFAULT '',
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            link TEXT,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN {_in(OUTBOX_STATUSES)}),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            sent_at TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""",
        "CREATE INDEX idx_staff_role ON staff(role)",
        "CREATE INDEX idx_children_team ON children(team_id)",
        "CREATE INDEX idx_reviews_child ON reviews(child_id, held_on)",
        "CREATE INDEX idx_alerts_child ON alerts(child_id)",
        "CREATE INDEX idx_alerts_status ON alerts(status, due)",
        "CREATE INDEX idx_events_alert ON events(alert_id, id)",
        "CREATE INDEX idx_events_child ON events(child_id, occurred_on)",
        "CREATE INDEX idx_outbox_status ON outbox(status, next_attempt_at)",
    )


@MIGRATIONS()
def m002_alert_projection(db: sqlite_utils.Database) -> None:
    """The alert's folded state, and the next day a clock rule could fire for it.

    ``next_check_on`` lets the sweep pick out, through an index, the few alerts that can
    change today instead of evaluating every open alert.
    """
    _run(
        db,
        "ALTER TABLE alerts ADD COLUMN state TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE alerts ADD COLUMN next_check_on TEXT",
        "ALTER TABLE alerts ADD COLUMN formal_due TEXT",
        "ALTER TABLE alerts ADD COLUMN closed_on TEXT",
        "CREATE INDEX idx_alerts_next_check ON alerts(next_check_on) WHERE status = 'open'",
        "CREATE INDEX idx_events_kind ON events(kind, occurred_on)",
    )


@MIGRATIONS()
def m003_sign_in_and_review_form(db: sqlite_utils.Database) -> None:
    """Local accounts, and the post-review monitoring form with its decisions' timescales."""
    _run(
        db,
        "ALTER TABLE staff ADD COLUMN password_hash TEXT",
        "ALTER TABLE reviews ADD COLUMN data TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE reviews ADD COLUMN recorded_on TEXT",
        "ALTER TABLE reviews ADD COLUMN decisions_sent_on TEXT",
        "ALTER TABLE reviews ADD COLUMN reply_due TEXT",
        "ALTER TABLE reviews ADD COLUMN reply_status TEXT",
        "ALTER TABLE reviews ADD COLUMN next_check_on TEXT",
        "CREATE INDEX idx_reviews_next_check ON reviews(next_check_on)",
    )


@MIGRATIONS()
def m004_notifications(db: sqlite_utils.Database) -> None:
    """In-app notifications per person, and leases so mail is never sent twice at once."""
    _run(
        db,
        """CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            event_id INTEGER REFERENCES events(id),
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            copy INTEGER NOT NULL DEFAULT 0 CHECK (copy IN (0, 1)),
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            link TEXT,
            created_on TEXT NOT NULL,
            read_at TEXT
        )""",
        "CREATE INDEX idx_notifications_staff ON notifications(staff_id, read_at)",
        "CREATE UNIQUE INDEX idx_notifications_once ON notifications(event_id, staff_id) "
        "WHERE event_id IS NOT NULL",
        "ALTER TABLE outbox ADD COLUMN claimed_until TEXT",
        "ALTER TABLE outbox ADD COLUMN claimed_by TEXT",
        "ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'notification'",
        "ALTER TABLE outbox ADD COLUMN dedupe_key TEXT",
        "CREATE UNIQUE INDEX idx_outbox_dedupe ON outbox(dedupe_key) WHERE dedupe_key IS NOT NULL",
    )


CHANGE_STATUSES = ("awaiting_decision", "review_required", "review_booked", "no_review",
                   "review_needed")
CONCERN_STATUSES = ("open", "answered", "escalated", "resolved")


@MIGRATIONS()
def m005_changes_practice_and_permanence(db: sqlite_utils.Database) -> None:
    """Significant changes, notes of good practice, concerns about an IRO's own practice,
    and the placement facts the permanence checks read."""
    _run(
        db,
        f"""CREATE TABLE significant_changes (
            id INTEGER PRIMARY KEY,
            child_id INTEGER NOT NULL REFERENCES children(id),
            change_type TEXT NOT NULL,
            happened_on TEXT NOT NULL,
            notified_on TEXT NOT NULL,
            description TEXT NOT NULL,
            notified_by INTEGER REFERENCES staff(id),
            late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
            review_before INTEGER NOT NULL DEFAULT 0 CHECK (review_before IN (0, 1)),
            status TEXT NOT NULL CHECK (status IN {_in(CHANGE_STATUSES)}),
            review_date TEXT,
            decision_reasons TEXT,
            decided_by INTEGER REFERENCES staff(id),
            decided_on TEXT
        )""",
        "CREATE INDEX idx_changes_child ON significant_changes(child_id, notified_on)",
        "CREATE INDEX idx_changes_status ON significant_changes(status)",
        """CREATE TABLE good_practice (
            id INTEGER PRIMARY KEY,
            child_id INTEGER REFERENCES children(id),
            worker_id INTEGER REFERENCES staff(id),
            team_id INTEGER REFERENCES teams(id),
            what TEXT NOT NULL,
            recorded_by INTEGER REFERENCES staff(id),
            recorded_on TEXT NOT NULL
        )""",
        "CREATE INDEX idx_good_practice_team ON good_practice(team_id, recorded_on)",
        f"""CREATE TABLE practice_concerns (
            id INTEGER PRIMARY KEY,
            about_id INTEGER NOT NULL REFERENCES staff(id),
            raised_by INTEGER REFERENCES staff(id),
            raised_on TEXT NOT NULL,
            child_id INTEGER REFERENCES children(id),
            concern TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN {_in(CONCERN_STATUSES)}),
            due TEXT,
            answered_on TEXT,
            answer TEXT,
            escalated_to TEXT,
            next_check_on TEXT
        )""",
        "CREATE INDEX idx_practice_concerns_check ON practice_concerns(status, next_check_on)",
        "ALTER TABLE children ADD COLUMN placed_with_parents_since TEXT",
        "ALTER TABLE children ADD COLUMN permanence_plan TEXT",
        "ALTER TABLE children ADD COLUMN permanence_decision_on TEXT",
        "ALTER TABLE children ADD COLUMN permanence_placed_on TEXT",
    )


@MIGRATIONS()
def m006_dashboard_indexes(db: sqlite_utils.Database) -> None:
    """The dashboard filters alerts by the day raised or closed and reviews by the day held."""
    _run(
        db,
        "CREATE INDEX idx_alerts_raised ON alerts(raised_on)",
        "CREATE INDEX idx_alerts_closed ON alerts(closed_on)",
        "CREATE INDEX idx_reviews_held ON reviews(held_on)",
    )


@MIGRATIONS()
def m007_sessions_and_access_audit(db: sqlite_utils.Database) -> None:
    """Sign-in sessions kept on the server, failed sign-ins for throttling, and the access
    audit: who signed in, failed, was locked out, signed out, and opened which record."""
    _run(
        db,
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            method TEXT NOT NULL CHECK (method IN ('password', 'oidc')),
            client TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            ended_at TEXT,
            end_reason TEXT
        )""",
        "CREATE INDEX idx_sessions_staff ON sessions(staff_id, ended_at)",
        """CREATE TABLE sign_in_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL DEFAULT 0,
            last_failed_at TEXT NOT NULL,
            locked_until TEXT
        )""",
        """CREATE TABLE access_audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            staff_id INTEGER REFERENCES staff(id),
            email TEXT NOT NULL DEFAULT '',
            client TEXT NOT NULL DEFAULT '',
            child_id INTEGER REFERENCES children(id),
            subject TEXT NOT NULL DEFAULT '',
            subject_ref TEXT NOT NULL DEFAULT '',
            allowed INTEGER CHECK (allowed IN (0, 1)),
            detail TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX idx_access_audit_staff ON access_audit(staff_id, at)",
        "CREATE INDEX idx_access_audit_child ON access_audit(child_id, at)",
        "CREATE INDEX idx_access_audit_at ON access_audit(at)",
    )


@MIGRATIONS()
def m009_submissions(db: sqlite_utils.Database) -> None:
    """Each saved form's token on the events it wrote, so a second click saves nothing."""
    _run(
        db,
        "ALTER TABLE events ADD COLUMN submission TEXT",
        "CREATE INDEX idx_events_submission ON events(submission) WHERE submission IS NOT NULL",
    )



@MIGRATIONS()
def m010_policy_versions(db: sqlite_utils.Database) -> None:
    """Every version of the store's policy: the YAML adopted, from when it takes effect, who
    adopted it and why. Append-only: a change is a new version, never an edit.

    ``sha256`` is the digest of ``yaml``, so a process can tell a version it has already
    read from one it has not without reading the text again.
    """
    _run(
        db,
        """CREATE TABLE policy_versions (
            version INTEGER PRIMARY KEY CHECK (version >= 1),
            policy_id TEXT NOT NULL,
            yaml TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            effective_from TEXT NOT NULL,
            adopted_by TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            recorded_on TEXT NOT NULL,
            recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            event_id INTEGER REFERENCES events(id)
        )""",
        "CREATE INDEX idx_policy_versions_effective ON policy_versions(effective_from, version)",
        """CREATE TRIGGER policy_versions_are_append_only_update
           BEFORE UPDATE ON policy_versions
           BEGIN SELECT RAISE(ABORT, 'Policy versions cannot be changed: adopt a new version.');
           END""",
        """CREATE TRIGGER policy_versions_are_append_only_delete
           BEFORE DELETE ON policy_versions
           BEGIN SELECT RAISE(ABORT, 'Policy versions cannot be deleted: adopt a new version.');
           END""",
    )


@MIGRATIONS()
def m011_event_log_hash_chain(db: sqlite_utils.Database) -> None:
    """Each event's SHA-256 over its content and the previous event's hash (``db.integrity``),
    so an edit made by someone who got past the triggers still shows.

    Existing events are sealed in id order: the history before this upgrade is taken as it
    stands. Sealing updates events, so the update trigger is dropped here; ``migrate`` puts
    every guard back straight after, in the same transaction.
    """
    from db.integrity import seal_existing_events  # it reads EVENT_LOG_GUARDS from here

    _run(
        db,
        "ALTER TABLE events ADD COLUMN hash TEXT",
        "ALTER TABLE events ADD COLUMN prev_hash TEXT",
        "DROP TRIGGER IF EXISTS events_are_append_only_update",
    )
    seal_existing_events(db)



@MIGRATIONS()
def m012_rolled_back_imports(db: sqlite_utils.Database) -> None:
    """What a rolled-back import wrote stays in the append-only log but stops counting.

    An import writes in chunks, each its own short transaction, so that nobody else waits
    long; if it then fails, it is rolled back by its import id (``usecases.import_rollback``)
    with an ``import_rolled_back`` event. These two tables are that event's projection:
    the id ranges of the import's chunks, and the alerts it created (so a response or a
    sweep that touched one of them while the import ran goes with it). ``live_events``
    is the log without them: every reader of history reads it, never ``events`` itself
    (only the hash chain, backups and appending do).
    """
    _run(
        db,
        """CREATE TABLE voided_event_ranges (
            import_id TEXT NOT NULL,
            first_id INTEGER NOT NULL,
            last_id INTEGER NOT NULL
        )""",
        """CREATE TABLE voided_alerts (
            alert_id INTEGER PRIMARY KEY,
            import_id TEXT NOT NULL
        )""",
        """CREATE VIEW live_events AS
           SELECT * FROM events
           WHERE NOT EXISTS (SELECT 1 FROM voided_event_ranges v
                             WHERE events.id BETWEEN v.first_id AND v.last_id)
             AND NOT EXISTS (SELECT 1 FROM voided_alerts a WHERE a.alert_id = events.alert_id)""",
    )


@MIGRATIONS()
def m013_dashboard_facts_and_indexes(db: sqlite_utils.Database) -> None:
    """What keeps the dashboard exact and quick on ten years of records (issue 15).

    The levels each alert reached and every response, as narrow tables kept up to date as
    events are written (``db.alert_facts``; filled here from the log), and indexes the
    figures search by: reviews by date carrying all a figure reads of them (no lookup of
    each review row), alerts by formal due date, rolled-back ranges by their start.
    """
    from db.alert_facts import CREATE, refill

    _run(
        db,
        *CREATE,
        "CREATE INDEX idx_reviews_held_figures ON reviews(held_on, child_id, kind, rag, id)",
        "CREATE INDEX idx_alerts_formal_due ON alerts(formal_due)",
        "CREATE INDEX idx_voided_event_ranges ON voided_event_ranges(first_id, last_id)",
    )
    refill(db)


@MIGRATIONS()
def m014_unread_notifications_index(db: sqlite_utils.Database) -> None:
    """The unread notifications, few next to years of read ones: the inbox starts there."""
    _run(db, "CREATE INDEX idx_notifications_unread ON notifications(staff_id, event_id) "
             "WHERE read_at IS NULL")

@MIGRATIONS()
def m015_alert_impacts(db: sqlite_utils.Database) -> None:
    """What each resolved alert changed for the child, and whether it lasted (issue 16):
    ``db.alert_impacts``, filled from the log (alerts resolved before hold no impact)."""
    from db.alert_impacts import CREATE, refill

    _run(db, *CREATE)
    refill(db)


@MIGRATIONS()
def m016_reviews_awaiting_reply_index(db: sqlite_utils.Database) -> None:
    """The reviews whose decisions wait for a manager's reply, few next to ten years of
    reviews: the inbox starts there, not with a scan of every review (issue 15)."""
    _run(db, "CREATE INDEX idx_reviews_awaiting_reply ON reviews(reply_due, id) "
             "WHERE reply_status IN ('awaiting', 'overdue')")


EVENT_LOG_GUARDS = (
    """CREATE TRIGGER IF NOT EXISTS events_are_append_only_update
       BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'The event log is append-only: events cannot be changed.'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_are_append_only_delete
       BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'The event log is append-only: events cannot be deleted.'); END""",
    # INSERT OR REPLACE deletes the row it collides with without firing DELETE triggers
    # (unless recursive_triggers is on): refusing the colliding insert stops it.
    """CREATE TRIGGER IF NOT EXISTS events_are_append_only_insert_id
       BEFORE INSERT ON events
       WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM events WHERE id = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'The event log is append-only: an event''s id cannot be reused.');
       END""",
    """CREATE TRIGGER IF NOT EXISTS events_are_append_only_insert_key
       BEFORE INSERT ON events
       WHEN NEW.dedupe_key IS NOT NULL
            AND EXISTS (SELECT 1 FROM events WHERE dedupe_key = NEW.dedupe_key)
       BEGIN SELECT RAISE(ABORT, 'The event log is append-only: this event is already logged.');
       END""",
)

#: The access audit is append-only too; it exists only from migration m007 on.
ACCESS_AUDIT_GUARDS = (
    """CREATE TRIGGER IF NOT EXISTS access_audit_is_append_only_update
       BEFORE UPDATE ON access_audit
       BEGIN SELECT RAISE(ABORT, 'The access audit is append-only: entries cannot be changed.');
       END""",
    """CREATE TRIGGER IF NOT EXISTS access_audit_is_append_only_delete
       BEFORE DELETE ON access_audit
       BEGIN SELECT RAISE(ABORT, 'The access audit is append-only: entries cannot be deleted.');
       END""",
)


def ensure_event_log_guards(db: sqlite_utils.Database) -> None:
    _run(db, *EVENT_LOG_GUARDS)


def migrate(db: sqlite_utils.Database, migrations: Migrations = MIGRATIONS) -> list[str]:
    """Apply pending migrations and reinstate the guards, all in one immediate transaction.

    Two processes starting at once serialise on the write lock: the second finds nothing
    pending. Returns the names of the migrations it applied.

    The event log's guard is checked afterwards (``db.integrity``), and refused whole
    rather than used half. With nothing to apply it is checked *before* being reinstated
    too: no migration dropped a trigger then, so a missing one was removed on purpose, and
    quietly putting it back would hide that.
    """
    from db.integrity import require_event_log_guard  # it reads EVENT_LOG_GUARDS from here

    with write_transaction(db):
        pending = [m.name for m in migrations.pending(db)]
        if not pending and db["events"].exists():
            require_event_log_guard(db)
        migrations.apply(db)
        if db["events"].exists():
            ensure_event_log_guards(db)
        if db["access_audit"].exists():
            _run(db, *ACCESS_AUDIT_GUARDS)
        require_event_log_guard(db)
    return pending
