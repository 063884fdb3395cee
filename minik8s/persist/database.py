"""The SQLite database behind ``minik8s serve --data-dir``: writes in, a ``Snapshot`` out.

``Database.record`` is a ``Store.on_write`` hook: each committed write (one new
revision) is one SQLite transaction — the object row upserted or deleted and the
event appended — committed before the write returns to the registry, so before
the HTTP response is sent. WAL journal; ``synchronous=FULL`` by default (a
commit is on disk: survives power loss), ``NORMAL`` optionally (survives a
crash or ``kill -9`` of the process, not a power cut).

``Database.load`` reads it back as a ``snapshot.Snapshot`` (objects with their
uids and resourceVersions, the revision, the retained event history) for
``Cluster(snapshot=...)``. The event table keeps the last ``history`` writes, so
a watch resumed after a restart replays from its resourceVersion, or gets 410
Expired once that resourceVersion is older, as after an etcd compaction.

Neighbours: ``store.store`` (the hook's events), ``snapshot`` (the value it
loads into), ``cluster`` (which opens it), ``cli`` (``serve --data-dir``,
``snapshot save|restore``).
"""

from __future__ import annotations

import os
import random
import sqlite3
from typing import TYPE_CHECKING, Any

import orjson

from minik8s.snapshot import Snapshot
from minik8s.store.store import DELETED

if TYPE_CHECKING:
    from minik8s.store.store import Event

FILENAME = "minik8s.db"
SCHEMA_VERSION = "1"
#: trim the event table every this many writes (one DELETE of a range, not one per write)
TRIM_EVERY = 1000
SYNC_MODES = ("full", "normal")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    rv INTEGER NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (resource, namespace, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    rv INTEGER PRIMARY KEY, resource TEXT NOT NULL, type TEXT NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Database:
    """One data directory. Not thread-safe: used from the cluster's event loop only."""

    def __init__(self, data_dir: str, *, sync: str = "full", history: int = 10_000) -> None:
        if sync not in SYNC_MODES:
            raise ValueError(f"durability sync must be one of {', '.join(SYNC_MODES)}: {sync!r}")
        os.makedirs(data_dir, exist_ok=True)
        self.path = os.path.join(data_dir, FILENAME)
        self.history = max(int(history), 1)
        # isolation_level=None: transactions are ours (BEGIN ... COMMIT), one per write
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={sync.upper()}")
        self._conn.executescript(_SCHEMA)
        self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        self._since_trim = 0

    # ------------------------------------------------------------------ writes
    def record(self, resource: str, ev: Event) -> None:
        """``Store.on_write`` hook: persist one committed write, durably, now."""
        md = ev.obj["metadata"]
        key = (resource, md.get("namespace", ""), md["name"])
        body = orjson.dumps(ev.obj)
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            if ev.type == DELETED:
                c.execute("DELETE FROM objects WHERE resource=? AND namespace=? AND name=?", key)
            else:
                c.execute("INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?)", (*key, ev.rv, body))
            c.execute("INSERT INTO events VALUES (?,?,?,?)", (ev.rv, resource, ev.type, body))
            self._since_trim += 1
            if self._since_trim >= min(TRIM_EVERY, self.history):
                self._since_trim = 0
                self._trim(ev.rv)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def _trim(self, revision: int) -> None:
        """Drop events older than the last ``history`` revisions (inside the caller's txn)."""
        floor = revision - self.history
        if floor > self._meta_int("compacted"):
            self._conn.execute("DELETE FROM events WHERE rv <= ?", (floor,))
            self._set_meta("compacted", floor)

    # ------------------------------------------------------------------ reads
    def empty(self) -> bool:
        return self._conn.execute("SELECT 1 FROM objects LIMIT 1").fetchone() is None and \
            self._revision() == 0

    def load(self) -> Snapshot | None:
        """The persisted state as a ``Snapshot``, or None for a new data directory.

        One read transaction: consistent even while a server writes (WAL)."""
        c = self._conn
        c.execute("BEGIN")
        try:
            revision = self._revision()
            if revision == 0:
                return None
            objects: dict[str, list[dict[str, Any]]] = {}
            for resource, body in c.execute("SELECT resource, body FROM objects "
                                            "ORDER BY resource, namespace, name"):
                objects.setdefault(resource, []).append(orjson.loads(body))
            history = [(rv, resource, etype, orjson.loads(body)) for rv, resource, etype, body in
                       c.execute("SELECT rv, resource, type, body FROM events ORDER BY rv")]
            compacted = self._meta_int("compacted")
        finally:
            c.execute("COMMIT")
        # names and IPs keep being unique after a restart: a fresh random stream, not the
        # seeded one again (which would hand out the same uids and generated names)
        return Snapshot(revision, objects, rng_state=random.Random().getstate(),
                        alloc_rng_state=random.Random().getstate(),
                        history=history, compacted=compacted)

    def import_snapshot(self, snap: Snapshot) -> None:
        """Fill an empty database from a snapshot (``minik8s snapshot restore``)."""
        if not self.empty():
            raise ValueError(f"{self.path} already holds a cluster's state")
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            for resource, objs in snap.objects.items():
                for o in objs:
                    md = o["metadata"]
                    c.execute("INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?)",
                              (resource, md.get("namespace", ""), md["name"],
                               int(md.get("resourceVersion") or 0), orjson.dumps(o)))
            # no history comes with a snapshot: watches from before it get 410
            self._set_meta("revision", snap.revision)
            self._set_meta("compacted", snap.revision)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def _revision(self) -> int:
        row = self._conn.execute("SELECT MAX(rv) FROM events").fetchone()
        return max(row[0] or 0, self._meta_int("revision"))

    def _meta_int(self, key: str) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _set_meta(self, key: str, value: int) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, str(value)))

    def close(self) -> None:
        self._conn.close()
