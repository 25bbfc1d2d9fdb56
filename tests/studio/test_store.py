"""project.db: round trip, migration of the checked-in v1 fixture, refusing bad files untouched,
surviving kill -9 mid-burst, failed writes changing nothing, one-row edits, the job table."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.commands import AddShot, MoveShot, SetShotFields
from studio.document import Document
from studio.errors import ProjectFileError
from studio.model import Shot
from studio.store import SCHEMA_VERSION, StoreError

try:
    from .core_helpers import disk_state, make_doc
except ImportError:
    from core_helpers import disk_state, make_doc

FIXTURES = Path(__file__).with_name("fixtures")
ROOT = Path(__file__).resolve().parents[2]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _siblings(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.fixture
def closed_project(tmp_path) -> Path:
    doc = make_doc(tmp_path / "p.shotreel")
    folder = doc.folder
    doc.close()
    return folder


# ---- round trip and migration -------------------------------------------------------------------

def test_round_trip_of_the_demo(tmp_path):
    from studio.demo import build_demo
    with build_demo(tmp_path / "demo.shotreel") as doc:
        state = doc.project.to_dict()
        assert len(state["sequences"][0]["shots"]) == 10
    with Document.open(tmp_path / "demo.shotreel") as again:
        assert again.project.to_dict() == state
        assert not again.can_undo  # the demo starts with a clean history
    # the project.db path itself is accepted too
    with Document.open(tmp_path / "demo.shotreel" / "project.db") as again:
        assert again.project == Document.open(tmp_path / "demo.shotreel").project


def test_v1_fixture_is_migrated(tmp_path):
    spec = importlib.util.spec_from_file_location("make_v1_project", FIXTURES / "make_v1_project.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    folder = tmp_path / "old.shotreel"
    folder.mkdir()
    shutil.copy(FIXTURES / "v1_project.db", folder / "project.db")
    with sqlite3.connect(folder / "project.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert "history" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}

    with Document.open(folder) as doc:
        assert doc.store.migrated_from == 1
        assert doc.project.to_dict() == maker.project().to_dict()
        doc.execute(SetShotFields("v1s2", title="Door (new)"))   # the v2 history table works
    with Document.open(folder) as doc:
        assert doc.store.migrated_from is None
        assert doc.undo() == "Edit Title"
        assert doc.project.to_dict() == maker.project().to_dict()
    with sqlite3.connect(folder / "project.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    backup = folder / "project.db.v1.bak"
    with sqlite3.connect(backup) as conn:  # a consistent copy of the old file was kept
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM shots").fetchone()[0] == 3


# ---- refusing files, byte-identical -------------------------------------------------------------

def _refuse(folder: Path, match: str) -> None:
    db = folder / "project.db"
    before, names = _sha(db), _siblings(folder)
    with pytest.raises(ProjectFileError, match=match):
        Document.open(folder)
    assert _sha(db) == before
    assert _siblings(folder) == names  # no -wal/-shm/media left next to a refused file


def test_refuses_a_newer_schema(closed_project):
    with sqlite3.connect(closed_project / "project.db") as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    _refuse(closed_project, rf"made by a newer Shotreel \(schema 99 > {SCHEMA_VERSION}\)")


def test_refuses_a_foreign_sqlite_file(tmp_path):
    folder = tmp_path / "foreign.shotreel"
    folder.mkdir()
    conn = sqlite3.connect(folder / "project.db")
    conn.execute("CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices(total) VALUES (12.5)")
    conn.commit()
    conn.close()
    _refuse(folder, "not a Shotreel project")


def test_refuses_our_application_id_without_our_metadata(tmp_path):
    folder = tmp_path / "half.shotreel"
    folder.mkdir()
    conn = sqlite3.connect(folder / "project.db")
    conn.execute("PRAGMA application_id = 1397248596")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")
    conn.commit()
    conn.close()
    _refuse(folder, "metadata is missing")


@pytest.mark.parametrize("content", [b"", b"hello, this is a text file\n" * 20, os.urandom(4096)])
def test_refuses_non_sqlite_files(tmp_path, content):
    folder = tmp_path / "text.shotreel"
    folder.mkdir()
    (folder / "project.db").write_bytes(content)
    _refuse(folder, "not a Shotreel project")


@pytest.mark.parametrize("damage", ["pages", "truncate"])
def test_refuses_a_corrupt_project(closed_project, damage):
    db = closed_project / "project.db"
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    assert len(data) >= 4 * page
    if damage == "pages":  # scribble over every page after the header page
        for offset in range(page, len(data), page):
            data[offset:offset + 64] = b"\xa5" * 64
    else:
        data = data[: len(data) // 2 + 100]
    db.write_bytes(bytes(data))
    _refuse(closed_project, "damaged|not a Shotreel project|malformed")


def test_missing_folder_and_missing_db(tmp_path):
    with pytest.raises(ProjectFileError, match="no project at"):
        Document.open(tmp_path / "nope.shotreel")
    (tmp_path / "empty.shotreel").mkdir()
    with pytest.raises(ProjectFileError, match="no project.db"):
        Document.open(tmp_path / "empty.shotreel")
    assert list((tmp_path / "empty.shotreel").iterdir()) == []


# ---- crash safety --------------------------------------------------------------------------------

_CHILD = r"""
import sys
from studio.commands import AddShot
from studio.document import Document
from studio.model import Shot
doc = Document.open(sys.argv[1])
seq = doc.project.sequences[0].id
for n in range(100000):
    doc.execute(AddShot(seq, Shot.create(title=f"burst {n}")))
    print(f"ACK {n}", flush=True)
