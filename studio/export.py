"""Export the cut: edit list -> ONE ffmpeg process -> a finished file, written atomically.

Who calls: the CLI (`shotreel export`), the export dialog (through a worker thread: `progress` and
`cancel` are thread-safe), `make demo`, the export benchmark. `export_and_sign` is the usual entry
point: it renders to a temporary name beside the target, hands that finished file to
`studio.provenance.sign_export` (the only thing allowed to touch it afterwards: a remux would drop the
manifest), and only then renames it into place, so the final name never holds an unsigned or partial
file, whenever the process dies. Intermediate files live in the project's media/cache in a folder named
after the exporting process and locked while it runs; the next export sweeps what a killed one left.

The ffmpeg graph (built without I/O by `studio.export_graph.plan_export`, readable in `ExportPlan.args`;
run by `engine.ffmpeg_run.run_ffmpeg`, the runner the take encoder uses too; signing in `studio.export_sign`):
  the takes are read from "reels": `-f concat` inputs, two per media format, neighbours in the cut on
  different reels (A/B roll) so a crossfade reads both at once -> per reel ONE conform (`scale+pad`
  into the output size keeping the aspect, `setsar=1`, yuv420p) and the dips as time-windowed `fade`s
  -> `split` into taps -> `trim` on the reel's timestamps to exactly each piece's frames (+ `fps` only
  for a take at another rate) -> track A = one `concat` of the clips (crossfaded tails included);
  with crossfades track B = the same with the incoming heads instead, its alpha ramped by in-place
  fades, `overlay`ed on A inside the crossfade windows only -> `overlay` of the watermark badge PNG
  (rendered once, moving along time expressions) -> encoder. Audio: the 48 kHz mix WAV that
  `studio.audio.mix_cut` renders (streamed) from the same edit list just before, padded/trimmed to
  the exact picture length.
Memory stays flat with the length of the cut (see `_video_graph`): Python only reads ffmpeg's
`-progress` lines, there are two decoders per format however many shots, and the number of filters
that allocate frames does not grow with the shots or the transitions.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Optional

from engine.encode import EncodeSettings
from engine.errors import EngineError, JobCancelled
from engine.ffmpeg_run import CancelLike, run_ffmpeg
from engine.ffmpeg_run import is_cancelled as _is_cancelled
from engine.fsio import PARTIAL_MARKER, atomic_path, atomic_write_text, ffmpeg_path
from engine.jobs import Progress

from .consent import check_export, record_export
from .errors import UserError
from .model import Project
from .export_graph import (GIF_FPS, GIF_MAX, PRESETS, SAMPLE_RATE, ExportPlan, MediaInfo, Preset, output_size,
                           plan_export, preset_for)
from .export_sign import make_signer
from .playlist import EditList, build_edit_list
from .watermark import WatermarkSettings, write_badge

__all__ = ["PRESETS", "ExportError", "ExportIngredient", "ExportResult", "ExportPlan", "export_video",
           "export_and_sign", "export_audio", "AudioExportResult", "is_audio_target", "plan_export", "output_size", "preset_for"]

class ExportError(UserError):
    """ffmpeg failed. The message ends with ffmpeg's last lines; `details` holds its whole stderr tail."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


@dataclass(frozen=True)
class ExportIngredient:
    """A take placed in the export, as the C2PA signer needs it."""
    take_id: str
    shot_id: str
    shot_number: int
    title: str
    path: str               # absolute path of the take's video file


@dataclass(frozen=True)
class ExportResult:
    path: str
    preset: str
    width: int
    height: int
    fps: Fraction
    frames: int
    duration_s: float
    watermark: bool
    has_audio: bool
    elapsed_s: float
    ingredients: tuple[ExportIngredient, ...]
    edit_list: EditList
    warnings: tuple[str, ...] = ()
    likenesses: tuple[dict, ...] = ()   # consented likenesses shown (studio.consent.likeness_note)

    def summary(self) -> str:
        return (f"{Path(self.path).name}: {self.width}x{self.height} {float(self.fps):g} fps, "
                f"{self.duration_s:.2f}s, watermark {'on' if self.watermark else 'off'}")


