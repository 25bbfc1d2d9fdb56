"""The export with real ffmpeg, read back with PyAV.

Takes are built once per module: 256x144 at 24 fps, 36 frames each, one flat colour per take and
the frame number stamped as 8 black/white blocks along the bottom edge (so every output frame says
which source frame it shows), plus a WAV with a click at a known frame.
"""
from __future__ import annotations

import subprocess
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.encode import EncodeSettings
from engine.errors import JobCancelled
from engine.fsio import PARTIAL_MARKER, ffmpeg_path
from studio.errors import UserError
from studio.export import ExportError, export_and_sign, export_audio, export_video
from studio.model import Project, Sequence, Shot, Take, Transition
from studio.watermark import WatermarkSettings, position_at

W, H, FPS, N = 256, 144, 24, 36
COLORS = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40)]
CLICK = 12          # frame of each take's click
OFF = WatermarkSettings(enabled=False)


def _make_take(path: Path, color, frames: int, fps: int = FPS) -> None:
    args = [ffmpeg_path(), "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}",
            "-framerate", str(fps), "-i", "pipe:0", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16",
            "-g", "12", "-pix_fmt", "yuv420p", str(path)]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE)
    for i in range(frames):
        frame = np.empty((H, W, 3), np.uint8)
        frame[:] = color
        for bit in range(8):
            frame[H - 16:, bit * 16:(bit + 1) * 16] = 255 if (i >> bit) & 1 else 0
        proc.stdin.write(frame.tobytes())
    proc.stdin.close()
    assert proc.wait() == 0


def _make_wav(path: Path, frames: int, click_frame: int, sr: int = 48000) -> None:
    samples = np.zeros(frames * sr // FPS, np.int16)
    start = click_frame * sr // FPS
    samples[start:start + 240] = 20000
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sr)
        out.writeframes(samples.tobytes())


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("proj")
    (root / "media").mkdir()
    for i, color in enumerate(COLORS):
        _make_take(root / f"media/t{i}.mp4", color, N)
        _make_wav(root / f"media/t{i}.wav", N, CLICK)
    return root


def _project(transitions=None, trims=None, shot_changes=None) -> Project:
    transitions = transitions or [Transition(), Transition("crossfade", 6), Transition("dip_to_black", 8), Transition()]
    trims = trims or {3: (4, 30)}
    shot_changes = shot_changes or {}
    takes, shots = [], []
    for i in range(len(COLORS)):
        takes.append(Take(id=f"tk{i}", shot_id=f"s{i}", backend="previs", frames=N, fps=FPS, width=W, height=H,
                          files={"video": f"media/t{i}.mp4", "audio": f"media/t{i}.wav"}))
        trim_in, trim_out = trims.get(i, (0, 0))
        values = dict(id=f"s{i}", title=f"Shot {i}", duration=N, selected_take=f"tk{i}", trim_in=trim_in,
                      trim_out=trim_out, transition=transitions[i])
        shots.append(Shot(**{**values, **shot_changes.get(i, {})}))
    return Project("Export test", FPS, W, H, sequences=[Sequence("q1", "INT. ROOM", shots)], takes=takes)


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _stamp(frame: np.ndarray) -> int:
    return sum(int(frame[H - 8, b * 16 + 8].mean() > 128) << b for b in range(8))


def _onsets(path: Path) -> list[float]:
    """Click onsets in frames at 24 fps, from the file's first audio channel."""
    with av.open(str(path)) as container:
        chunks = [f.to_ndarray()[0] for f in container.decode(audio=0)]
    loud = np.flatnonzero(np.abs(np.concatenate(chunks)) > 0.2)
    starts = [loud[0]] + [b for a, b in zip(loud[:-1], loud[1:]) if b - a > 4800]
    return [s * FPS / 48000 for s in starts]