"""


def test_kill_9_mid_burst_keeps_every_acknowledged_edit(closed_project):
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(closed_project)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=ROOT)
    acked = -1
    deadline = time.monotonic() + 60
    try:
        while acked < 40 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            acked = int(line.split()[1])
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert acked >= 40, child.stderr.read()
    assert child.returncode == -signal.SIGKILL

    conn = sqlite3.connect(closed_project / "project.db")
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    with Document.open(closed_project) as doc:
        titles = {s.title for _, s in doc.project.shots()}
        assert {f"burst {n}" for n in range(acked + 1)} <= titles
        burst = len([t for t in titles if t.startswith("burst ")])
        assert doc.history_index == burst  # the history step of each committed edit is there too
        doc.undo()
        assert len([s for _, s in doc.project.shots() if s.title.startswith("burst ")]) == burst - 1


# ---- failed writes -------------------------------------------------------------------------------

def test_failed_sqlite_write_changes_neither_model_nor_disk(tmp_path):
    with make_doc(tmp_path / "f.shotreel") as doc:
        doc.execute(SetShotFields("a0", title="saved"))
        before = doc.project.to_dict()
        on_disk = disk_state(doc.folder)
        # the shot row is written first, then the history's meta rows hit this trigger: a real
        # SQLite error in the middle of the command's transaction
        doc.store.db.conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON meta "
                                  "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END")
        for attempt in (lambda: doc.execute(SetShotFields("a1", title="lost")),
                        lambda: doc.execute(MoveShot("a0", doc.project.sequences[0].id, 2)),
                        doc.undo):
            with pytest.raises(StoreError, match="simulated failure"):
                attempt()
            assert doc.project.to_dict() == before
            assert disk_state(doc.folder) == on_disk
        assert doc.undo_text == "Edit Title" and doc.history == ["Edit Title"]
        doc.store.db.conn.execute("DROP TRIGGER refuse")
        doc.execute(SetShotFields("a1", title="works again"))
        assert disk_state(doc.folder)[0] == doc.project.to_dict()


def test_exception_mid_transaction_rolls_back_and_restores_a_merge(tmp_path, monkeypatch):
    with make_doc(tmp_path / "g.shotreel") as doc:
        doc.execute(SetShotFields("a0", title="one"))
        before, on_disk = doc.project.to_dict(), disk_state(doc.folder)

        def boom(*args, **kwargs):
            raise RuntimeError("power cut")
        monkeypatch.setattr(doc.store, "_put_history", boom)
        with pytest.raises(RuntimeError):
            doc.execute(SetShotFields("a0", title="two"))  # would merge into the first edit
        assert doc.project.to_dict() == before and disk_state(doc.folder) == on_disk
        monkeypatch.undo()
        doc.execute(SetShotFields("a0", title="three"))
        assert doc.history == ["Edit Title"]
        doc.undo()
        assert doc.project.shot("a0").title == "Alpha 0"


def test_record_take_failure_keeps_nothing(tmp_path):
    try:
        from .core_helpers import sample_take
    except ImportError:
        from core_helpers import sample_take
    with make_doc(tmp_path / "h.shotreel") as doc:
        before = doc.project.to_dict()
        doc.store.db.conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON takes "
                                  "BEGIN SELECT RAISE(ABORT, 'no room'); END")
        with pytest.raises(StoreError):
            doc.record_take(sample_take("t9", "a1"))
        assert doc.project.to_dict() == before


# ---- one edit, few rows --------------------------------------------------------------------------

def _shot_writes(doc: Document, action) -> int:
    statements: list[str] = []
    doc.store.db.conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        doc.store.db.conn.set_trace_callback(None)
    return sum(1 for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
               and " shots" in s)


def test_an_edit_writes_only_the_rows_it_changed(tmp_path):
    with Document.create(tmp_path / "big.shotreel") as doc:
        seq = doc.project.sequences[0].id
        for i in range(60):
            doc.execute(AddShot(seq, Shot(f"s{i:02d}", f"Shot {i}")))
        assert _shot_writes(doc, lambda: doc.execute(SetShotFields("s30", title="x"))) == 1
        assert _shot_writes(doc, lambda: doc.execute(MoveShot("s10", seq, 12))) == 3
        assert _shot_writes(doc, doc.undo) == 3
        assert _shot_writes(doc, lambda: doc.execute(AddShot(seq, Shot("s_new", "New"), 58))) == 3
        assert disk_state(doc.folder)[0] == doc.project.to_dict()


# ---- jobs and partial files --------------------------------------------------------------------

class _Record:
    def __init__(self, job_id: str, status: str, n: int):
        self.job_id, self.status, self.n = job_id, status, n

    def to_dict(self) -> dict:
        return {"job_id": self.job_id, "status": self.status, "n": self.n}


def test_job_table(closed_project):
    with Document.open(closed_project) as doc:
        jobs = doc.job_store
        jobs.save(_Record("j1", "queued", 1))
        jobs.save({"job_id": "j2", "status": "queued", "n": 2})
        jobs.save(_Record("j1", "running", 3))  # an update keeps its place in the queue
        assert [(r["job_id"], r["status"]) for r in jobs.load_all()] == [("j1", "running"), ("j2", "queued")]
    with Document.open(closed_project) as doc:
        doc.job_store.decode = lambda d: _Record(d["job_id"], d["status"], d["n"])
        assert [r.n for r in doc.job_store.load_all()] == [3, 2]
        doc.job_store.delete("j1")
        assert [r.job_id for r in doc.job_store.load_all()] == ["j2"]
        with pytest.raises(ValueError):
            doc.job_store.save({"status": "queued"})


def test_the_store_transaction_api_rolls_back_and_refuses_read_only(closed_project):
    """The public transaction the job store writes through: a SQLite failure rolls every statement back and
    becomes one StoreError line; a read-only store refuses before anything runs."""
    with Document.open(closed_project) as doc:
        with pytest.raises(StoreError, match="^could not test: "):
            with doc.store.transaction("could not test") as conn:
                conn.execute("INSERT INTO meta(key, value) VALUES ('probe', '1')")
                conn.execute("INSERT INTO no_such_table VALUES (1)")
        assert doc.store.query("SELECT value FROM meta WHERE key = 'probe'") == []
    with Document.open(closed_project, readonly=True) as doc:
        with pytest.raises(StoreError, match="read-only"):
            with doc.store.transaction("could not test"):
                raise AssertionError("a read-only store ran the transaction body")


def test_open_sweeps_partial_files(closed_project):
    partial = closed_project / "media" / "takes" / "t9" / "video.partial-1a2b3c4d.mp4"
    keep = closed_project / "media" / "takes" / "t9" / "video.mp4"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"half")
    keep.write_bytes(b"whole")
    with Document.open(closed_project):
        assert not partial.exists() and keep.exists()


def test_a_second_writer_is_detected_not_mixed_in(closed_project):
    from studio.store import ProjectChangedElsewhere
    with Document.open(closed_project) as window, Document.open(closed_project) as cli:
        cli.execute(SetShotFields("a1", title="from the command line"))
        before = window.project.to_dict()
        with pytest.raises(ProjectChangedElsewhere, match="reopen the project"):
            window.execute(SetShotFields("a2", title="from the window"))
        assert window.project.to_dict() == before
        cli.execute(SetShotFields("a2", notes="the command line can go on"))
    with Document.open(closed_project) as again:
        assert again.project.shot("a1").title == "from the command line"
        assert again.project.shot("a2").title == "Alpha 2"
        assert again.history == ["Edit Title", "Edit Notes"]


def test_store_resyncs_positions_a_change_did_not_announce(closed_project):
    from studio.commands import Change, ChangeKind
    with Document.open(closed_project) as doc:
        seq = doc.project.sequences[0]
        seq.shots.insert(0, seq.shots.pop(2))  # moved in memory, announced only as a field change
        doc.store.write(doc.project, [Change(ChangeKind.SHOT_CHANGED, (seq.shots[0].id,))])
        expected = doc.project.to_dict()
    assert disk_state(closed_project)[0] == expected


def test_the_wal_is_checkpointed_in_the_background(closed_project):
    from studio.store import _CHECKPOINT_EVERY
    with Document.open(closed_project) as doc:
        last = 2 * _CHECKPOINT_EVERY - 1
        for n in range(last + 1):
            doc.execute(SetShotFields(f"a{n % 3}", notes=f"n{n}"))  # different shots: no merging
        # immutable=1 reads the main file only, ignoring the WAL: it holds what was checkpointed. It promises
        # SQLite the file does not change, so read only while the checkpointer is idle (a read during a
        # checkpoint's write saw a torn file: "database disk image is malformed" under load).
        uri = (closed_project / "project.db").resolve().as_uri() + "?mode=ro&immutable=1"
        checkpointer = doc.store._checkpointer
        assert checkpointer is not None, "no background checkpointer was started"
        deadline = time.monotonic() + 30
        while True:
            assert checkpointer.wait_idle(timeout=30)
            conn = sqlite3.connect(uri, uri=True)
            data = conn.execute("SELECT data FROM shots WHERE id = ?", (f"a{last % 3}",)).fetchone()[0]
            conn.close()
            if f'"notes":"n{last}"' in data or time.monotonic() > deadline:
                break
            checkpointer.poke()  # a PASSIVE checkpoint may have yielded to a reader: ask again
        assert f'"notes":"n{last}"' in data


def test_the_engine_runner_recovers_its_queue_from_the_project(closed_project):
    from engine.jobs import GenerationRequest, JobStatus
    from engine.runner import JobRecord, Runner
    out = closed_project / "media" / "takes"
    with Document.open(closed_project) as doc:
        runner = Runner(store=doc.job_store, start=False)
        for n in range(3):
            runner.submit(GenerationRequest(f"job{n}", str(out / f"job{n}"), prompt=f"shot {n}", frames=12), priority=n)
    with Document.open(closed_project) as doc:
        doc.job_store.decode = JobRecord.from_dict
        records = doc.job_store.load_all()
        assert [r.job_id for r in records] == ["job0", "job1", "job2"]
        assert all(r.status is JobStatus.QUEUED and r.request.frames == 12 for r in records)
        doc.job_store.decode = None
        runner = Runner(store=doc.job_store, start=False)
        assert runner.queued_ids() == ["job2", "job1", "job0"]  # priority first


def test_job_saves_from_a_worker_thread_interleave_safely_with_edits(closed_project):
    import threading
    with Document.open(closed_project) as doc:
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                for n in range(150):
                    doc.job_store.save({"job_id": f"j{n % 10}", "status": "running", "step": n})
            except BaseException as exc:  # surfaced below
                errors.append(exc)
        thread = threading.Thread(target=worker)
        thread.start()
        for n in range(150):
            doc.execute(SetShotFields(f"a{n % 3}", notes=f"n{n}"))
        thread.join()
        assert errors == []
        expected = doc.project.to_dict()
    with Document.open(closed_project) as doc:
        assert doc.project.to_dict() == expected
        assert sorted(r["step"] for r in doc.job_store.load_all()) == list(range(140, 150))