def _probe(edit: EditList) -> dict[str, MediaInfo]:
    """Every take file of the cut, read once with PyAV: what the graph builder needs of it."""
    import av
    media: dict[str, MediaInfo] = {}
    for path in dict.fromkeys(e.media for e in edit.entries):
        try:
            with av.open(path) as container:
                video = container.streams.video[0]
                ctx = video.codec_context
                key = (ctx.name, ctx.width, ctx.height, str(ctx.format.name if ctx.format else ""),
                       str(video.average_rate), tuple(sorted(s.type for s in container.streams)))
                media[path] = MediaInfo(key, Fraction(container.duration or 0, 1_000_000))
        except (av.error.FFmpegError, IndexError, OSError) as exc:
            raise UserError(f"cannot read the take file {path}: {exc}") from None
    return media


def _run(plan: ExportPlan, *, progress: Optional[Callable[[Progress], None]], cancel: CancelLike,
         what: str) -> None:
    """Write the plan's concat lists and run it through engine's ffmpeg runner (the encoder's runner too)."""
    for path, text in plan.files.items():
        atomic_write_text(Path(path), text)
    try:
        run_ffmpeg(plan.args, plan.frames, plan.fps, progress=progress, cancel=cancel, what=what)
    except EngineError as exc:
        raise ExportError(exc.message, exc.details) from exc


# ---- the export ---------------------------------------------------------------------------------

def _check_media(edit: EditList) -> None:
    """Every take file must still be there and readable when ffmpeg starts (a clear message, not ffmpeg's)."""
    gone = [e for e in edit.entries if not e.is_slate and not os.access(e.media, os.R_OK)]
    if gone:
        listed = "; ".join(f"shot {e.shot_number}" + (f" '{e.title}'" if e.title else "") + f": {e.media}"
                           for e in gone)
        raise UserError(f"cannot export the cut: take file missing or unreadable — {listed}")


def _render_mix(edit: EditList, folder: Path, cancel: CancelLike = None) -> Optional[str]:
    """The cut's 48 kHz mix WAV (studio.audio, streamed in blocks), or None when no clip has audio."""
    segments = edit.to_audio_segments()
    if not segments:
        return None
    from .audio import mix_cut
    target = folder / "mix.wav"
    mix_cut(segments, edit.fps, str(target), total_frames=edit.duration, cancel=cancel)
    return str(target)


def _ingredients(edit: EditList) -> tuple[ExportIngredient, ...]:
    seen: dict[str, ExportIngredient] = {}
    for e in edit.playable:
        if e.take_id not in seen:
            seen[e.take_id] = ExportIngredient(e.take_id, e.shot_id, e.shot_number, e.label, e.media)
    return tuple(seen.values())


WORK_PREFIX = "shotreel-export-"
_LOCK = ".lock"
_YOUNG_S = 60.0   # a work folder this new may not hold its lock yet


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _work_is_live(work: Path) -> bool:
    """Whether another export still uses `work`: its process (named in the folder) is alive and holds an flock
    on the folder's lock file. A killed export's folder is dead at once, whatever its age."""
    import fcntl
    owner = work.name[len(WORK_PREFIX):].split("-", 1)[0]
    if owner.isdigit() and not _pid_alive(int(owner)):
        return False
    try:
        fd = os.open(work / _LOCK, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:  # no lock (an older version's folder, or one being made this instant)
        try:
            return time.time() - work.stat().st_mtime < _YOUNG_S
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def sweep_export_leftovers(folder: str | os.PathLike, out: Path | None = None) -> list[Path]:
    """What killed exports left: work folders in the project's media/cache and (older versions) the system
    temp folder that no live export holds, and the temp files of `out` itself beside it. Returns what went."""
    removed: list[Path] = []
    for root in (Path(folder) / "media" / "cache", Path(tempfile.gettempdir())):
        for work in root.glob(f"{WORK_PREFIX}*") if root.is_dir() else ():
            if work.is_dir() and not work.is_symlink() and not _work_is_live(work):
                shutil.rmtree(work, ignore_errors=True)
                removed.append(work)
    if out is not None and out.parent.is_dir():
        import glob
        for tmp in out.parent.glob(f"{glob.escape(out.stem)}{PARTIAL_MARKER}*{glob.escape(out.suffix)}"):
            if tmp.is_file() and not tmp.is_symlink():
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed


class _WorkFolder:
    """A private folder in the project's cache for one export's intermediate files, locked while in use."""

    def __init__(self, folder: str | os.PathLike):
        import fcntl
        cache = Path(folder) / "media" / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-", dir=cache))
        self._fd = os.open(self.path / _LOCK, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: Any) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self._fd)


