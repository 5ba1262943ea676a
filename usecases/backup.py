"""Backing up a store while people work, and restoring one, through SQLite's backup API.

One SQLite file holds an authority's whole record, so a backup has to be a consistent copy
taken without stopping the app, and a restore has to be sure that what it puts back is a
sound store of this application before it touches the live one.

Why the backup API and not ``cp``: copying the file while the app writes can catch half a
transaction, and misses whatever still sits in the ``-wal`` file. The backup API copies the
database as SQLite sees it, WAL included.

Why pages and a held read transaction: the copy is made a few pages at a time, so a large
store never holds a lock for long. On its own, a paged copy starts again whenever another
connection writes, and with people working it might never finish. So when the store is in
WAL mode (every store this app creates is: ``db.connection.open_db``) the copy first opens a
read transaction on the source and keeps it for the whole copy. In WAL mode a reader never
blocks a writer, so people carry on saving, and the copy is exactly the store as it stood
when the copy began: every event committed before then is in it, nothing after.

Why a hidden file beside the target and a rename: a backup's name only ever appears once the
copy has been checked, so a copy cut short (full disk, Ctrl-C) is never mistaken for a good
one. The hidden file is created readable by its owner only (0600) from the start, as the
store itself is (``usecases.store._create_private_file``), so the records are never readable
by others, not even for a moment.

Time is passed in (``now`` names the copy of a store that a restore replaces); nothing here
reads the clock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from db.connection import BUSY_TIMEOUT_MS
from db.schema import MIGRATIONS
from rules.policy import PolicyInvalid
from usecases.errors import UserError

#: Pages copied in one step of the backup API (4 MiB at the 4 KiB pages SQLite uses).
PAGES_PER_STEP = 1024
#: Seconds to pause between steps, so a long copy leaves the disk to the app now and then.
PAUSE_BETWEEN_STEPS = 0.005
#: The first 16 bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"
#: Files SQLite keeps beside a database. A leftover ``-wal`` or ``-journal`` would be
#: replayed onto whatever file later takes the database's name, so none may be left behind.
COMPANIONS = ("-wal", "-shm", "-journal")
#: How many of integrity_check's findings a message repeats.
PROBLEMS_SHOWN = 5


class BackupFailed(UserError):
    """The copy or the file it came from is not sound: nothing was put in place."""


@dataclass(frozen=True)
class CopyChecked:
    """What a checked copy holds: what the administrator is told, and what the tests compare."""

    path: Path
    size: int
    events: int
    alerts: int
    children: int
    policy_id: str
    checks: tuple[str, ...] = field(default=())
    #: What the store's own check (``usecases.integrity``) found: problems of the store the
    #: copy was taken from, faithfully copied, not damage done by copying.
    problems: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """One line for the command line: counts first, as an administrator checks them."""
        return (f"{self.events:,} events, {self.alerts:,} alerts, {self.children:,} children "
                f"({size_text(self.size)}); policy {self.policy_id}")


@dataclass(frozen=True)
class Restored:
    """A finished restore: the store now in place and, if one was replaced, where it is kept."""

    store: CopyChecked
    kept: Path | None
    kept_by: str = ""


def size_text(size: int) -> str:
    """A file size as people say it (1 MB = 1,048,576 bytes, as file managers show)."""
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


# -- backup ------------------------------------------------------------------------------------


def backup_store(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    force: bool = False,
    as_of: dt.date | None = None,
    pages_per_step: int = PAGES_PER_STEP,
    on_step: Callable[[int, int], None] | None = None,
) -> CopyChecked:
    """Copy the store at ``source`` to ``target`` while it is in use, check the copy, and
    only then give it the name ``target``.

    Refuses an existing ``target`` unless ``force``. The copy is checked with SQLite's
    ``integrity_check``, must open as a store of this application, and must hold as many
    events as the store held when the copy began; otherwise it is not kept. It is then
    checked by ``usecases.integrity`` when that module is installed: what that finds is
    returned in ``problems`` and the copy is kept all the same, because it is faithful to
    the store as it is, and a copy of a store with a problem is better than no copy at all.
    ``on_step(remaining, total)`` is told of each step of the copy.

    Raises :class:`UserError` when asked for something that cannot be done, and
    :class:`BackupFailed` when the store or its copy is not sound; either way ``target`` is
    left as it was.
    """
    source, target = Path(source), Path(target)
    _require_database_file(source, "store")
    _refuse_same_file(source, target)
    _refuse_existing(target, force)
    _refuse_companions(target)
    with _hidden_copy_beside(target) as partial:
        events_when_copied = _copy_database(source, partial, pages_per_step, on_step)
        checked = check_copy(partial, label=target, as_of=as_of)
        if events_when_copied is not None and checked.events != events_when_copied:
            raise BackupFailed(
                f"The copy holds {checked.events:,} events but the store held "
                f"{events_when_copied:,} when the copy began; {target} was not written.")
        _put_in_place(partial, target, force=force)
    return _renamed(checked, target)


# -- restore -----------------------------------------------------------------------------------


def restore_store(
    backup: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    now: dt.datetime,
    force: bool = False,
    as_of: dt.date | None = None,
    pages_per_step: int = PAGES_PER_STEP,
) -> Restored:
    """Put the store in the file ``backup`` at ``target``, after checking it.

    The backup is first copied (through the backup API) to a hidden file beside ``target``
    and checked there, so nothing is touched unless the very bytes to be restored are a
    sound store of this application (passing ``usecases.integrity``, when installed).

    An existing ``target`` is refused unless ``force``; then it is first kept as
    ``TARGET.before-restore-<now>`` and the backup is written into it through the backup
    API, which is safe even if the app still has it open (SQLite tells every connection
    that the database changed). A ``target`` that SQLite cannot read at all (the usual
    reason to restore) is kept by renaming it, with its ``-wal`` file.
    """
    backup, target = Path(backup), Path(target)
    _require_database_file(backup, "backup")
    _refuse_same_file(backup, target)
    _refuse_existing(target, force)
    if not target.exists():
        _refuse_companions(target)
    with _hidden_copy_beside(target) as partial:
        try:
            _copy_database(backup, partial, pages_per_step, None, tidy_source=True)
        except BackupFailed as exc:
            raise BackupFailed(f"{exc} Nothing was restored.") from None
        checked = check_copy(partial, label=backup, as_of=as_of)
        if checked.problems:
            shown = "; ".join(checked.problems[:PROBLEMS_SHOWN])
            more = len(checked.problems) - PROBLEMS_SHOWN
            raise BackupFailed(
                f"{backup} fails the store's own check: {shown}"
                + (f" (and {more} more)" if more > 0 else "")
                + f". Nothing was restored. Choose another backup, or see them all with "
                f"'python manage.py verify --db {backup}'.")
        if not target.exists():
            _put_in_place(partial, target, force=False)
            return Restored(store=_renamed(checked, target), kept=None)
        kept = target.with_name(f"{target.name}.before-restore-{_stamp(now)}")
        kept_by = _keep_old_store(target, kept, pages_per_step)
        if kept_by == "renamed":
            _put_in_place(partial, target, force=False)
            return Restored(store=_renamed(checked, target), kept=kept, kept_by=kept_by)
        _make_private(target)
        try:
            _copy_database(partial, target, pages_per_step, None, label=backup)
        except BackupFailed as exc:
            raise BackupFailed(f"{exc} {target} was not changed; the store as it was is "
                               f"also kept as {kept}.") from None
    placed = _count(target)
    if placed != (checked.events, checked.alerts, checked.children):
        raise BackupFailed(
            f"After the restore {target} holds {placed[0]:,} events, {placed[1]:,} alerts and "
            f"{placed[2]:,} children, not the backup's {checked.events:,}, {checked.alerts:,} "
            f"and {checked.children:,}. The store as it was is kept as {kept}.")
    return Restored(store=_renamed(checked, target), kept=kept, kept_by=kept_by)


def _stamp(now: dt.datetime) -> str:
    """``now`` as a file name can hold it, sorting by time: 20261123T141500Z (UTC)."""
    if now.utcoffset() == dt.timedelta(0):
        return f"{now:%Y%m%dT%H%M%SZ}"
    return f"{now:%Y%m%dT%H%M%S}"


def _keep_old_store(target: Path, kept: Path, pages_per_step: int) -> str:
    """Keep the store that a restore replaces, as ``kept``; say how ("copied" or "renamed").

    A consistent copy through the backup API is preferred: renaming a store that the app or
    Litestream still has open would leave them writing to the kept file, and would strand
    the transactions still in its ``-wal``. A file SQLite cannot read is renamed instead,
    with its ``-wal`` (which belongs to it); its ``-shm`` is only an index and is dropped.
    """
    if kept.exists():
        raise UserError(f"{kept} already exists; wait a second and restore again.")
    try:
        _create_private(kept)
    except OSError as exc:
        raise UserError(f"Cannot create {kept} to keep the store as it is: "
                        f"{_os_reason(exc)}. Nothing was restored.") from None
    try:
        _copy_database(target, kept, pages_per_step, None)
        return "copied"
    except BackupFailed:
        _remove_with_companions(kept)
    try:
        os.rename(target, kept)
        for suffix in ("-wal", "-journal"):
            companion = target.with_name(target.name + suffix)
            if companion.exists():
                os.rename(companion, kept.with_name(kept.name + suffix))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target.with_name(target.name + "-shm"))
    except OSError as exc:
        raise UserError(f"Cannot move {target} aside to {kept}: {_os_reason(exc)}. "
                        "Nothing was restored.") from None
    return "renamed"


# -- checking a copy ---------------------------------------------------------------------------


def check_copy(
    path: str | os.PathLike[str], *, label: str | os.PathLike[str] | None = None,
    as_of: dt.date | None = None,
) -> CopyChecked:
    """Check that ``path`` is a sound store of this application, and count what it holds.

    In order: SQLite's ``integrity_check``; the tables every store has (its migrations
    table, as ``usecases.store.prepare_store`` looks for) and a policy it is governed by
    that this installation has (as ``usecases.store.open_store`` reads it). Any of these
    failing raises :class:`BackupFailed`. Then ``usecases.integrity``'s own check when that
    module is installed, whose findings are returned in ``problems`` for the caller to
    weigh. ``label`` is the name the messages use (the hidden copy's name would mean
    nothing to an administrator).

    The store is opened on a connection of its own rather than through ``open_store``,
    whose per-thread cache would keep the file open after it has been renamed or removed.
    """
    path = Path(path)
    label = Path(label) if label is not None else path
    checks = ["SQLite integrity check"]
    try:
        with _connection(path) as conn:
            sqlite_says = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if sqlite_says != ["ok"]:
                shown = "; ".join(sqlite_says[:PROBLEMS_SHOWN])
                more = len(sqlite_says) - PROBLEMS_SHOWN
                raise BackupFailed(
                    f"{label} is damaged: SQLite's integrity check found {shown}"
                    + (f" and {more} more problems." if more > 0 else "."))
            db = sqlite_utils.Database(conn)
            policy_id = _store_policy(db, label, as_of)
            checks.append(f"opens as a store under policy {policy_id}")
            events, alerts, children = _counts(conn)
            ran, problems = _store_integrity(db, label)
            if ran is not None:
                checks.append(ran)
    except sqlite3.Error as exc:
        raise BackupFailed(f"{label} cannot be read as a database (SQLite says: "
                           f"{_sqlite_reason(exc)}).") from None
    return CopyChecked(path=path, size=path.stat().st_size, events=events, alerts=alerts,
                       children=children, policy_id=policy_id, checks=tuple(checks),
                       problems=tuple(problems))


def _store_policy(db: sqlite_utils.Database, label: Path, as_of: dt.date | None) -> str:
    """The id of the policy the store is governed by; BackupFailed if it is not a store."""
    from usecases.policy_versions import policy_in_store

    tables = set(db.table_names())
    missing = [t for t in (MIGRATIONS.migrations_table, "settings", "events", "alerts",
                           "children") if t not in tables]
    if missing:
        raise BackupFailed(f"{label} is not a store made by this application (it has no "
                           f"{', '.join(missing)} table{'s' if len(missing) > 1 else ''}).")
    try:
        return policy_in_store(db, label, as_of).id
    except (UserError, PolicyInvalid) as exc:
        raise BackupFailed(f"{label} cannot be opened as a store: {exc}") from None


def _counts(conn: sqlite3.Connection) -> tuple[int, int, int]:
    row = conn.execute("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM alerts), "
                       "(SELECT count(*) FROM children)").fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def _count(path: Path) -> tuple[int, int, int]:
    try:
        with _connection(path) as conn:
            return _counts(conn)
    except sqlite3.Error as exc:
        raise BackupFailed(f"{path} cannot be read after the restore (SQLite says: "
                           f"{_sqlite_reason(exc)}).") from None


def _store_integrity(db: sqlite_utils.Database, label: Path) -> tuple[str | None, list[str]]:
    """Run ``usecases.integrity.verify_db`` on the copy, when that module is installed:
    the event log's guard and hash chain, and the tables against what their events give.

    Returns what was checked (None when there is no such module) and the problems found.
    A store made before the hash chain has none to check: the app adds it when it starts
    on the store (migration m011), so that is said, not counted as a problem. The module
    is written separately; whatever it raises is said in a sentence, not a traceback.
    """
    try:
        from usecases.integrity import verify_db
    except ImportError as exc:
        if exc.name in ("usecases.integrity", None):
            return None, []
        raise BackupFailed(f"The store's own check (usecases.integrity) could not be "
                           f"loaded: {exc}") from None
    try:
        result = verify_db(db, label)
        findings = list(result.findings)
        older = not _chain_kept(db)
    except UserError as exc:
        return "the store's own check", [str(exc)]
    except sqlite3.Error:
        raise
    except Exception as exc:  # another module's failure: a plain sentence, not a traceback
        raise BackupFailed(f"The store's own check (usecases.integrity) could not be run "
                           f"on {label}: {type(exc).__name__}: {exc}") from None
    if older:  # what the upgrade adds is not there yet: missing, not tampered with
        only_missing = _missing_guard_only(db)
        findings = [f for f in findings
                    if not (getattr(f, "area", "") == "store" and "hash chain" in str(f.text))
                    and not (getattr(f, "area", "") == "guard" and only_missing)]
    problems = [str(getattr(f, "text", f)).rstrip(".") for f in findings]
    if older:
        return ("the store's own check (an older store, without the hash chain and guard "
                "the app adds when it starts on it)"), problems
    return "the store's own check (event log guard, hash chain, alerts and reviews)", problems


def _chain_kept(db: sqlite_utils.Database) -> bool:
    """Whether the store has been upgraded to keep a hash chain (migration m011)."""
    try:
        from db.integrity import chain_kept
    except ImportError:
        return True
    return bool(chain_kept(db))


def _missing_guard_only(db: sqlite_utils.Database) -> bool:
    """Whether the event log's guard is only short of triggers (as in a store made before
    they were added), rather than changed."""
    try:
        from db.integrity import missing_guard_only
    except ImportError:
        return False
    return bool(missing_guard_only(db))


# -- copying -----------------------------------------------------------------------------------


def _copy_database(
    source: Path, dest: Path, pages_per_step: int,
    on_step: Callable[[int, int], None] | None, *, tidy_source: bool = False,
    label: Path | None = None,
) -> int | None:
    """Copy ``source`` into the existing file ``dest`` through the backup API, a few pages
    at a time; return how many events the source held as the copy began (None if it has no
    events table, or is not in WAL mode so no single moment can be named).

    The source is opened read-only: a backup must never write to the authority's store.
    ``tidy_source`` removes the empty ``-wal`` and ``-shm`` files a read-only connection
    leaves beside a WAL-mode file it opened, where there were none before (a backup file
    should be left as it was found).
    """
    left = [s for s in ("-wal", "-shm") if not source.with_name(source.name + s).exists()]
    events: int | None = None
    try:
        with _connection(source, read_only=True) as src, _connection(dest) as dst:
            pinned = src.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
            if pinned:
                src.execute("BEGIN")
                has_events = src.execute("SELECT count(*) FROM sqlite_master "
                                         "WHERE type = 'table' AND name = 'events'").fetchone()
                if has_events[0]:
                    events = int(src.execute("SELECT count(*) FROM events").fetchone()[0])
            try:
                src.backup(dst, pages=pages_per_step, sleep=PAUSE_BETWEEN_STEPS,
                           progress=(lambda _s, remaining, total: on_step(remaining, total))
                           if on_step else None)
            finally:
                if src.in_transaction:
                    src.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise BackupFailed(f"{label or source} cannot be copied (SQLite says: "
                           f"{_sqlite_reason(exc)}).") from None
    finally:
        if tidy_source:
            _tidy_companions(source, left)
    _fsync(dest)
    return events


@contextlib.contextmanager
def _connection(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """A plain connection that is closed on leaving, with the app's busy timeout.

    Not ``db.connection.open_db``: that one switches the file to WAL and creates it if
    missing, and a check or a backup should change nothing it is not asked to.
    """
    if read_only:
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None)
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def _tidy_companions(source: Path, created: list[str]) -> None:
    """Remove the ``-wal`` and ``-shm`` a read-only look created, if the ``-wal`` is empty."""
    wal = source.with_name(source.name + "-wal")
    if "-wal" not in created or not wal.exists() or wal.stat().st_size:
        return
    for suffix in created:
        with contextlib.suppress(OSError):
            os.unlink(source.with_name(source.name + suffix))


# -- files -------------------------------------------------------------------------------------


def _require_database_file(path: Path, what: str) -> None:
    """A plain message for the usual mistakes before SQLite is asked anything."""
    if not path.exists():
        raise UserError(f"There is no {what} at {path}.")
    if not path.is_file():
        raise UserError(f"{path} is not a file.")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {_os_reason(exc)}.") from None
    if head != SQLITE_HEADER:
        raise BackupFailed(f"{path} is not a SQLite database, so it cannot be a "
                           f"{what} of this application.")


def _refuse_same_file(source: Path, target: Path) -> None:
    if target.exists() and os.path.samefile(source, target):
        raise UserError(f"{source} and {target} are the same file.")


def _refuse_existing(target: Path, force: bool) -> None:
    if target.exists() and not force:
        raise UserError(f"{target} already exists. Choose another name, or add --force to "
                        "replace it.")
    if target.exists() and not target.is_file():
        raise UserError(f"{target} is not a file.")
    if not target.parent.is_dir():
        raise UserError(f"The folder {target.parent} does not exist; create it first "
                        "(readable by the app's account only).")


def _refuse_companions(target: Path) -> None:
    """Refuse a ``-wal`` or ``-journal`` beside a file about to be given ``target``'s name:
    SQLite would replay it onto the new file and damage it. Beside a file that exists it
    means a database in use (or not closed cleanly): not one to replace by renaming."""
    for suffix in ("-wal", "-journal"):
        companion = target.with_name(target.name + suffix)
        if companion.exists():
            reason = (f"{target} looks like a database in use" if target.exists()
                      else f"it is left over from an earlier database called {target.name}")
            raise UserError(f"There is a {companion.name} beside {target}: {reason}. "
                            "Choose another name, or move it away first (SQLite would "
                            "apply it to the new file).")


@contextlib.contextmanager
def _hidden_copy_beside(target: Path) -> Iterator[Path]:
    """A new, empty, owner-only (0600) hidden file in ``target``'s folder, removed on the
    way out unless it has been renamed to ``target`` (same folder, so the rename is atomic)."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                        dir=target.parent)
    except OSError as exc:
        raise UserError(f"Cannot write in {target.parent}: {_os_reason(exc)}.") from None
    os.close(handle)  # mkstemp creates the file O_EXCL with mode 0600
    partial = Path(name)
    try:
        yield partial
    finally:
        _remove_with_companions(partial)


