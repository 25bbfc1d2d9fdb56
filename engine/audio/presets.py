"""The catalogue of built-in sounds per cue kind, and how a cue's words pick one."""
from __future__ import annotations

import re
from typing import Callable

import numpy as np

from ..cues import AudioKind
from ..errors import EngineError, ErrorKind
from . import ambience, music, sfx

Generator = Callable[[int, np.random.Generator], np.ndarray]

_CATALOGUE: dict[AudioKind, tuple[dict[str, Generator], dict[str, str], dict[str, tuple[str, ...]]]] = {
    AudioKind.AMBIENCE: (ambience.PRESETS, ambience.ALIASES, ambience.KEYWORDS),
    AudioKind.SFX: (sfx.PRESETS, sfx.ALIASES, sfx.KEYWORDS),
    AudioKind.MUSIC: (music.PRESETS, music.ALIASES, music.KEYWORDS),
}


def preset_names(kind: AudioKind | str) -> tuple[str, ...]:
    """The presets a cue kind offers (for the inspector's combo box and error messages)."""
    kind = AudioKind.parse(kind)
    return tuple(_CATALOGUE[kind][0]) if kind in _CATALOGUE else ()


def _normal(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def resolve_preset(kind: AudioKind, preset: str = "", text: str = "") -> str:
    """The preset a cue means: its preset name (or an alias), else the keyword that appears first in
    its description ('heavy rain on tin roof' -> rain). Raises EngineError listing the presets."""
    kind = AudioKind.parse(kind)
    if kind not in _CATALOGUE:
        raise EngineError(ErrorKind.BAD_INPUT, f"{kind.value} cues have no built-in presets")
    presets, aliases, keywords = _CATALOGUE[kind]
    listing = ", ".join(presets)
    what = "music mood" if kind is AudioKind.MUSIC else f"{kind.value} preset"
    if preset.strip():
        name = _normal(preset)
        name = aliases.get(name, name)
        if name not in presets:
            raise EngineError(ErrorKind.BAD_INPUT, f"unknown {what} {preset!r}: choose one of {listing}")
        return name
    lowered = text.lower()
    best: tuple[int, int, str] | None = None
    for name, words in keywords.items():
        for word in words:
            match = re.search(r"\b" + re.escape(word), lowered)
            if match and (best is None or (match.start(), -len(word)) < best[:2]):
                best = (match.start(), -len(word), name)
    if best is None:
        raise EngineError(ErrorKind.BAD_INPUT,
                          f"no {what} matches {text!r}: name one of {listing}, or attach a sound file")
    return best[2]


def generator(kind: AudioKind, name: str) -> Generator:
    return _CATALOGUE[AudioKind.parse(kind)][0][name]