Finish = Callable[[Path, Any], None]   # signs the complete temporary file before it gets its final name


def export_video(project: Project, folder: str | os.PathLike, out_path: str | os.PathLike, *,
                 preset: Optional[str] = None, watermark: Optional[WatermarkSettings] = None,
                 progress: Optional[Callable[[Progress], None]] = None, cancel: CancelLike = None,
                 sequence_id: Optional[str] = None, encode: EncodeSettings = EncodeSettings(),
                 finish: Optional[Finish] = None) -> ExportResult:
    """Render the cut to `out_path` (.mp4/.m4v/.mov H.264+AAC, .mov ProRes, .gif) in one ffmpeg run.

    `watermark` None = the project's settings (on by default). Raises UserError for an incomplete cut
    or a missing take file, ExportError when ffmpeg fails, JobCancelled on cancel (the partial file is
    removed and an existing `out_path` is left untouched). `finish(tmp, result)` runs on the complete
    temporary file before the rename (the signature), so the final name never holds an unsigned file."""
    started = time.monotonic()
    out = Path(out_path)
    chosen = preset_for(out, preset)
    if watermark is None:
        watermark = WatermarkSettings.from_settings(project.settings.get("watermark"))
    edit = build_edit_list(project, sequence_id=sequence_id, folder=folder)
    edit.require_complete()
    likenesses = check_export(project, edit, folder)
    _check_media(edit)
    if out.exists() and out.is_dir():
        raise UserError(f"{out} is a folder: give a file name ending in {chosen.extensions[0]}")
    sweep_export_leftovers(folder, out)
    with _WorkFolder(folder) as work:
        if progress is not None and chosen.container != "gif":
            progress(Progress("export", "audio", 0, edit.duration, None, message=f"{out.name}: mixing the audio"))
        mix = _render_mix(edit, work, cancel) if chosen.container != "gif" else None
        if _is_cancelled(cancel):
            raise JobCancelled()
        badge = None
        if watermark.enabled:
            w, _ = output_size(project, chosen)
            png = work / "badge.png"
            bw, bh = write_badge(watermark, edit.title or project.name, w, png)
            badge = (str(png), bw, bh)
        with atomic_path(out) as tmp:
            plan = plan_export(project, edit, chosen, tmp, work=work, media=_probe(edit), mix_wav=mix,
                               badge=badge, encode=encode, ffmpeg=ffmpeg_path())
            _run(plan, progress=progress, cancel=cancel, what=out.name)
            result = ExportResult(str(tmp), chosen.name, plan.width, plan.height, plan.fps, plan.frames,
                                  float(Fraction(edit.duration) / edit.fps), watermark.enabled, plan.has_audio,
                                  0.0, _ingredients(edit), edit, edit.warnings, tuple(likenesses))
            if finish is not None:
                finish(tmp, result)
    record_export(folder, out, likenesses, ((e.shot_id, e.take_id) for e in edit.playable))
    return replace(result, path=str(out.resolve()), elapsed_s=time.monotonic() - started)


