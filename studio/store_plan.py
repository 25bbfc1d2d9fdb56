"""The row-diff write plan of one command: which rows of project.db a change list touches.

Pure: computed from the project, the changes and the positions last written, before the transaction, so a
failed write changes no cache; `apply_plan` then runs the plan's statements on a connection inside the
store's transaction. A shot is one row holding its JSON, ordered by (seq_id, position): editing one shot of a
1,000-shot project rewrites one row, and structural edits (insert, move, remove) update only the rows whose
position really changed.

Who calls: `studio.store.Store` only."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from engine.jobs import fps_to_str

from .changes import Change, ChangeKind
from .model import Project, Shot, ValidationError

K = ChangeKind


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Positions:
    """Where the store last wrote every row: shot id -> (seq id, index), seq id -> index, bible id -> index."""
    shot: dict[str, tuple[str, int]] = field(default_factory=dict)
    seq: dict[str, int] = field(default_factory=dict)
    bible: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, project: Project) -> "Positions":
        return cls({shot.id: (seq.id, i) for seq in project.sequences for i, shot in enumerate(seq.shots)},
                   {s.id: i for i, s in enumerate(project.sequences)},
                   {b.id: i for i, b in enumerate(project.bible)})


def everything(project: Project) -> list[Change]:
    """The changes that write a whole project (a new database)."""
    return [Change(K.PROJECT), Change(K.SEQUENCE, tuple(s.id for s in project.sequences)),
            Change(K.SHOT_ADDED, tuple(s.id for _, s in project.shots())),
            Change(K.BIBLE, tuple(b.id for b in project.bible)),
            Change(K.TAKE_RECORDED, tuple(project.takes))]


# How a write plan's lists reach the tables, in order: (plan attribute, statement, 'rows' | 'ids').
_PLAN_WRITES = (
    ("seq_upserts", "INSERT OR REPLACE INTO sequences(id, position, heading, notes) VALUES (?, ?, ?, ?)", "rows"),
    ("seq_deletes", "DELETE FROM sequences WHERE id = ?", "ids"),
    ("seq_moves", "UPDATE sequences SET position = ? WHERE id = ?", "rows"),
    ("shot_upserts", "INSERT OR REPLACE INTO shots(id, seq_id, position, data) VALUES (?, ?, ?, ?)", "rows"),
    ("shot_deletes", "DELETE FROM shots WHERE id = ?", "ids"),
    ("shot_moves", "UPDATE shots SET seq_id = ?, position = ? WHERE id = ?", "rows"),
    ("bible_upserts", "INSERT OR REPLACE INTO bible(id, position, kind, name, data) VALUES (?, ?, ?, ?, ?)", "rows"),
    ("bible_deletes", "DELETE FROM bible WHERE id = ?", "ids"),
    ("bible_moves", "UPDATE bible SET position = ? WHERE id = ?", "rows"),
    ("take_upserts", "INSERT OR REPLACE INTO takes(id, shot_id, created, status, data) VALUES (?, ?, ?, ?, ?)", "rows"),
    ("take_deletes", "DELETE FROM takes WHERE id = ?", "ids"),
)

@dataclass
class WritePlan:
    """The rows one write changes, computed before the transaction so a failure changes no cache."""
    project: bool
    seq_upserts: list[tuple]
    seq_deletes: list[str]
    seq_moves: list[tuple]
    shot_upserts: list[tuple]
    shot_deletes: list[str]
    shot_moves: list[tuple]
    bible_upserts: list[tuple]
    bible_deletes: list[str]
    bible_moves: list[tuple]
    take_upserts: list[tuple]
    take_deletes: list[str]
    positions: Positions   # what the store knows after this plan is written

    @classmethod
    def build(cls, known: Positions, project: Project, changes: list[Any]) -> "WritePlan":
        kinds: dict[ChangeKind, set[str]] = {}
        for change in changes:
            kinds.setdefault(change.kind, set()).update(change.ids)
        shot_ids = set().union(*(kinds.get(k, set()) for k in (K.SHOT_ADDED, K.SHOT_REMOVED, K.SHOT_CHANGED,
                                                                K.SHOTS_MOVED)))
        structural = bool({K.SHOT_ADDED, K.SHOT_REMOVED, K.SHOTS_MOVED, K.SEQUENCE} & kinds.keys())
        plan = cls(K.PROJECT in kinds, [], [], [], [], [], [], [], [], [], [], [],
                   Positions(known.shot, known.seq, known.bible))
        found: dict[str, Shot] = {}
        for sid in shot_ids:
            try:
                seq, index, shot = project.find_shot(sid)
            except ValidationError:  # removed: its row goes
                continue
            found[sid] = shot
            if known.shot.get(sid) != (seq.id, index):
                structural = True  # a position changed that the changes did not announce: resync them all

        if structural:
            plan.positions.seq = {s.id: i for i, s in enumerate(project.sequences)}
            plan.positions.shot = {shot.id: (seq.id, i) for seq in project.sequences for i, shot in enumerate(seq.shots)}
            seqs = {s.id: s for s in project.sequences}
            for seq_id in kinds.get(K.SEQUENCE, ()):
                if seq_id in seqs:
                    s = seqs[seq_id]
                    plan.seq_upserts.append((s.id, plan.positions.seq[s.id], s.heading, s.notes))
                elif seq_id in known.seq:
                    plan.seq_deletes.append(seq_id)
            upserted = set(kinds.get(K.SEQUENCE, ()))
            plan.seq_moves = [(pos, sid) for sid, pos in plan.positions.seq.items()
                              if sid not in upserted and known.seq.get(sid) != pos]
            # scenes removed without a 'sequence' change still lose their row
            plan.seq_deletes += [sid for sid in known.seq if sid not in seqs and sid not in plan.seq_deletes]
            # shots gone with a removed scene
            shot_ids |= {sid for sid in known.shot if sid not in plan.positions.shot}

        if shot_ids:
            for sid in sorted(shot_ids):
                if sid in found:
                    seq_id, pos = plan.positions.shot[sid]
                    plan.shot_upserts.append((sid, seq_id, pos, dumps(found[sid].to_dict())))
                elif sid in known.shot:
                    plan.shot_deletes.append(sid)
        if structural:
            plan.shot_moves = [(seq_id, pos, sid) for sid, (seq_id, pos) in plan.positions.shot.items()
                               if sid not in shot_ids and known.shot.get(sid) != (seq_id, pos)]

        if K.BIBLE in kinds:
            plan.positions.bible = {b.id: i for i, b in enumerate(project.bible)}
            entries = {b.id: b for b in project.bible}
            touched = kinds[K.BIBLE] | {bid for bid in known.bible if bid not in entries}
            for bid in sorted(touched):
                if bid in entries:
                    b = entries[bid]
                    plan.bible_upserts.append((bid, plan.positions.bible[bid], b.kind.value, b.name, dumps(b.to_dict())))
                elif bid in known.bible:
                    plan.bible_deletes.append(bid)
            plan.bible_moves = [(pos, bid) for bid, pos in plan.positions.bible.items()
                                if bid not in touched and known.bible.get(bid) != pos]

        for take_id in sorted(kinds.get(K.TAKE_RECORDED, set()) | kinds.get(K.TAKE_CHANGED, set())):
            take = project.takes.get(take_id)
            if take is None:
                plan.take_deletes.append(take_id)
            else:
                plan.take_upserts.append((take.id, take.shot_id, take.created, take.status.value,
                                          dumps(take.to_dict())))
        return plan


def apply_plan(conn: sqlite3.Connection, plan: WritePlan, project: Project) -> None:
    """Run the plan's statements (inside the caller's transaction)."""
    if plan.project:
        conn.execute("INSERT OR REPLACE INTO project(id, name, fps, width, height, default_backend) "
                     "VALUES (1, ?, ?, ?, ?, ?)", (project.name, fps_to_str(project.fps), project.width,
                                                   project.height, project.default_backend))
        conn.execute("DELETE FROM settings")
        conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?)",
                         [(k, dumps(v)) for k, v in project.settings.items()])
    for rows_name, sql, as_rows in _PLAN_WRITES:
        rows = getattr(plan, rows_name)
        if rows:
            conn.executemany(sql, [(r,) for r in rows] if as_rows == "ids" else rows)
