"""Writing and reading the access audit: who signed in, and who opened which record.

Every opening of a child's record, an alert or a review is written here by the access
module (``usecases.access``) when it lets a page show it, and every refusal too. Sign-in
attempts, lock-outs and sign-outs are written by ``usecases.sessions``. The time of each
entry is passed in (``now``): nothing below the pages reads the clock.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from db.audit import append_audit, audit_rows, recent_opening
from db.connection import write_transaction
from usecases.errors import UserError
from usecases.report_files import neutralise
from usecases.store import Store

#: What each kind of entry means, in the words the audit page and CSV use.
AUDIT_WORDS = {
    "signed_in": "Signed in",
    "sign_in_failed": "Sign-in failed",
    "locked": "Sign-in locked",
    "sign_in_refused": "Sign-in refused",
    "signed_out": "Signed out",
    "session_expired": "Session ended (idle)",
    "opened": "Opened a record",
    "refused": "Refused a record",
}
#: Who may read the access audit in the app: the deputy head of service and above, and the
#: administrator who runs the service (the command line ``manage.py audit`` is theirs too).
AUDIT_READERS = frozenset({
    "deputy_head_of_service", "head_of_service", "qa_head_of_service", "service_director",
    "divisional_director", "assistant_director", "director", "executive_director",
    "deputy_chief_executive", "chief_executive", "admin",
})
CSV_COLUMNS = ("at", "event", "email", "name", "role", "client", "child", "subject",
               "subject_ref", "allowed", "detail")


def stamp(now: dt.datetime) -> str:
    """UTC ISO text to the second: what the audit stores and sorts on."""
    if now.tzinfo is not None:
        now = now.astimezone(dt.UTC).replace(tzinfo=None)
    return now.isoformat(timespec="seconds") + "Z"


#: A page shown again within this time (Streamlit reruns a page at every click on it) is
#: the same opening, not a new one.
SAME_OPENING = dt.timedelta(minutes=5)


def record(store: Store, *, now: dt.datetime, kind: str, **fields) -> int | None:
    """Append one audit entry in a transaction of its own (or the caller's, if open).

    An "opened" entry for the record the same person opened within ``SAME_OPENING`` is not
    written again (returns None): the audit lists openings, not every rerun of a page.
    """
    if kind == "opened" and fields.get("staff_id") is not None and recent_opening(
            store.db, staff_id=fields["staff_id"], subject=fields.get("subject", ""),
            subject_ref=fields.get("subject_ref", ""), since=stamp(now - SAME_OPENING)):
        return None
    if store.db.conn.in_transaction:
        return append_audit(store.db, at=stamp(now), kind=kind, **fields)
    with write_transaction(store.db):
        return append_audit(store.db, at=stamp(now), kind=kind, **fields)


def audit_entries(store: Store, *, email: str | None = None, child_ref: str | None = None,
                  since: dt.date | None = None, limit: int | None = None) -> list[dict]:
    return [
        {**row, "event": AUDIT_WORDS.get(row["kind"], row["kind"])}
        for row in audit_rows(store.db, email=email, child_ref=child_ref,
                              since=since.isoformat() if since else None, limit=limit)
    ]


def audit_for_reader(store: Store, user, *, now: dt.datetime, child_ref: str = "",
                     email: str = "", since: dt.date | None = None) -> list[dict]:
    """The audit as a reader in the app asks for it; reading it is itself audited."""
    if user.role not in AUDIT_READERS:
        raise UserError("Only the deputy head of service and above, and the administrator, "
                        "can read the access audit.")
    child_ref, email = child_ref.strip(), email.strip()
    child = None
    if child_ref:
        child = store.db.execute("SELECT id FROM children WHERE case_ref = ?",
                                 [child_ref]).fetchone()
        if child is None:
            raise UserError(f"There is no child with case reference {child_ref}.")
    record(store, now=now, kind="opened", staff_id=user.staff_id,
           child_id=child[0] if child else None, subject="audit",
           subject_ref=child_ref or email, allowed=True,
           detail="Read the access audit" + (f" for {child_ref}" if child_ref else "")
           + (f" for {email}" if email else "") + ".")
    return audit_entries(store, email=email or None, child_ref=child_ref or None, since=since)


def audit_csv(entries: list[dict]) -> str:
    """The entries as CSV; text a spreadsheet would run as a formula is made inert."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        allowed = "" if e["allowed"] is None else ("yes" if e["allowed"] else "no")
        writer.writerow([neutralise(str(v)) for v in (
            e["at"], e["event"], e["email"] or "", e["staff_name"] or "", e["staff_role"] or "",
            e["client"], e["child"] or "", e["subject"], e["subject_ref"], allowed,
            e["detail"])])
    return out.getvalue()