@pytest.fixture(scope="module")
def plain(folder, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("out") / "plain.mp4"
    return out, export_video(_project(), folder, out, watermark=OFF)


@pytest.fixture(scope="module")
def marked(folder, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("out") / "marked.mp4"
    return out, export_video(_project(), folder, out, watermark=WatermarkSettings(opacity=0.8, scale=0.3))


def test_export_matches_the_edit_list(plain):
    out, result = plain
    edit = result.edit_list
    # cut (36) + crossfade 6 (36 - 6) + dip (36) + trimmed 4..30 (26)
    assert edit.duration == 36 + 30 + 36 + 26 == result.frames
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (W, H) and stream.average_rate == Fraction(FPS)
        assert stream.codec_context.name == "h264" and stream.format.name == "yuv420p"
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac" and audio.sample_rate == 48000
        assert abs(float(container.duration / 1e6) - edit.duration / FPS) < 1.5 / FPS
    frames = _frames(out)
    assert len(frames) == edit.duration
    # which source frame is on screen, read from the stamp (away from transitions)
    assert [_stamp(frames[i]) for i in (0, 29, 36, 61)] == [0, 29, 6, 31]
    assert [_stamp(frames[i]) for i in (70, 101, 102, 127)] == [4, 35, 4, 29]   # trim_in 4, out 30
    flat = lambda i: frames[i][40, 128].astype(int)
    assert np.abs(flat(20) - COLORS[0]).max() < 12 and np.abs(flat(40) - COLORS[1]).max() < 12
    mid = flat(33)     # inside the crossfade: a mix of red and green
    assert 60 < mid[0] < 180 and 60 < mid[1] < 180
    assert flat(66).max() < 16   # the dip reaches black between shots 2 and 3
    assert np.abs(flat(110) - COLORS[3]).max() < 12


def test_audio_onsets_land_on_their_frames(plain):
    out, result = plain
    # each take clicks at its frame 12: shot 1 at 12, shot 2 at 30+12, shot 3 at 66+12, shot 4 (trim 4) at 102+8
    expected = [12, 42, 78, 110]
    got = _onsets(out)
    assert len(got) == len(expected)
    assert all(abs(g - e) <= 1 for g, e in zip(got, expected)), got
    assert result.has_audio and not result.watermark


def _badge_box(a: np.ndarray, b: np.ndarray):
    """Bounding box of the badge: rows and columns where several pixels changed (a lone pixel or two
    of x264 noise in a macroblock the badge touches is not the badge)."""
    diff = np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 12
    rows, cols = np.nonzero(diff.sum(axis=1) >= 4)[0], np.nonzero(diff.sum(axis=0) >= 4)[0]
    return (cols.min(), rows.min(), cols.max(), rows.max()) if len(rows) and len(cols) else None


def test_watermark_moves_over_time_and_is_absent_when_off(plain, marked):
    frames_off, frames_on = _frames(plain[0]), _frames(marked[0])
    assert marked[1].watermark and len(frames_on) == len(frames_off)
    t1, t2 = 8, 124
    box1, box2 = _badge_box(frames_on[t1], frames_off[t1]), _badge_box(frames_on[t2], frames_off[t2])
    assert box1 is not None and box2 is not None
    assert abs(box1[0] - box2[0]) + abs(box1[1] - box2[1]) >= 6     # moved between t1 and t2
    width = box1[2] - box1[0] + 1
    assert 0.2 * W < width <= 0.3 * W + 2                           # size follows the scale setting
    # the box is where the path says (badge size from the render: measured box at t1)
    bw, bh = width, box1[3] - box1[1] + 1
    for t, box in ((t1, box1), (t2, box2)):
        x, y = position_at(t / FPS, W, H, bw, bh)
        assert abs(box[0] - x) <= 3 and abs(box[1] - y) <= 3
    # watermark off: away from the stamp the picture is the take's flat colour everywhere
    for i in (t1, 50, t2):
        region = frames_off[i][:H - 20].astype(int)
        assert np.abs(region - region[40, 128]).max() < 10


def test_prores_and_gif_presets(folder, tmp_path):
    project = _project()
    mov = export_video(project, folder, tmp_path / "cut.mov", watermark=OFF)
    with av.open(mov.path) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "prores" and video.format.name == "yuv422p10le"
        assert audio.codec_context.name == "pcm_s24le"
        assert sum(1 for _ in container.decode(video=0)) == mov.edit_list.duration
    gif = export_video(project, folder, tmp_path / "cut.gif")
    with av.open(gif.path) as container:
        assert container.streams.video[0].codec_context.name == "gif"
        count = sum(1 for _ in container.decode(video=0))
    assert count == gif.frames == int(128 * 10 / 24) and not container.streams.audio
    with pytest.raises(UserError, match="prores preset writes .mov"):
        export_video(project, folder, tmp_path / "cut.mp4", preset="prores")


def test_720p_preset_scales_and_reports_progress(folder, tmp_path):
    reports = []
    project = _project()
    del project.sequences[0].shots[2:]  # two shots and their crossfade: scaling is checked in 66 frames, not 128
    result = export_video(project, folder, tmp_path / "cut720.mp4", preset="720p", progress=reports.append)
    assert (result.width, result.height) == (1280, 720)
    with av.open(result.path) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == (1280, 720)
    assert reports and reports[-1].stage == "done" and reports[-1].current == reports[-1].total == N + N - 6
    assert [r.current for r in reports] == sorted(r.current for r in reports)


def test_cancel_removes_the_partial_and_keeps_the_old_file(folder, tmp_path):
    out = tmp_path / "cut.mp4"
    out.write_bytes(b"the previous export")
    reports = []

    def progress(report):
        reports.append(report)

    with pytest.raises(JobCancelled):
        export_video(_project(), folder, out, preset="1080p", progress=progress, cancel=lambda: bool(reports))
    assert out.read_bytes() == b"the previous export"
    assert not [p for p in tmp_path.iterdir() if PARTIAL_MARKER in p.name]
    assert reports and reports[0].current < reports[0].total      # it stopped while rendering


def test_missing_take_file_and_missing_take_are_named(folder, tmp_path):
    project = _project()
    for i, take in list(project.takes.items()):
        if take.shot_id == "s2":
            project.takes[i] = take.with_(files={"video": "media/gone.mp4"})
    with pytest.raises(UserError, match=r"shot 3 'Shot 2': take file missing: media/gone.mp4"):
        export_video(project, folder, tmp_path / "x.mp4")
    project = _project(shot_changes={1: {"selected_take": ""}})
    with pytest.raises(UserError, match=r"1 shot has no usable take — shot 2 'Shot 1': no take selected"):
        export_video(project, folder, tmp_path / "x.mp4")
    assert not list(tmp_path.iterdir())


def test_unreadable_take_and_ffmpeg_failure_are_clear_errors(folder, tmp_path):
    (tmp_path / "media").mkdir()
    (tmp_path / "media/t0.mp4").write_bytes(b"not a video at all" * 100)
    take = Take(id="bad", shot_id="s0", backend="previs", frames=24, fps=FPS, width=W, height=H,
                files={"video": "media/t0.mp4"})
    project = Project("Bad", FPS, W, H, sequences=[Sequence("q", "", [Shot(id="s0", selected_take="bad")])],
                      takes=[take])
    with pytest.raises(UserError, match="cannot read the take file .*t0.mp4"):
        export_video(project, tmp_path, tmp_path / "bad.mp4")
    # a failing encoder: ffmpeg's own words reach the message, nothing is left behind
    with pytest.raises(ExportError, match="ffmpeg failed while rendering bad.mp4: .*") as info:
        export_video(_project(), folder, tmp_path / "bad.mp4", encode=EncodeSettings(preset="no-such-preset"))
    assert "preset" in info.value.details.lower()
    assert not (tmp_path / "bad.mp4").exists()
    assert not [p for p in tmp_path.iterdir() if PARTIAL_MARKER in p.name]


def test_take_paths_with_quotes_commas_and_colons(folder, tmp_path):
    project = _project()
    odd = tmp_path / "it's, a: [take] ;x"
    odd.mkdir()
    for i in range(len(COLORS)):
        (odd / f"t{i}.mp4").symlink_to(folder / f"media/t{i}.mp4")
        (odd / f"t{i}.wav").symlink_to(folder / f"media/t{i}.wav")
    for key, take in list(project.takes.items()):
        index = take.id[2:]
        project.takes[key] = take.with_(files={"video": f"{odd.name}/t{index}.mp4", "audio": f"{odd.name}/t{index}.wav"})
    result = export_video(project, tmp_path, tmp_path / "odd.mp4", watermark=OFF)
    frames = _frames(Path(result.path))
    assert len(frames) == 128 and _stamp(frames[102]) == 4


def test_deep_in_points_and_a_take_at_another_rate(tmp_path):
    (tmp_path / "media").mkdir()
    _make_take(tmp_path / "media/long.mp4", (90, 90, 160), 120)          # 5 s: clips past 3 s start by a seek
    _make_take(tmp_path / "media/slow.mp4", (160, 90, 90), 12, fps=12)   # a 12 fps take in a 24 fps cut
    takes = [Take(id="long", shot_id="a", backend="previs", frames=120, fps=FPS, width=W, height=H,
                  files={"video": "media/long.mp4"}),
             Take(id="slow", shot_id="d", backend="previs", frames=12, fps=12, width=W, height=H,
                  files={"video": "media/slow.mp4"})]
    shots = [Shot(id="a", selected_take="long", trim_in=100, trim_out=110),
             Shot(id="b", selected_take="long", trim_in=0, trim_out=10),
             Shot(id="c", selected_take="long", trim_in=90, trim_out=100),
             Shot(id="d", selected_take="slow", trim_in=2, trim_out=6)]
    project = Project("Seeks", FPS, W, H, sequences=[Sequence("q", "", shots)], takes=takes)
    result = export_video(project, tmp_path, tmp_path / "seeks.mp4", watermark=OFF)
    stamps = [_stamp(f) for f in _frames(Path(result.path))]
    assert stamps == (list(range(100, 110)) + list(range(10)) + list(range(90, 100))
                      + [2, 2, 3, 3, 4, 4, 5, 5])


def test_wav_mix_export(folder, tmp_path):
    result = export_audio(_project(), folder, tmp_path / "mix.wav")
    with wave.open(result.path) as mix:
        assert mix.getframerate() == 48000 and mix.getnframes() == 128 * 2000
    assert result.samples == 128 * 2000 and result.stems == {}


def test_stems_export_writes_the_mix_and_one_wav_per_cue_kind(folder, tmp_path):
    # the test takes have no per-kind stems beside their masters: each stem is silence of the cut's length
    result = export_and_sign(_project(), folder, tmp_path / "stems", stems=True)
    assert sorted(result.stems) == ["ambience", "dialogue", "music", "sfx"]
    for path in [result.path, *result.stems.values()]:
        with wave.open(path) as wav:
            assert wav.getframerate() == 48000 and wav.getnframes() == 128 * 2000
    assert Path(result.path).name == "mix.wav"
    with pytest.raises(UserError, match="stems go to a folder"):
        export_audio(_project(), folder, tmp_path / "x.mp4", stems=True)


def test_export_and_sign_records_the_watermark(folder, tmp_path, monkeypatch):
    provenance = pytest.importorskip("studio.provenance")
    from studio.identity import load_or_create_identity
    identity = load_or_create_identity(tmp_path / "config")
    out = tmp_path / "signed.mp4"
    result = export_and_sign(_project(), folder, out, identity=identity)
    report = provenance.verify(out, identity=identity)
    assert report.state == "Trusted" and report.watermarked
    assert len(report.ingredients) == len({i.take_id for i in result.ingredients}) == 4
    off = export_and_sign(_project(), folder, tmp_path / "plain.mp4", identity=identity, watermark=OFF)
    report = provenance.verify(off.path, identity=identity)
    assert report.state == "Trusted" and not report.watermarked


def test_watermark_settings_come_from_the_project_and_are_validated():
    from studio.model import DEFAULT_SETTINGS
    from studio.watermark import render_badge
    settings = WatermarkSettings.from_settings(DEFAULT_SETTINGS["watermark"])
    assert settings.enabled and settings.opacity == 0.35 and settings.scale == 0.16
    badge = render_badge(settings, "My film", 1920)
    assert badge.mode == "RGBA" and badge.width == round(1920 * 0.16 / 2) * 2
    alpha = np.asarray(badge.getchannel("A"))
    assert 0 < alpha.max() <= round(255 * 0.35) + 1          # opacity is baked into the alpha
    for bad in ({"opacity": 0}, {"opacity": 1.5}, {"scale": 0.9}):
        with pytest.raises(UserError):
            WatermarkSettings(**bad)


def test_the_filter_graph_builder_is_pure(tmp_path):
    """studio.export_graph builds the whole command from an edit list and probed media, touching nothing:
    the work folder does not even exist, the concat lists come back as text, A/B reels alternate."""
    from studio.export_graph import PRESETS, MediaInfo, plan_export
    from studio.model import Project, Transition, TransitionKind
    from studio.playlist import EditEntry, EditList

    def clip(i: int, start: int, media: str, transition: Transition = Transition()) -> EditEntry:
        return EditEntry(f"s{i}", i + 1, f"t{i}", media, "", "", 0, 12, start, start + 12, transition, f"{i + 1}",
                         media_fps=Fraction(24), media_size=(160, 90))
    entries = (clip(0, 0, "/takes/a.mp4"), clip(1, 8, "/takes/b.mp4", Transition(TransitionKind.CROSSFADE, 4)),
               clip(2, 20, "/takes/c.mp4"))
    entries = (entries[0].__class__(**{**entries[0].__dict__, "overlap_out": 4}),) + entries[1:]
    edit = EditList(Fraction(24), 160, 90, entries)
    media = {e.media: MediaInfo(("h264", 160, 90, "yuv420p", "24", ("video",)), Fraction(1, 2)) for e in entries}
    work = tmp_path / "never-made"
    plan = plan_export(Project("p", 24, 160, 90), edit, PRESETS["source"], "/out/tmp.mp4", work=work,
                       media=media, mix_wav=None, badge=("/badge.png", 40, 20), ffmpeg="ffmpeg-x")
    assert not work.exists()
    assert plan.args[0] == "ffmpeg-x" and plan.args[-1] == "/out/tmp.mp4"
    assert sorted(plan.files) == [str(work / "reel0.txt"), str(work / "reel1.txt")]
    reel0, reel1 = (plan.files[str(work / n)] for n in ("reel0.txt", "reel1.txt"))
    assert "a.mp4" in reel0 and "c.mp4" in reel0 and "b.mp4" in reel1   # neighbours on different reels
    assert "overlay=format=yuv420:eof_action=pass" in plan.filtergraph   # the crossfade
    assert "[2:v]overlay=x=" in plan.filtergraph   # the badge: the input after the two reels
    assert "anullsrc" in plan.filtergraph and plan.frames == edit.duration
