"""Numbered forward migrations of `project.db`. `PRAGMA user_version` is the schema version.

Each step is a function `(db: sqlite_utils.Database) -> None` run inside the caller's transaction; the
caller sets user_version after each one, so a failed step leaves the file at the previous version.
Never edit a released step: add the next number instead.
"""
from __future__ import annotations

from typing import Callable

import sqlite_utils

from . import v1_initial, v2_history_jobs

Migration = Callable[[sqlite_utils.Database], None]

MIGRATIONS: dict[int, Migration] = {
    1: v1_initial.up,
    2: v2_history_jobs.up,
}
LATEST = max(MIGRATIONS)


def migrate(db: sqlite_utils.Database, current: int, target: int = LATEST) -> list[int]:
    """Run the steps after `current` up to `target` in one transaction. Returns the steps run."""
    steps = [v for v in sorted(MIGRATIONS) if current < v <= target]
    if not steps:
        return []
    with db.atomic():
        for version in steps:
            MIGRATIONS[version](db)
            db.conn.execute(f"PRAGMA user_version = {int(version)}")
    return steps
