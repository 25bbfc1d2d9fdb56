"""The export's ffmpeg command, built without I/O: edit list + preset + watermark badge + probed media
-> `ExportPlan` (the full argument list, the filter graph, the concat list files to write).

Pure: nothing here opens a file or starts a process; `studio.export` probes the takes (`MediaInfo`),
writes `ExportPlan.files`, and runs `ExportPlan.args` through `engine.ffmpeg_run`. How the graph is laid
out (reels, taps, tracks A/B) is told in `studio.export`'s module docstring and in `_video_graph`."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Mapping, Optional

from engine.encode import EncodeSettings

from .errors import UserError
from .model import Project
from .playlist import EditEntry, EditList
from .timebase import samples_for_frames
from .watermark import overlay_position

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


@dataclass(frozen=True)
class MediaInfo:
    """What the graph needs to know of one take file (probed by `studio.export`)."""
    key: tuple          # what a concat reel needs equal in all its files: codec, size, format, rate, streams
    seconds: Fraction   # the container's duration: how much reel time the file may fill


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
    files: dict[str, str] = field(default_factory=dict)   # concat list path -> its text (written before the run)


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
    text: list[str]                         # the concat list file's text, once laid out


def _concat_quote(path: str) -> str:
    return "'" + path.replace("'", "'\\''") + "'"


def _build_reels(edit: EditList, work: Path, media: Mapping[str, MediaInfo]) -> list[_Reel]:
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
    reels: dict[tuple, _Reel] = {}
    parity: dict[tuple, int] = {}
    for i, entry in enumerate(edit.entries):
        key = media[entry.media].key
        side = parity.get(key, 0)
        parity[key] = 1 - side
        reel_key = key + (side,)
        if reel_key not in reels:
            reels[reel_key] = _Reel(reel_key, work / f"reel{len(reels)}.txt", [], {}, [])
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
            content = max(Fraction(entry.source_out) / fps, media[entry.media].seconds) - inpoint + 1
            lines.append(f"file {_concat_quote(entry.media)}")
            if inpoint:
                lines.append(f"inpoint {float(inpoint):.6f}")
            length = Fraction(round(content + REEL_GAP_S))     # whole seconds: exact in the list file
            lines.append(f"duration {length}")
            start = cursor + (Fraction(entry.source_in) - Fraction(1, 2)) / fps - inpoint
            end = cursor + (Fraction(entry.source_out) - Fraction(1, 2)) / fps - inpoint
            reel.windows[i] = (start, end)
            cursor += length
        reel.text.append("\n".join(lines) + "\n")
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
                work: str | os.PathLike, media: Mapping[str, MediaInfo], mix_wav: Optional[str],
                badge: Optional[tuple[str, int, int]], encode: EncodeSettings = EncodeSettings(),
                ffmpeg: str = "ffmpeg") -> ExportPlan:
    """The ffmpeg command of an export. `media` holds every take of the edit list; `badge` = (png path,
    width, height) or None for no watermark; `ffmpeg` the executable (`engine.fsio.ffmpeg_path()`)."""
    fps = Fraction(edit.fps)
    w, h = output_size(project, preset)
    inputs: list[str] = []
    reels = _build_reels(edit, Path(work), media)
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
    args = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats",
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
                      filtergraph, {str(r.list_path): r.text[0] for r in reels})
