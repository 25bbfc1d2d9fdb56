"""Schema 1: the project, its settings, scenes, shots, bible and takes.

Values are JSON documents of the model's `to_dict()`; the columns beside them are what the store
looks rows up or orders them by (a shot's scene and position), so one edit rewrites one row.
"""
from __future__ import annotations

import sqlite_utils

APPLICATION = "shotreel"


def up(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["project"].create({"id": int, "name": str, "fps": str, "width": int, "height": int,
                          "default_backend": str}, pk="id")
    db["settings"].create({"key": str, "value": str}, pk="key")
    db["sequences"].create({"id": str, "position": int, "heading": str, "notes": str}, pk="id")
    db["shots"].create({"id": str, "seq_id": str, "position": int, "data": str}, pk="id")
    db["shots"].create_index(["seq_id", "position"])
    db["bible"].create({"id": str, "position": int, "kind": str, "name": str, "data": str}, pk="id")
    db["takes"].create({"id": str, "shot_id": str, "created": str, "status": str, "data": str}, pk="id")
    db["takes"].create_index(["shot_id"])
    db.conn.execute("INSERT INTO meta(key, value) VALUES ('application', ?)", (APPLICATION,))
