"""Schema 2: the undo history (so `shotreel undo` works across runs) and the engine's job records."""
from __future__ import annotations

import sqlite_utils


def up(db: sqlite_utils.Database) -> None:
    # pos is absolute: the history keeps rows base..base+n-1; meta holds history_base / history_index.
    db["history"].create({"pos": int, "label": str, "command": str, "created": str}, pk="pos")
    db["jobs"].create({"job_id": str, "position": int, "status": str, "data": str, "updated": str},
                      pk="job_id")
    db["jobs"].create_index(["position"])
    db.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('history_base', '0'), ('history_index', '0')")
