"""Export the cut: edit list -> ONE ffmpeg process -> a finished file, written atomically.

Who calls: the CLI (`shotreel export`), the export dialog (through a worker thread: `progress` and
`cancel` are thread-safe), `make demo`, the export benchmark. `export_and_sign` is the usual entry
point: it renders to a temporary name beside the target, hands that finished file to
`studio.provenance.sign_export` (the only thing allowed to touch it afterwards: a remux would drop the
manifest), and only then renames it into place, so the final name never holds an unsigned or partial
file, whenever the process dies. Intermediate files live in the project's media/cache in a folder named
after the exporting process and locked while it runs; the next export sweeps what a killed one left.

The ffmpeg graph (built by `plan_export`, readable in `ExportPlan.args`):
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

import collections
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Optional

from engine.encode import EncodeSettings
from engine.errors import JobCancelled
from engine.fsio import PARTIAL_MARKER, atomic_path, atomic_write_text, ffmpeg_path
from engine.jobs import Progress

from .consent import check_export, record_export
from .errors import UserError
from .model import Project
from .playlist import EditEntry, EditList, build_edit_list
from .timebase import samples_for_frames
from .watermark import WatermarkSettings, overlay_position, write_badge

__all__ = ["PRESETS", "ExportError", "ExportIngredient", "ExportResult", "ExportPlan", "export_video",
           "export_and_sign", "export_audio", "AudioExportResult", "is_audio_target", "plan_export", "output_size", "preset_for"]

SAMPLE_RATE = 48000
GIF_FPS = Fraction(10)      # GIF delays are centiseconds: 10 fps is exact, 12 or 24 are not
GIF_MAX = (480, 270)
_COLOR_TAGS = ["-colorspace", "bt470bg", "-color_primaries", "bt470bg", "-color_trc", "smpte170m",
               "-color_range", "tv"]  # the takes are BT.601 limited (engine.encode): keep them so


@dataclass(frozen=True)
class Preset:
    name: str
    container: str          # 'mp4' (H.264+AAC), 'prores' (.mov), 'gif'
    height: int = 0         # 0 = the project's size
    extensions: tuple[str, ...] = (".mp4", ".m4v", ".mov")


PRESETS: dict[str, Preset] = {
    "1080p": Preset("1080p", "mp4", 1080),
    "720p": Preset("720p", "mp4", 720),
    "source": Preset("source", "mp4", 0),
    "prores": Preset("prores", "prores", 0, (".mov",)),
    "gif": Preset("gif", "gif", 0, (".gif",)),
}


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


@dataclass
class ExportPlan:
    """Everything one ffmpeg run needs; `args` is the full command line (tmp output path last)."""
    args: list[str]
    width: int
    height: int
    fps: Fraction
    frames: int             # output frames (progress total)
    has_audio: bool
    filtergraph: str = ""


def preset_for(out_path: str | os.PathLike, preset: Optional[str]) -> Preset:
    """The preset named, or the one the extension implies; refuses a mismatch (ProRes in .mp4)."""
    ext = Path(out_path).suffix.lower()
    if preset is None:
        preset = {".mov": "prores", ".gif": "gif"}.get(ext, "source")
    if preset not in PRESETS:
        raise UserError(f"unknown export preset {preset!r}; use one of {', '.join(PRESETS)}")
    chosen = PRESETS[preset]
    if ext not in chosen.extensions:
        raise UserError(f"the {preset} preset writes {' or '.join(chosen.extensions)}, not {ext or 'no extension'}")
    return chosen


def output_size(project: Project, preset: Preset) -> tuple[int, int]:
    """The project's aspect at the preset's height (even sizes); GIFs fit in 480x270."""
    w, h = project.width, project.height
    if preset.container == "gif":
        scale = min(1.0, GIF_MAX[0] / w, GIF_MAX[1] / h)
        return max(2, int(round(w * scale / 2)) * 2), max(2, int(round(h * scale / 2)) * 2)
    if not preset.height:
        return w, h
    return max(2, int(round(w * preset.height / h / 2)) * 2), preset.height


def _rate(fps: Fraction) -> str:
    return f"{fps.numerator}/{fps.denominator}"


def _secs(frames: Fraction | int, fps: Fraction) -> str:
    return f"{float(Fraction(frames) / fps):.6f}"


REEL_GAP_S = 100  # empty reel time after each clip's file: more than any take's keyframe interval
SEEK_AFTER_S = 3  # a clip starting deeper than this into its take is reached by a seek, not by decoding


@dataclass(frozen=True)
class _Reel:
    """One `-f concat` input: the clips of one media format, every other one (A/B roll)."""
    key: tuple
    list_path: Path
    entries: list[int]                      # edit-list indices, in cut order
    windows: dict[int, tuple[Fraction, Fraction]]  # index -> trim start/end seconds on the reel


def _media_key(path: str, cache: dict[str, tuple], seconds: dict[str, Fraction]) -> tuple:
    """What a concat reel needs equal in all its files: codec, size, pixel format, rate, stream kinds."""
    if path not in cache:
        import av
        try:
            with av.open(path) as container:
                video = container.streams.video[0]
                ctx = video.codec_context
                cache[path] = (ctx.name, ctx.width, ctx.height, str(ctx.format.name if ctx.format else ""),
                               str(video.average_rate), tuple(sorted(s.type for s in container.streams)))
                seconds[path] = Fraction(container.duration or 0, 1_000_000)
        except (av.error.FFmpegError, IndexError, OSError) as exc:
            raise UserError(f"cannot read the take file {path}: {exc}") from None
    return cache[path]


def _concat_quote(path: str) -> str:
    return "'" + path.replace("'", "'\\''") + "'"


def _build_reels(edit: EditList, work: Path) -> list[_Reel]:
    """Lay the clips on A/B reels: each reel is ONE concat-demuxer input (one decoder), so memory stays
    flat however many shots the cut has (an `-i` or `movie` source per shot keeps each finished shot's
    decoder and its frame pool, ~12 MB at 1080p, until the end). Two neighbours in the cut are always on
    different reels, so a crossfade reads both at once; clips of different formats go on separate reels
    (a concat input cannot change codec or size midway).

    Each file is followed by REEL_GAP_S of empty reel time (the concat `duration` directive), so frames a
    seek decodes before a clip's in point, or past its out point, can never land in a neighbour's window;
    `trim` on the reel's timestamps then picks exactly the clip's frames (half a frame early, so timestamp
    rounding can never drop or add one). A clip deep into a long take starts with `inpoint` (a seek),
    except on a reel's first file."""
    fps = Fraction(edit.fps)
    cache: dict[str, tuple] = {}
    seconds: dict[str, Fraction] = {}   # container durations: how much reel time each file may fill
    reels: dict[tuple, _Reel] = {}
    parity: dict[tuple, int] = {}
    for i, entry in enumerate(edit.entries):
        key = _media_key(entry.media, cache, seconds)
        side = parity.get(key, 0)
        parity[key] = 1 - side
        reel_key = key + (side,)
        if reel_key not in reels:
            reels[reel_key] = _Reel(reel_key, work / f"reel{len(reels)}.txt", [], {})
        reels[reel_key].entries.append(i)
    for reel in reels.values():
        lines = ["ffconcat version 1.0"]
        cursor = Fraction(0)
        for i in reel.entries:
            entry = edit.entries[i]
            first = Fraction(entry.source_in) / fps
            # Not on a reel's first file: frames a seek decodes before the in point would get negative
            # times there, and ffmpeg shifts a whole input that starts below zero.
            inpoint = first - Fraction(1, 2) / fps if first > SEEK_AFTER_S and cursor else Fraction(0)
            content = max(Fraction(entry.source_out) / fps, seconds[entry.media]) - inpoint + 1
            lines.append(f"file {_concat_quote(entry.media)}")
            if inpoint:
                lines.append(f"inpoint {float(inpoint):.6f}")
            length = Fraction(round(content + REEL_GAP_S))     # whole seconds: exact in the list file
            lines.append(f"duration {length}")
            start = cursor + (Fraction(entry.source_in) - Fraction(1, 2)) / fps - inpoint
            end = cursor + (Fraction(entry.source_out) - Fraction(1, 2)) / fps - inpoint
            reel.windows[i] = (start, end)
            cursor += length
        atomic_write_text(reel.list_path, "\n".join(lines) + "\n")
    return list(reels.values())


