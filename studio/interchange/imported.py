"""What an import parser hands to `apply.import_into`: plain model objects plus the files to bring in.

Parsers read and validate everything first and write nothing, so a bad file changes nothing. The files
(board pictures, sounds) are written into the project's media/imports folder only when the import is
applied, each atomically, just before the one undoable step that adds the scenes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..model import BibleEntry, Sequence

# Characters get distinct scratch voices and mannequin colours, in this order.
VOICES = ("en-us+m3", "en-us+f3", "en-gb+m1", "en-gb+f4", "en-us+m7", "en-us+f2", "en-gb+m4", "en-gb+f2")
COLORS = ("#c0504d", "#4f81bd", "#9bbb59", "#8064a2", "#f79646", "#4bacc6", "#a5a5a5", "#d19c4c")


@dataclass(frozen=True)
class PendingFile:
    """A file to create at `dest` (project-relative). One source = a byte copy; several = the layers of a
    drawing flattened in order onto white, each with its opacity, at `size` (Storyboarder boards)."""
    dest: str
    sources: tuple[tuple[Path, float], ...]
    composite: bool = False
    size: tuple[int, int] | None = None


@dataclass
class ParsedImport:
    source: Path
    kind: str                                   # 'fountain' | 'storyboarder'
    title: str = ""
    sequences: list[Sequence] = field(default_factory=list)
    bible: list[BibleEntry] = field(default_factory=list)
    files: list[PendingFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def shot_count(self) -> int:
        return sum(len(s.shots) for s in self.sequences)

    def summary(self) -> str:
        """One line for the CLI and the status bar."""
        chars = sum(1 for b in self.bible if b.kind.value == "character")
        return (f"{self.source.name}: {len(self.sequences)} scene(s), {self.shot_count} shot(s), "
                f"{chars} character(s), {len(self.files)} file(s)")
