"""Scratch audio for a take: a shot's audio cues rendered to a 48 kHz WAV master (and stems).

Called by the previs and diffusion backends on the engine worker thread:

    shot = render_shot_audio(request.audio, request.frames, request.fps, out_dir / "audio.wav",
                             request.scene.characters, stems_dir=out_dir / "stems", seed=request.seed)

The master is 24-bit PCM stereo at 48 kHz (see `wav.py`), exactly round(frames * 48000 / fps)
samples long, so it lines up with the video at any rate (24, 25, 30000/1001 ...). Cues land
sample-accurately at round(start * 48000 / fps). Same cues + seed -> identical bytes.

Buses: dialogue (espeak-ng or a recorded file), sfx, ambience and music. The beds (ambience,
music) duck by ~10 dB under dialogue; the sum goes through a look-ahead limiter that keeps the
master at or below -1 dBFS. Stems are the post-duck, pre-limiter buses, so they re-mix cleanly.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..cues import AudioCue, AudioKind
from ..errors import EngineError, ErrorKind
from . import dsp, mix, presets, voice
from .decode import decode_file
from .presets import preset_names, resolve_preset
from .wav import read_wav, write_silence, write_wav

SAMPLE_RATE = dsp.SR
KINDS = tuple(k.value for k in AudioKind)  # dialogue, sfx, ambience, music: the stem names
BED_KINDS = (AudioKind.AMBIENCE, AudioKind.MUSIC)
_FADE_EDGE_S = 0.01   # a bed meeting the shot's edge: just enough to avoid a click at the cut
_FADE_INNER_S = 0.08  # a bed starting or ending inside the shot


def frame_to_sample(frame: int, fps, sample_rate: int = SAMPLE_RATE) -> int:
    """The sample where a frame starts: round(frame * rate / fps), halves rounding up, exact for
    rational rates. The one rounding rule shared by shots, cuts and the timeline."""
    value = Fraction(frame) * sample_rate / Fraction(fps)
    return int((value + Fraction(1, 2)) // 1)


def stems_dir_for(out_wav: str | os.PathLike) -> Path:
    """Where a take's stems live by convention: beside its master, `<name>.stems/<kind>.wav`.
    Backends pass this as stems_dir; the cut mix looks there when a segment names no stems."""
    out_wav = Path(out_wav)
    return out_wav.with_name(out_wav.stem + ".stems")


@dataclass(frozen=True)
class CuePlacement:
    """Where one cue landed in the shot's master (samples at the master's rate)."""
    index: int        # position of the cue in the list given
    cue_id: str
    kind: str
    onset: int        # first sample of the cue's sound
    length: int       # samples placed (0: the cue starts after the shot ends)
    source: str       # 'voice:en-us+m3', 'ambience:rain', 'music:tense', 'file:/abs/path.wav'

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ShotAudio:
    path: str
    sample_rate: int
    samples: int
    placements: tuple[CuePlacement, ...] = ()
    stems: Mapping[str, str] = field(default_factory=dict)  # kind -> WAV path
    peak_db: float = -120.0

    def to_dict(self) -> dict:
        return {"path": self.path, "sample_rate": self.sample_rate, "samples": self.samples,
                "placements": [p.to_dict() for p in self.placements], "stems": dict(self.stems),
                "peak_db": self.peak_db}


def render_shot_audio(cues: Iterable[AudioCue], frames: int, fps, out_wav: str | os.PathLike,
                      characters: Sequence = (), *, stems_dir: str | os.PathLike | None = None,
                      sample_rate: int = SAMPLE_RATE, seed: int = 0, cancel=None) -> ShotAudio:
    """Render the cues of a shot `frames` long at `fps` into `out_wav` (written atomically).

    characters: `engine.jobs.CharacterSpec`s (name, voice) for the dialogue voices. seed varies the
    synthesized sounds (the request's seed). cancel: a CancelToken, checked between cues and inside
    long syntheses (raises JobCancelled; nothing is written).
    """
    with dsp.cancellable(cancel):
        return _render(tuple(cues), frames, fps, Path(out_wav), characters, stems_dir, sample_rate, seed)


def _render(cues, frames, fps, out_wav: Path, characters, stems_dir, sample_rate, seed) -> ShotAudio:
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 0:
        raise EngineError(ErrorKind.BAD_INPUT, f"audio: {frames!r} is not a frame count")
    fps = Fraction(fps)
    n = frame_to_sample(frames, fps, SAMPLE_RATE)
    buses: dict[AudioKind, np.ndarray] = {}  # float32 and only for kinds present: long shots are big
    voices = _voices(cues, characters)
    placements = []
    for index, cue in enumerate(cues):
        dsp.checkpoint()
        onset = frame_to_sample(cue.start, fps)
        wanted = frame_to_sample(cue.start + cue.duration, fps) - onset if cue.duration else 0
        room = n - onset
        if room <= 0:
            placements.append(CuePlacement(index, cue.cue_id, cue.kind.value, onset, 0, _source(cue, voices)))
            continue
        sound, source = _render_cue(cue, wanted, room, voices, seed)
        if sound.shape[0] > room:  # cut by the end of the shot: a short fade, no click at the cut
            sound = dsp.fade(sound[:room], 0, min(room, int(_FADE_EDGE_S * SAMPLE_RATE) // 2))
        sound *= dsp.db(cue.gain_db)
        dsp.add_at(buses.setdefault(cue.kind, np.zeros((n, 2), np.float32)), sound, onset)
        placements.append(CuePlacement(index, cue.cue_id, cue.kind.value, onset, sound.shape[0], source))
        del sound  # before the next cue renders: long beds are big

    dsp.checkpoint()
    if AudioKind.DIALOGUE in buses and any(kind in buses for kind in BED_KINDS):
        duck = mix.duck_envelope(buses[AudioKind.DIALOGUE])[:, None]
        for kind in BED_KINDS:
            if kind in buses:
                buses[kind] *= duck
        del duck
    master = np.zeros((n, 2), np.float32)
    for bus in buses.values():
        master += bus
    master = mix.limit(master)

    if sample_rate != SAMPLE_RATE:
        n_out = frame_to_sample(frames, fps, sample_rate)
        convert = lambda x: _fit(dsp.resample(x, SAMPLE_RATE, sample_rate), n_out)  # noqa: E731
        master = np.clip(convert(master), -1.0, 1.0)
        buses = {k: convert(v) for k, v in buses.items()}
    dsp.checkpoint()
    write_wav(out_wav, master, sample_rate)
    stems = {}
    if stems_dir is not None:
        for kind in AudioKind:  # every kind gets a stem (silent when unused): the export concatenates them
            target = Path(stems_dir) / f"{kind.value}.wav"
            if kind in buses:
                stems[kind.value] = str(write_wav(target, np.clip(buses[kind], -1, 1, out=buses[kind]), sample_rate))
            else:
                stems[kind.value] = str(write_silence(target, master.shape[0], sample_rate))
    peak = float(np.max(np.abs(master))) if master.size else 0.0
    return ShotAudio(str(out_wav), sample_rate, master.shape[0], tuple(placements), stems,
                     round(20 * np.log10(max(peak, 1e-6)), 2))


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    if x.shape[0] >= n:
        return x[:n]
    return np.concatenate([x, np.zeros((n - x.shape[0],) + x.shape[1:])])


def _voices(cues: Sequence[AudioCue], characters: Sequence) -> dict[str, str]:
    explicit = {c.name.strip().lower(): c.voice for c in characters if getattr(c, "voice", "")}
    speakers = [c.character for c in cues if c.kind is AudioKind.DIALOGUE and c.character and not c.voice]
    return voice.assign_voices(speakers, explicit)


def _source(cue: AudioCue, voices: Mapping[str, str]) -> str:
    if cue.file:
        return f"file:{cue.file}"
    if cue.kind is AudioKind.DIALOGUE:
        return f"voice:{cue.voice or voices.get(cue.character.strip().lower(), voice.DEFAULT_VOICE)}"
    return f"{cue.kind.value}:{resolve_preset(cue.kind, cue.preset, cue.text)}"


def _render_cue(cue: AudioCue, wanted: int, room: int, voices: Mapping[str, str], seed: int) -> tuple[np.ndarray, str]:
    """The cue's sound as stereo float64 (may run past `room`, the samples left in the shot; the
    caller cuts it); `wanted` > 0 is the cue's length in samples."""
    source = _source(cue, voices)
    bed = cue.kind in BED_KINDS
    if cue.file:
        # one sample more than fits, so a file cut by the shot's end gets the fade below in _render
        sound = decode_file(cue.file, max_samples=min(wanted or room, room) + 1)
        if wanted and sound.shape[0] > wanted:
            sound = dsp.fade(sound[:wanted], 0, min(wanted, int(_FADE_INNER_S * SAMPLE_RATE)))
        return sound, source
    if cue.kind is AudioKind.DIALOGUE:
        line = voice.speak(cue.text, source.split(":", 1)[1], fit_samples=wanted)
        return dsp.pan(line, 0.0) * np.sqrt(2), source
    name = source.split(":", 1)[1]
    # beds stop at the shot's end; an effect keeps its cue length (a riser peaks where it was
    # timed) and is cut by the shot's end like any sound
    length = (min(wanted, room) if wanted else room) if bed else wanted
    # seeded by what the cue is (and its stable id), not its list position: reordering cues in the
    # inspector does not change how they sound
    rng = dsp.rng_for(seed, cue.kind.value, name, cue.text, cue.start, cue.duration, cue.cue_id)
    sound = presets.generator(cue.kind, name)(length, rng)
    if bed:
        ends_at_edge = sound.shape[0] >= room
        fade_in = _FADE_EDGE_S if cue.start == 0 else _FADE_INNER_S
        fade_out = _FADE_EDGE_S if ends_at_edge else _FADE_INNER_S
        dsp.fade(sound, int(fade_in * SAMPLE_RATE), int(fade_out * SAMPLE_RATE))
    return sound, source