def _create_private(path: Path) -> None:
    """Create ``path`` empty, owner-only (0600), failing if anything is already there."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _make_private(path: Path) -> None:
    """Tighten an existing store to owner-only before the restored records go into it."""
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


def _put_in_place(partial: Path, target: Path, *, force: bool) -> None:
    """Give the checked copy its name. Without ``force`` a file that appeared there since
    the start is not replaced (a hard link fails if the name is taken, where a rename
    would not)."""
    try:
        if force:
            os.replace(partial, target)
        else:
            try:
                os.link(partial, target)
            except FileExistsError:
                raise UserError(f"{target} appeared while the copy was made; it was left "
                                "as it is. Choose another name, or add --force.") from None
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP,
                                     errno.EXDEV, errno.EMLINK):
                    raise
                if target.exists():  # a file system without hard links
                    raise UserError(f"{target} appeared while the copy was made; it was "
                                    "left as it is.") from None
                os.replace(partial, target)
    except OSError as exc:
        raise UserError(f"Cannot write {target}: {_os_reason(exc)}.") from None
    _fsync(target.parent)


def _renamed(checked: CopyChecked, target: Path) -> CopyChecked:
    return dataclasses.replace(checked, path=target, size=target.stat().st_size)


def _remove_with_companions(path: Path) -> None:
    for name in (path.name, *(path.name + s for s in COMPANIONS)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path.with_name(name))


def _fsync(path: Path) -> None:
    """Make a file, or a folder's list of names, durable: a backup that a power cut can
    lose is not a backup. Quietly skipped where the platform cannot."""
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _sqlite_reason(exc: sqlite3.Error) -> str:
    return str(exc).rstrip(".") or type(exc).__name__
