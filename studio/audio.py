"""The cut's audio: each take's WAV master laid at its record position into one 48 kHz master.

The export calls `mix_cut(edit.to_audio_segments(), fps, out_wav)` before its ffmpeg pass; the
timeline and the interchange writers use the same sample maths (`studio.timebase.samples_for_frames`).
Everything streams in one-second blocks: a ten-minute cut never sits in memory, and only the takes
under the current block are open. Crossfades are equal-power (constant loudness across uncorrelated
takes); a fade against nothing is a dip. Output is 24-bit PCM stereo (engine.audio.wav), written
atomically. No Qt, no torch.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from engine.audio.wav import WavReader, WavWriter
from engine.errors import EngineError
from engine.fsio import atomic_path

from .errors import UserError
from .timebase import samples_for_frames

SAMPLE_RATE = 48000
STEM_KINDS = ("dialogue", "sfx", "ambience", "music")
_BLOCK = 48000


@dataclass(frozen=True)
class CutAudioSegment:
    """One take's audio in the cut. Frames at the cut's fps.

    source_in/source_out select the part of the take's WAV (out exclusive), record_in is where it
    starts in the cut; fade_in/fade_out (frames) shape its head and tail, for crossfades (two
    segments overlapping with matching fades) or dips. stems: the take's per-kind WAVs as
    (kind, path) pairs; empty = look beside the master (`engine.audio.stems_dir_for`).
    """
    wav_path: str
    source_in: int
    source_out: int
    record_in: int
    fade_in: int = 0
    fade_out: int = 0
    stems: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name in ("source_in", "source_out", "record_in", "fade_in", "fade_out"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise UserError(f"audio segment {name}: {value!r} is not a frame number")
        if self.source_out < self.source_in:
            raise UserError(f"audio segment: out ({self.source_out}) before in ({self.source_in})")
        object.__setattr__(self, "stems", tuple((str(k), str(p)) for k, p in dict(self.stems).items()))

    @property
    def length(self) -> int:
        return self.source_out - self.source_in

    def stem_path(self, kind: str) -> str:
        explicit = dict(self.stems)
        if kind in explicit:
            return explicit[kind]
        from engine.audio import stems_dir_for
        return str(stems_dir_for(self.wav_path) / f"{kind}.wav")


@dataclass(frozen=True)
class CutMix:
    path: str
    samples: int
    sample_rate: int
    stems: Mapping[str, str]
    warnings: tuple[str, ...] = ()


@dataclass
class _Placed:
    """A segment in samples: record span [start, end), where to read, its fades."""
    segment: CutAudioSegment
    start: int
    end: int
    source_start: int
    fade_in: int
    fade_out: int

    def gain(self, lo: int, hi: int) -> np.ndarray:
        """Equal-power fade gains for cut samples [lo, hi)."""
        pos = np.arange(lo, hi) - self.start
        g = np.ones(hi - lo)
        if self.fade_in:
            head = pos < self.fade_in
            g[head] *= np.sin(0.5 * np.pi * (pos[head] + 0.5) / self.fade_in)
        if self.fade_out:
            left = self.end - self.start - pos
            tail = left <= self.fade_out
            g[tail] *= np.sin(0.5 * np.pi * (left[tail] - 0.5) / self.fade_out)
        return g


def _place(seg: CutAudioSegment, fps: Fraction, sr: int) -> _Placed:
    start = samples_for_frames(seg.record_in, fps, sr)
    end = samples_for_frames(seg.record_in + seg.length, fps, sr)
    length = end - start
    return _Placed(seg, start, end, samples_for_frames(seg.source_in, fps, sr),
                   min(length, samples_for_frames(seg.fade_in, fps, sr)),
                   min(length, samples_for_frames(seg.fade_out, fps, sr)))


def _open(path: str, sr: int, required: bool) -> WavReader | None:
    if not path or not os.path.isfile(path):
        if required:
            raise UserError(f"cannot mix the cut's audio: the take audio {path} is missing")
        return None
    try:
        reader = WavReader(path)
    except EngineError as exc:
        raise UserError(f"cannot mix the cut's audio: {exc.message}") from exc
    if reader.sample_rate != sr:
        reader.close()
        raise UserError(f"cannot mix the cut's audio: {Path(path).name} is {reader.sample_rate} Hz, "
                        f"not {sr} Hz (regenerate the take)")
    return reader


def _stereo(block: np.ndarray) -> np.ndarray:
    if block.shape[1] == 1:
        return np.repeat(block, 2, axis=1)
    return block[:, :2]


def _cancelled(cancel: Any) -> bool:
    if cancel is None:
        return False
    if callable(cancel) and not hasattr(cancel, "cancelled"):
        return bool(cancel())
    return bool(getattr(cancel, "cancelled", False))


def _stream(placed: list[_Placed], total: int, tracks: list[tuple[Path, Callable[[CutAudioSegment], str], bool]],
            sr: int, cancel: Any, warnings: list[str]) -> None:
    """Mix every track (target, which file of a segment, is that file required) in one pass."""
    order = sorted(range(len(placed)), key=lambda i: placed[i].start)
    with contextlib.ExitStack() as stack:
        writers = []
        for target, _, _ in tracks:
            tmp = stack.enter_context(atomic_path(target))
            fh = stack.enter_context(open(tmp, "wb"))
            writers.append(WavWriter(fh, sr, 2))
        readers: dict[tuple[int, int], WavReader | None] = {}
        try:
            for lo in range(0, total, _BLOCK):
                if _cancelled(cancel):
                    from engine.errors import JobCancelled
                    raise JobCancelled()
                hi = min(total, lo + _BLOCK)
                for t, (target, path_of, required) in enumerate(tracks):
                    out = np.zeros((hi - lo, 2))
                    for i in order:
                        p = placed[i]
                        if p.start >= hi:
                            break
                        if p.end <= lo:
                            if (t, i) in readers:
                                reader = readers.pop((t, i))
                                if reader is not None:
                                    reader.close()
                            continue
                        if (t, i) not in readers:
                            path = path_of(p.segment)
                            readers[(t, i)] = _open(path, sr, required)
                            if readers[(t, i)] is None:
                                warnings.append(f"{target.name}: the take at {p.segment.record_in} has no "
                                                f"{Path(path).name} stem; silence in its place")
                        reader = readers[(t, i)]
                        if reader is None:
                            continue
                        a, b = max(lo, p.start), min(hi, p.end)
                        chunk = _stereo(reader.read(p.source_start + a - p.start, b - a))
                        out[a - lo:b - lo] += chunk * p.gain(a, b)[:, None]
                    writers[t].write(np.clip(out, -1.0, 1.0))
            for w in writers:
                w.close()
        finally:
            for reader in readers.values():
                if reader is not None:
                    reader.close()


def _total(placed: list[_Placed], fps: Fraction, sr: int, total_frames: int | None) -> int:
    if total_frames is not None:
        return samples_for_frames(total_frames, fps, sr)
    return max((p.end for p in placed), default=0)


def mix_cut(segments: Sequence[CutAudioSegment], fps, out_wav: str | os.PathLike, *,
            sample_rate: int = SAMPLE_RATE, stems: Mapping[str, str | os.PathLike] | None = None,
            total_frames: int | None = None, cancel: Any = None) -> CutMix:
    """Write the cut's master to out_wav (and, with `stems` = {kind: path}, the per-kind stems in
    the same pass). Length: total_frames when given (the cut's video length), else the end of the
    last segment. Raises UserError naming a missing or foreign take WAV; a missing stem file is
    silence plus a warning. Cancel: a CancelToken, anything with `.cancelled`, or a callable."""
    fps = Fraction(fps)
    placed = [_place(s, fps, sample_rate) for s in segments if s.wav_path and s.length > 0]
    total = _total(placed, fps, sample_rate, total_frames)
    tracks = [(Path(out_wav), lambda s: s.wav_path, True)]
    for kind, target in (stems or {}).items():
        tracks.append((Path(target), lambda s, k=kind: s.stem_path(k), False))
    warnings: list[str] = []
    _stream(placed, total, tracks, sample_rate, cancel, warnings)
    return CutMix(str(out_wav), total, sample_rate, {k: str(v) for k, v in (stems or {}).items()}, tuple(warnings))


def mix_cut_stems(segments: Sequence[CutAudioSegment], fps, out_dir: str | os.PathLike, *,
                  kinds: Sequence[str] = STEM_KINDS, sample_rate: int = SAMPLE_RATE,
                  total_frames: int | None = None, cancel: Any = None) -> dict[str, str]:
    """Concatenate the takes' per-kind stems like the master (same positions and fades) into
    out_dir/<kind>.wav, for the export's "WAV stems per cue kind". Returns {kind: path}."""
    fps = Fraction(fps)
    placed = [_place(s, fps, sample_rate) for s in segments if s.wav_path and s.length > 0]
    total = _total(placed, fps, sample_rate, total_frames)
    tracks = [(Path(out_dir) / f"{kind}.wav", lambda s, k=kind: s.stem_path(k), False) for kind in kinds]
    _stream(placed, total, tracks, sample_rate, cancel, [])
    return {kind: str(Path(out_dir) / f"{kind}.wav") for kind in kinds}