def _reel_chain(r: int, reel: _Reel, edit: EditList, w: int, h: int, fps: Fraction,
                taps: int) -> tuple[str, list[str]]:
    """Conform a whole reel once (size, pixel format, dips) and split it into `taps` outputs.

    Done per reel, not per clip, because every allocating filter keeps its frame pool until the graph
    ends: per clip that is a few frames per shot (~8 MB at 1080p), per reel it is constant. The dips are
    time-windowed fades on the reel (`enable` outside their window passes frames through), applied
    before the split while the frames are still writable, so they need no copies either."""
    steps = [f"scale={w}:{h}:force_original_aspect_ratio=decrease:flags=bicubic",
             f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black", "setsar=1", "format=yuv420p"]
    frame = Fraction(1) / fps
    for i in reel.entries:
        entry = edit.entries[i]
        first = reel.windows[i][0] + frame / 2            # reel time of the clip's first frame
        for kind, count, at in (("in", entry.fade_in, first),
                                ("out", entry.fade_out, first + (entry.length - entry.fade_out) * frame)):
            if count:
                lo, hi = at - frame / 4, at + (count - 1) * frame + frame / 4
                steps.append(f"fade=t={kind}:st={float(at):.6f}:d={float(count * frame):.6f}"
                             f":enable='between(t\\,{float(lo):.6f}\\,{float(hi):.6f})'")
    labels = [f"r{r}t{k}" for k in range(taps)]
    split = f"split={taps}" if taps > 1 else "null"
    return f"[{r}:v]{','.join(steps)},{split}{''.join(f'[{t}]' for t in labels)}", labels


def _tap_chain(label_in: str, entry: EditEntry, reel_start: Fraction, first: int, last: int, fps: Fraction,
               label_out: str) -> str:
    """Frames [first, last) of one clip off its (conformed) reel, exact, at the project rate.
    Allocates nothing: trim and setpts pass the reel's frames by reference."""
    start = reel_start + Fraction(first) / fps
    end = reel_start + Fraction(last) / fps
    steps = [f"trim=start={float(start):.6f}:end={float(end):.6f}", "setpts=PTS-STARTPTS"]
    if entry.media_fps != fps:  # a take at another rate: resample it (at the project rate trim is exact)
        steps.append(f"fps={_rate(fps)}")
    steps.append(f"settb={fps.denominator}/{fps.numerator}")
    steps.append(f"trim=end_frame={last - first}")  # a guard: never more frames than the edit list says
    return f"[{label_in}]{','.join(steps)}[{label_out}]"


def _pieces(entry: EditEntry) -> list[tuple[str, int, int]]:
    """A clip as (role, first, last) frame ranges: its crossfaded head, its body, its crossfaded tail."""
    head, tail = entry.overlap_in, entry.overlap_out
    pieces = [("head", 0, head)] if head else []
    if entry.length - head - tail > 0:
        pieces.append(("body", head, entry.length - tail))
    if tail:
        pieces.append(("tail", entry.length - tail, entry.length))
    return pieces


def _video_graph(edit: EditList, reels: list[_Reel], w: int, h: int, fps: Fraction) -> tuple[list[str], str]:
    """The picture with a fixed number of allocating filters, however many shots and transitions.

    Track A is one concat of every clip's body and crossfaded tail; with crossfades, track B is one concat
    of the same bodies with the incoming heads in place of the tails. Both cover the whole cut frame for
    frame, so ONE overlay of B (alpha ramped 0 -> 1 by an in-place `fade` per crossfade) over A, enabled
    only inside the crossfade windows, makes every crossfade; elsewhere A passes untouched. Measured
    before this design: an `xfade` per crossfade kept ~35 MB of 1080p frames each until the end, an
    input or an `fps` filter per clip ~3-12 MB each."""
    graph: list[str] = []
    crossfades = [i for i, e in enumerate(edit.entries) if e.overlap_in]
    labels: dict[tuple[int, str], str] = {}
    for r, reel in enumerate(reels):
        wanted = []
        for i in reel.entries:
            for role, first, last in _pieces(edit.entries[i]):
                wanted.append((i, role, first, last))
                if role == "body" and crossfades:
                    wanted.append((i, "body_b", first, last))   # the same frames again, by reference
        split, taps = _reel_chain(r, reel, edit, w, h, fps, len(wanted))
        graph.append(split)
        for tap, (i, role, first, last) in zip(taps, wanted):
            out = f"p{i}{role}"
            graph.append(_tap_chain(tap, edit.entries[i], reel.windows[i][0], first, last, fps, out))
            labels[(i, role)] = out
    tb = f"settb={fps.denominator}/{fps.numerator}"   # concat changes the time base: keep the project's

    def concat(segments: list[str], out: str) -> str:
        if len(segments) == 1:
            graph.append(f"[{segments[0]}]{tb}[{out}]")
        else:
            graph.append(f"{''.join(f'[{s}]' for s in segments)}concat=n={len(segments)}:v=1:a=0,{tb}[{out}]")
        return out

    track_a, track_b = [], []
    for i in range(len(edit.entries)):
        if (i, "head") in labels:
            track_b.append(labels[(i, "head")])
        if (i, "body") in labels:
            track_a.append(labels[(i, "body")])
            if crossfades:
                track_b.append(labels[(i, "body_b")])
        if (i, "tail") in labels:
            track_a.append(labels[(i, "tail")])
    video = concat(track_a, "track_a")
    if not crossfades:
        return graph, video
    concat(track_b, "track_b")
    frame = Fraction(1) / fps
    ramps, windows = [], []
    for i in crossfades:
        entry = edit.entries[i]
        start = Fraction(entry.record_in) * frame
        lo, hi = start - frame / 4, start + (entry.overlap_in - 1) * frame + frame / 4
        ramps.append(f"fade=t=in:alpha=1:st={float(start):.6f}:d={float(entry.overlap_in * frame):.6f}"
                     f":enable='between(t\\,{float(lo):.6f}\\,{float(hi):.6f})'")
        windows.append(f"between(t\\,{float(lo):.6f}\\,{float(hi):.6f})")
    graph.append(f"[track_b]format=yuva420p,{','.join(ramps)}[track_b_alpha]")
    graph.append(f"[track_a][track_b_alpha]overlay=format=yuv420:eof_action=pass:enable='{'+'.join(windows)}'"
                 f"[joined]")
    return graph, "joined"


def plan_export(project: Project, edit: EditList, preset: Preset, tmp_out: str | os.PathLike, *,
                work: str | os.PathLike, mix_wav: Optional[str], badge: Optional[tuple[str, int, int]],
                encode: EncodeSettings = EncodeSettings()) -> ExportPlan:
    """The ffmpeg command of an export. `badge` = (png path, width, height) or None for no watermark."""
    fps = Fraction(edit.fps)
    w, h = output_size(project, preset)
    inputs: list[str] = []
    reels = _build_reels(edit, Path(work))
    for reel in reels:
        inputs += ["-f", "concat", "-safe", "0", "-i", str(reel.list_path)]
    graph, video = _video_graph(edit, reels, w, h, fps)
    next_input = len(reels)
    if badge is not None:
        png, bw, bh = badge
        inputs += ["-i", png]
        x, y = overlay_position(w, h, bw, bh)
        # Blend in YUV: with format=auto overlay works in RGB and converts every frame both ways,
        # ~13% of a 720p veryfast encode (measured); the badge PNG is one frame, repeated.
        graph.append(f"[{video}][{next_input}:v]overlay=x='{x}':y='{y}':eof_action=repeat:format=yuv420[wm]")
        video = "wm"
        next_input += 1
    total = edit.duration
    out_frames = total
    if preset.container == "gif":
        out_frames = int(Fraction(total) * GIF_FPS / fps)
        # A palette per frame: a single palette for the whole cut would hold every frame until the end.
        graph.append(f"[{video}]fps={_rate(GIF_FPS)},split[g1][g2];[g1]palettegen=stats_mode=single[pal];"
                     f"[g2][pal]paletteuse=new=1:dither=bayer:bayer_scale=4[vout]")
    else:
        pix = "yuv422p10le" if preset.container == "prores" else "yuv420p"
        graph.append(f"[{video}]format={pix}[vout]")
    has_audio = preset.container != "gif"
    if has_audio:
        samples = samples_for_frames(total, fps, SAMPLE_RATE)
        if mix_wav:
            inputs += ["-i", mix_wav]
            graph.append(f"[{next_input}:a]aresample={SAMPLE_RATE},apad=whole_len={samples},"
                         f"atrim=end_sample={samples}[aout]")
        else:  # a cut without any take audio still gets a (silent) track: players and editors expect one
            graph.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=end_sample={samples}[aout]")
    filtergraph = ";".join(graph)
    args = [ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats",
            "-progress", "pipe:1", "-y", *inputs, "-filter_complex", filtergraph, "-map", "[vout]"]
    if preset.container == "gif":
        args += ["-loop", "0", "-f", "gif"]
    elif preset.container == "prores":
        args += ["-c:v", "prores_ks", "-profile:v", "2", "-vendor", "apl0", *_COLOR_TAGS, "-r", _rate(fps),
                 "-map", "[aout]", "-c:a", "pcm_s24le", "-f", "mov"]
    else:
        args += ["-c:v", "libx264", "-preset", encode.preset, "-crf", str(encode.crf), "-pix_fmt", "yuv420p",
                 *_COLOR_TAGS, "-r", _rate(fps), "-map", "[aout]", "-c:a", "aac", "-b:a", "192k",
                 "-movflags", "+faststart", "-f", "mp4"]
        if encode.threads:
            args += ["-threads", str(encode.threads)]
    args.append(str(tmp_out))
    return ExportPlan(args, w, h, fps if preset.container != "gif" else GIF_FPS, out_frames, has_audio,
                      filtergraph)


# ---- running ------------------------------------------------------------------------------------

CancelLike = Any  # engine.jobs.CancelToken, or any object with a `cancelled` property, or a callable


def _is_cancelled(cancel: CancelLike) -> bool:
    if cancel is None:
        return False
    if callable(cancel) and not hasattr(cancel, "cancelled"):
        return bool(cancel())
    return bool(getattr(cancel, "cancelled", False))


def run_ffmpeg(args: list[str], total_frames: int, fps: Fraction, *, job_id: str = "export",
               progress: Optional[Callable[[Progress], None]] = None, cancel: CancelLike = None,
               what: str = "the export") -> None:
    """Run one ffmpeg, turning `-progress` lines into Progress reports with an ETA; terminate on cancel
    (raises JobCancelled); raise ExportError with ffmpeg's last stderr lines on failure."""
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError as exc:
        raise ExportError(f"ffmpeg could not be started: {exc}") from exc
    lines: "queue.Queue[Optional[bytes]]" = queue.Queue()
    tail: collections.deque[str] = collections.deque(maxlen=40)

    def read_stdout() -> None:
        for raw in iter(proc.stdout.readline, b""):
            lines.put(raw)
        lines.put(None)

    def read_stderr() -> None:
        for raw in iter(proc.stderr.readline, b""):
            tail.append(raw.decode("utf-8", "replace").rstrip())

    readers = [threading.Thread(target=read_stdout, daemon=True, name="ffmpeg-progress"),
               threading.Thread(target=read_stderr, daemon=True, name="ffmpeg-stderr")]
    for reader in readers:
        reader.start()
    started = time.monotonic()
    done_frames = 0
    try:
        eof = False
        while not eof:
            if _is_cancelled(cancel):
                _stop(proc)
                raise JobCancelled()
            try:
                raw = lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if raw is None:
                eof = True
                continue
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            if key == "out_time_us" and value.strip().lstrip("-").isdigit():
                frames = int(Fraction(int(value), 1_000_000) * fps)
                done_frames = max(done_frames, min(total_frames, frames))  # out_time can step back a little
            elif key == "progress" and progress is not None:
                elapsed = time.monotonic() - started
                eta = elapsed * (total_frames - done_frames) / done_frames if done_frames else None
                progress(Progress(job_id, "encoding", done_frames, total_frames, eta,
                                  message=f"{what}: frame {done_frames} of {total_frames}"))
        code = proc.wait()
        if _is_cancelled(cancel):
            raise JobCancelled()
    except BaseException:
        _stop(proc)
        raise
    finally:
        for reader in readers:
            reader.join(timeout=2)
    if code != 0:
        text = "\n".join(tail)
        last = " | ".join(line for line in list(tail)[-3:] if line) or f"exit code {code}"
        if "no space left" in text.lower():
            raise ExportError(f"the disk filled up while writing {what}", text)
        raise ExportError(f"ffmpeg failed while rendering {what}: {last}", text)
    if progress is not None:
        progress(Progress(job_id, "done", total_frames, total_frames, 0.0, message=f"{what}: done"))


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


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
            plan = plan_export(project, edit, chosen, tmp, work=work, mix_wav=mix, badge=badge, encode=encode)
            run_ffmpeg(plan.args, plan.frames, plan.fps, progress=progress, cancel=cancel,
                       what=out.name)
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


def _training_mining(value: Any) -> dict:
    """project.settings['training_mining']: one use for every entry ('notAllowed') or a dict per entry."""
    if isinstance(value, str) or value is None:
        use = value or "notAllowed"
        return {k: {"use": use} for k in ("ai_inference", "ai_generative_training", "ai_training", "data_mining")}
    return dict(value)


def export_and_sign(project: Project, folder: str | os.PathLike, out_path: str | os.PathLike, *,
                    identity: Any = None, stems: bool = False, **kwargs: Any):
    """Export by the target's kind (.mp4/.mov/.gif -> `export_video`, .wav or a folder -> `export_audio`),
    signing the finished temporary file with the studio identity (or `identity`) before it is renamed into
    place: a crash at any moment leaves the old file or a complete signed one. Stem folders and builds
    without studio.provenance stay unsigned. Returns the ExportResult / AudioExportResult."""
    try:
        from .provenance import TakeIngredient
        from .identity import load_or_create_identity
    except ImportError:
        TakeIngredient = None
    if TakeIngredient is not None and identity is None and not stems:
        identity = load_or_create_identity()

    def sign(tmp: Path, result: Any) -> None:
        if TakeIngredient is None:
            return
        from . import provenance
        if isinstance(result, AudioExportResult):
            watermark, edits = False, ["audio mixed"]
        else:
            watermark = result.watermark
            edits = [f"cut conformed to {result.width}x{result.height} at {float(result.fps):g} fps",
                     f"visible watermark {'on' if result.watermark else 'off'}"]
            if result.has_audio:
                edits.append("audio mixed")
        provenance.sign_export(identity, tmp,
                               ingredients=[TakeIngredient(Path(i.path), title=i.title) for i in result.ingredients],
                               watermark=watermark,
                               training_mining=_training_mining(project.settings.get("training_mining")),
                               title=project.name, edits=edits,
                               likenesses=list(result.likenesses))

    if is_audio_target(out_path, stems):
        audio_kwargs = {k: v for k, v in kwargs.items() if k in ("cancel", "sequence_id")}
        return export_audio(project, folder, out_path, stems=stems, finish=sign, **audio_kwargs)
    return export_video(project, folder, out_path, finish=sign, **kwargs)