@dataclass(frozen=True)
class AudioExportResult:
    path: str                       # the mix WAV (for stems: <folder>/mix.wav)
    stems: dict[str, str]           # kind -> WAV path ({} for a plain mix)
    samples: int
    duration_s: float
    ingredients: tuple[ExportIngredient, ...]
    edit_list: EditList
    warnings: tuple[str, ...] = ()
    likenesses: tuple[dict, ...] = ()


def is_audio_target(out_path: str | os.PathLike, stems: bool = False) -> bool:
    """A .wav file (the mix) or a folder (stems) rather than a picture file."""
    path = Path(out_path)
    return stems or path.suffix.lower() == ".wav" or path.is_dir() or not path.suffix


def export_audio(project: Project, folder: str | os.PathLike, out_path: str | os.PathLike, *,
                 stems: bool = False, cancel: CancelLike = None,
                 sequence_id: Optional[str] = None, finish: Optional[Finish] = None) -> AudioExportResult:
    """The cut's 48 kHz mix as a WAV (`out_path` ending in .wav), or with `stems` (or a folder as
    `out_path`) the folder's mix.wav plus one WAV per cue kind (dialogue, sfx, ambience, music)."""
    from .audio import STEM_KINDS, mix_cut
    out = Path(out_path)
    edit = build_edit_list(project, sequence_id=sequence_id, folder=folder)
    edit.require_complete("export the cut's audio")
    likenesses = check_export(project, edit, folder)
    _check_media(edit)
    segments = edit.to_audio_segments()
    # like the movie's audio track (silent when no take has sound), not a refusal: same cut, same length
    silent = () if segments else ("no take in the cut has sound of its own: the WAV is silence of the "
                                  "cut's length, as the movie's audio track is",)
    if stems or out.suffix.lower() != ".wav":
        if out.suffix and not out.is_dir():
            raise UserError(f"stems go to a folder, not to {out.name}")
        out.mkdir(parents=True, exist_ok=True)
        stem_paths = {kind: str(out / f"{kind}.wav") for kind in STEM_KINDS}
        mix = mix_cut(segments, edit.fps, out / "mix.wav", stems=stem_paths, total_frames=edit.duration,
                      cancel=cancel)
    else:
        sweep_export_leftovers(folder, out)
        with atomic_path(out) as tmp:   # mixed and signed under a temporary name, then renamed
            mix = mix_cut(segments, edit.fps, tmp, total_frames=edit.duration, cancel=cancel)
            result = AudioExportResult(str(tmp), {}, mix.samples, mix.samples / mix.sample_rate, _ingredients(edit),
                                       edit, tuple(edit.warnings) + silent + tuple(mix.warnings), tuple(likenesses))
            if finish is not None:
                finish(tmp, result)
        record_export(folder, out, likenesses, ((e.shot_id, e.take_id) for e in edit.playable))
        return replace(result, path=str(out.resolve()))
    record_export(folder, out, likenesses, ((e.shot_id, e.take_id) for e in edit.playable))
    return AudioExportResult(str(Path(mix.path).resolve()), stem_paths, mix.samples,
                             mix.samples / mix.sample_rate, _ingredients(edit), edit,
                             tuple(edit.warnings) + silent + tuple(mix.warnings), tuple(likenesses))


def export_and_sign(project: Project, folder: str | os.PathLike, out_path: str | os.PathLike, *,
                    identity: Any = None, stems: bool = False, **kwargs: Any):
    """Export by the target's kind (.mp4/.mov/.gif -> `export_video`, .wav or a folder -> `export_audio`),
    signing the finished temporary file with the studio identity (or `identity`) before it is renamed into
    place (`studio.export_sign`): a crash at any moment leaves the old file or a complete signed one. Stem
    folders and builds without studio.provenance stay unsigned. Returns the ExportResult / AudioExportResult."""
    sign = make_signer(project, identity, stems)
    if is_audio_target(out_path, stems):
        audio_kwargs = {k: v for k, v in kwargs.items() if k in ("cancel", "sequence_id")}
        return export_audio(project, folder, out_path, stems=stems, finish=sign, **audio_kwargs)
    return export_video(project, folder, out_path, finish=sign, **kwargs)
