"""Store benchmark: a 1,000-shot project (10 scenes x 100 shots, every shot with cues).

Figures: open time (target <= 1 s), p95 of one persisted field edit (target <= 5 ms), p95 of a
structural edit (move a shot across 90 positions), each with its ratio to a floor measured in the
same run on the same file: raw SQLite reading + json.loads of every shot row (open), and a raw
one-row UPDATE + COMMIT (edit). Run: `python -m tests.bench.bench_store`.
"""
from __future__ import annotations

import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from engine.cues import AudioCue, CameraCue, MotionCue
from studio.commands import AddShot, Macro, MoveShot, SetShotFields
from studio.document import Document
from studio.model import Shot

SCENES, PER_SCENE = 10, 100


def line(name: str, value: float, unit: str, target: float, ok: bool | None = None) -> None:
    print(json.dumps({"bench": name, "value": round(value, 4), "unit": unit, "target": target,
                      "ok": bool(value <= target) if ok is None else ok}), flush=True)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def build(folder: Path) -> None:
    with Document.create(folder, name="Big") as doc:
        first = doc.project.sequences[0].id
        from studio.commands import AddSequence, SetSequenceHeading
        commands = [SetSequenceHeading(first, "SCENE 1")]
        seq_ids = [first] + [f"sq{i}" for i in range(1, SCENES)]
        commands += [AddSequence(sid, f"SCENE {i + 1}") for i, sid in enumerate(seq_ids) if i]
        for s, sid in enumerate(seq_ids):
            for i in range(PER_SCENE):
                commands.append(AddShot(sid, Shot(
                    f"s{s:02d}_{i:03d}", f"Shot {s}.{i}", f"Action of shot {s}.{i}: someone crosses the room",
                    duration=72, seed=s * 1000 + i,
                    camera=CameraCue("pan", "left", 0.3, lens_mm=35, shot_size="WS"),
                    motion=(MotionCue("Ana", "walks to the door", 0.5, "left"),),
                    audio=(AudioCue("ambience", preset="rain"),
                           AudioCue("dialogue", text="We leave at dawn.", start=30, character="Ana")))))
        doc.execute(Macro("Build", commands))
        doc.clear_history()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "big.shotreel"
        build(folder)
        db = folder / "project.db"

        # floor: what reading the rows costs without the model
        floor_open = []
        for _ in range(5):
            start = time.perf_counter()
            conn = sqlite3.connect(db)
            rows = [json.loads(d) for (d,) in conn.execute("SELECT data FROM shots ORDER BY seq_id, position")]
            conn.close()
            floor_open.append(time.perf_counter() - start)
        assert len(rows) == SCENES * PER_SCENE

        opens = []
        for _ in range(5):
            start = time.perf_counter()
            doc = Document.open(folder)
            opens.append(time.perf_counter() - start)
            doc.close()
        open_s, floor_s = statistics.median(opens), statistics.median(floor_open)
        line("store_open_1000_shots", open_s, "s", 1.0)
        line("store_open_vs_raw_read", open_s / floor_s, "ratio", 25.0)

        rng = random.Random(7)
        with Document.open(folder) as doc:
            shot_ids = [s.id for _, s in doc.project.shots()]
            edits, edits_cpu = [], []
            for n in range(300):
                shot_id = rng.choice(shot_ids)
                start, cpu = time.perf_counter(), time.process_time()
                doc.execute(SetShotFields(shot_id, notes=f"note {n}") if n % 2 else
                            SetShotFields(shot_id, duration=48 + n % 50))
                edits.append((time.perf_counter() - start) * 1000)
                edits_cpu.append((time.process_time() - cpu) * 1000)
                doc._mergeable = False  # measure 300 separate steps, as a user clicking around makes
            moves, moves_cpu = [], []
            for n in range(60):
                seq = doc.project.sequences[n % SCENES]
                shot = seq.shots[5]
                start, cpu = time.perf_counter(), time.process_time()
                doc.execute(MoveShot(shot.id, seq.id, 95))
                moves.append((time.perf_counter() - start) * 1000)
                moves_cpu.append((time.process_time() - cpu) * 1000)
            with Document.open(folder) as again:
                assert again.project.to_dict() == doc.project.to_dict()

        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        floor_edit = []
        for n in range(300):
            start = time.perf_counter()
            conn.execute("BEGIN")
            conn.execute("UPDATE shots SET data = data WHERE id = ?", (rng.choice(shot_ids),))
            conn.execute("COMMIT")
            floor_edit.append((time.perf_counter() - start) * 1000)
        conn.close()

        edit_p95 = p95(edits)
        line("store_edit_p95_1000_shots", edit_p95, "ms", 5.0)
        # CPU time is what the code costs; wall p95 also carries the machine's load (2 shared cores)
        line("store_edit_cpu_p95_1000_shots", p95(edits_cpu), "ms", 5.0)
        line("store_edit_median_1000_shots", statistics.median(edits), "ms", 5.0)
        # the floor is SQLite alone (~0.02 ms, no fsync in WAL/NORMAL): the ratio is the Python around it.
        # Medians: a p95 on this shared 2-core machine mostly measures the other processes.
        line("store_edit_vs_raw_commit_median", statistics.median(edits) / max(statistics.median(floor_edit), 1e-6),
             "ratio", 50.0)
        line("store_move_90_positions_p95", p95(moves), "ms", 10.0)
        line("store_move_90_positions_cpu_p95", p95(moves_cpu), "ms", 10.0)


if __name__ == "__main__":
    main()
