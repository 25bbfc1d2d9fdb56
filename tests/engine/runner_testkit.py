"""A file-backed JobStore for the runner tests (the studio's real one is SQLite): one JSON file,
rewritten atomically on every save, so a kill -9 leaves the last complete state on disk."""
from __future__ import annotations

import json
from pathlib import Path

from engine.fsio import atomic_write_text


class JsonFileStore:
    def __init__(self, path):
        self.path = Path(path)

    def _read(self) -> dict:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def save(self, record) -> None:
        data = self._read()
        data[record.job_id] = record.to_dict()
        atomic_write_text(self.path, json.dumps(data))

    def delete(self, job_id: str) -> None:
        data = self._read()
        data.pop(job_id, None)
        atomic_write_text(self.path, json.dumps(data))

    def load_all(self) -> list[dict]:
        return list(self._read().values())
