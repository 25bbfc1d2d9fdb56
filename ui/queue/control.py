"""`QueueControl`: what the queue panel asks of the engine, on the GUI thread.

With the studio's generation service (`studio.generate.GenerationService`) it delegates to it: the
service builds requests in continuity order and records takes. Without one it talks to the engine
runner directly: requests from `studio.prompting.build_request`, takes from
`studio.takes.take_from_result` recorded when a job finishes. Without a runner, generation is off
and the panel says why.
"""
from __future__ import annotations

from typing import Any

from studio.continuity import stale_shots
from studio.model import TakeStatus

from .model import JobRow


class QueueControl:
    def __init__(self, doc, *, runner: Any = None, generation: Any = None):
        self.doc = doc
        self.runner = runner
        self.generation = generation
        self._requests: dict[str, Any] = {}  # job id -> request, to record its take when it finishes

    @property
    def available(self) -> bool:
        return self.runner is not None or self.generation is not None

    @property
    def unavailable_reason(self) -> str:
        return "" if self.available else "the engine runner is not installed"

    def detach(self) -> None:
        self._requests.clear()

    # ---- jobs ------------------------------------------------------------------------------------------
    def label_for(self, shot_id: str) -> str:
        for number, (_, shot) in enumerate(self.doc.project.shots(), start=1):
            if shot.id == shot_id:
                return f"{number}. {shot.title or 'Untitled'}"
        return shot_id

    def existing_jobs(self) -> list[JobRow]:
        return []

    def shots_needing_takes(self) -> list[str]:
        """Shots with no usable take, and stale shots, in cut order."""
        project = self.doc.project
        stale = stale_shots(project)
        out = []
        for _, shot in project.shots():
            take = project.takes.get(shot.selected_take) if shot.selected_take else None
            if take is None or take.status is not TakeStatus.READY or shot.id in stale:
                out.append(shot.id)
        return out

    def submit_shots(self, shot_ids: list[str]) -> list[JobRow]:
        if not self.available:
            raise RuntimeError("generation is not available: " + self.unavailable_reason)
        raise NotImplementedError

    def cancel(self, job_id: str) -> None:
        raise NotImplementedError

    def reorder(self, queued_job_ids: list[str]) -> None:
        raise NotImplementedError

    def retry(self, job: JobRow) -> JobRow | None:
        raise NotImplementedError

    def finished(self, result: Any) -> None:
        """A job ended (GUI thread). Without the generation service, record the take here."""
