"""Typed engine failures. A job that fails carries one of these kinds plus a suggestion the UI shows.

A cancel is not an error: it raises `JobCancelled`, which the runner turns into a cancelled status.
"""
from __future__ import annotations

from enum import Enum


class ErrorKind(str, Enum):
    OUT_OF_MEMORY = "out_of_memory"
    MODEL_MISSING = "model_missing"
    MODEL_INVALID = "model_invalid"      # a folder of the wrong kind, a pickle checkpoint, remote code
    UNSUPPORTED = "unsupported"          # the chosen backend/model cannot do what the request asks
    FFMPEG_MISSING = "ffmpeg_missing"
    TOOL_MISSING = "tool_missing"        # espeak-ng and friends
    DISK_FULL = "disk_full"
    BAD_INPUT = "bad_input"              # unreadable image, impossible value
    BUG = "bug"


_DEFAULT_SUGGESTION = {
    ErrorKind.OUT_OF_MEMORY: "Lower the resolution or frame count, or switch the memory mode to offload.",
    ErrorKind.MODEL_MISSING: "Check the model folder in File > Settings > Engine defaults > Model folders, or run `shotreel models`.",
    ErrorKind.MODEL_INVALID: "Point at a diffusers model folder with safetensors weights.",
    ErrorKind.UNSUPPORTED: "Choose a model that lists this capability in `shotreel models`, or use previs.",
    ErrorKind.FFMPEG_MISSING: "Reinstall with `make run` (imageio-ffmpeg ships ffmpeg) or set SHOTREEL_FFMPEG.",
    ErrorKind.TOOL_MISSING: "Install the Debian package named in the message.",
    ErrorKind.DISK_FULL: "Free disk space in the project folder and retry the job.",
    ErrorKind.BAD_INPUT: "Fix the value named in the message and retry.",
    ErrorKind.BUG: "This is a bug in Shotreel: copy the details into a bug report.",
}


class EngineError(Exception):
    """A failure with a kind the UI can act on and a message safe to show a user."""

    def __init__(self, kind: ErrorKind, message: str, suggestion: str | None = None, details: str = ""):
        super().__init__(message)
        self.kind = ErrorKind(kind)
        self.message = message
        self.suggestion = suggestion if suggestion is not None else _DEFAULT_SUGGESTION[self.kind]
        self.details = details

    def to_dict(self) -> dict:
        return {"kind": self.kind.value, "message": self.message, "suggestion": self.suggestion,
                "details": self.details}

    @classmethod
    def from_dict(cls, data: dict) -> "EngineError":
        return cls(ErrorKind(data["kind"]), data["message"], data.get("suggestion"), data.get("details", ""))

    def __str__(self) -> str:
        return self.message


class JobCancelled(Exception):
    """Raised inside a backend when its cancel token fires. Not an error."""