__all__ = ["render_shot_audio", "ShotAudio", "CuePlacement", "frame_to_sample", "stems_dir_for", "preset_names",
           "resolve_preset", "read_wav", "write_wav", "decode_file", "SAMPLE_RATE", "KINDS"]


def dialogue_lines(cues: Iterable[AudioCue], frames: int, fps, characters: Sequence = ()) -> dict[str, np.ndarray]:
    """Each speaking character's dialogue as one mono track `frames` long (lower-cased name ->
    float64 samples at SAMPLE_RATE), spoken exactly as render_shot_audio speaks it (same voices,
    same cue timing): the previs reads the mouth's opening from it (scratch lip-sync)."""
    cues = tuple(c for c in cues if c.kind is AudioKind.DIALOGUE and c.character and not c.file)
    n = frame_to_sample(frames, Fraction(fps), SAMPLE_RATE)
    voices = _voices(cues, characters)
    out: dict[str, np.ndarray] = {}
    for cue in cues:
        start = frame_to_sample(cue.start, Fraction(fps), SAMPLE_RATE)
        if start >= n:
            continue
        wanted = frame_to_sample(cue.duration, Fraction(fps), SAMPLE_RATE) if cue.duration else 0
        sound, _ = _render_cue(cue, wanted, n - start, voices, 0)
        mono = sound.mean(axis=1) if sound.ndim == 2 else sound
        track = out.setdefault(cue.character.strip().lower(), np.zeros(n))
        end = min(n, start + mono.shape[0])
        track[start:end] += mono[: end - start]
    return out
