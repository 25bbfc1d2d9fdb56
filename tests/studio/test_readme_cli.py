"""The README's command-line examples run as written (issue 15 item 12), in a temporary folder.

The ```sh block of the "Command line" section is a synopsis: each command is run in its shortest form
(optional [..] groups dropped, the first of `a|b|c` alternatives taken), with the placeholders filled in:
PROJECT -> the project the examples create, SHOT -> 1, TAKE -> shot 1's selected take, FILE -> the MP4
exported above, DIR -> a folder, script.fountain -> a two-line screenplay. The examples' 1280x720 project
is made 320x180 to keep the suite lean. Skipped, and why, in SKIPPED.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from studio.cli import main as cli_main

README = Path(__file__).resolve().parents[2] / "README.md"
PROJECT = "projects/heist.shotreel"
# command -> why it is not run here
SKIPPED = {"open": "opens the studio window (tests/ui covers the window)"}
# exit codes the README gives for a command other than 0
EXPECTED_CODE = {
    "models": 1,   # no model folder on this machine: it says so and where to add one
    "estimate": 1,  # no diffusion model for the demo's shots: it says to give --model or set the shot's model
    "verify": 6,   # shortest form, no --anchors/--trust-own: intact but untrusted signer (the README's table)
}


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert blocks, "the Command line section has no ```sh block"
    commands: list[str] = []
    for line in "\n".join(blocks).splitlines():
        if not line.strip():
            continue
        if line.startswith((" ", "\t")) and commands and not line.strip().startswith("#"):
            commands[-1] += " " + line.strip()   # a wrapped synopsis line
        elif line.strip().startswith("#"):
            continue                             # a comment continued on its own line
        else:
            commands.append(line.strip())
    return [c.replace("\\ ", " ").replace("\\", "") for c in commands]


def _drop_optional(command: str) -> str:
    out, depth = [], 0
    for ch in command:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def shortest_form(command: str) -> list[str]:
    words = shlex.split(_drop_optional(command), comments=True)
    return [w.split("|")[0] if "|" in w else w for w in words if w != "..."]


def _selected_take(folder: Path) -> str:
    from studio.document import Document
    doc = Document.open(folder)
    try:
        return next(s for _, s in doc.project.shots()).selected_take
    finally:
        doc.close()


@pytest.mark.slow
def test_the_readme_command_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHOTREEL_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("SHOTREEL_MODEL_DIRS", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "script.fountain").write_text("INT. VAULT - NIGHT\n\nRey listens at the door.\n", encoding="utf-8")
    commands = readme_commands()
    assert len(commands) >= 20
    ran, skipped = [], []
    for command in commands:
        argv = shortest_form(command)
        assert argv[0] == "shotreel", command
        name = argv[1]
        if name in SKIPPED:
            skipped.append(f"{name}: {SKIPPED[name]}")
            continue
        argv = [{"PROJECT": PROJECT, "SHOT": "1", "FILE": "cut.mp4", "DIR": "stems"}.get(w, w) for w in argv[1:]]
        argv = ["320x180" if w == "1280x720" else w for w in argv]
        if "TAKE" in argv:
            argv = [_selected_take(tmp_path / PROJECT) if w == "TAKE" else w for w in argv]
        capsys.readouterr()
        code = cli_main(argv)
        out = capsys.readouterr()
        assert code == EXPECTED_CODE.get(name, 0), f"`{' '.join(argv)}` exited {code}: {out.err.strip()}"
        assert "Traceback" not in out.err and "ratio inf" not in out.out
        if name == "models":  # names the place in the studio where model folders are set
            assert "Engine defaults > Model folders" in out.out + out.err
        ran.append(" ".join(argv))
    print("ran:", *ran, sep="\n  ")
    print("skipped:", *skipped, sep="\n  ")
    assert skipped == [f"open: {SKIPPED['open']}"]
    assert (tmp_path / "stems" / "dialogue.wav").is_file() and (tmp_path / "cut.mov").is_file()
    assert any(r.startswith("remix") and "recut" in r and "--in" in r for r in ran)


def test_a_cut_without_take_sound_exports_its_wav_like_the_movie_track(tmp_path, monkeypatch, capsys):
    """`-o cut.wav` said "none of its takes has audio" while the MP4 of the same cut carries a (silent)
    track: takes made without a sound file (a video model, an import) now give the same silent length."""
    import wave
    from tests.ui.ui_fixtures import add_take, make_doc
    monkeypatch.setenv("SHOTREEL_CONFIG_DIR", str(tmp_path / "config"))
    doc = make_doc(tmp_path, 2)
    for i, (_, shot) in enumerate(list(doc.project.shots())):
        add_take(doc, shot.id, f"tk{i}", video=True, frames=12)  # video only, no audio file
    folder = str(doc.folder)
    doc.close()
    assert cli_main(["export", folder, "-o", str(tmp_path / "cut.wav"), "--no-sign"]) == 0
    out = capsys.readouterr().out
    assert "warning: no take in the cut has sound" in out
    with wave.open(str(tmp_path / "cut.wav")) as w:
        assert w.getframerate() == 48000 and w.getnframes() == 48000  # 24 frames at 24 fps: one second


def test_loop_of_a_still_take_never_prints_ratio_inf(tmp_path, monkeypatch, capsys):
    """A take that holds still until a jump at its end: no frame step to divide by. The CLI said
    "ratio inf" and its JSON carried Infinity (not JSON)."""
    import json
    from fractions import Fraction

    import av
    import numpy as np

    from studio.cli.remix_cmds import loop_seam_text
    from studio.model import Take
    from studio.remix import loop_seam
    from tests.ui.ui_fixtures import make_doc
    monkeypatch.setenv("SHOTREEL_CONFIG_DIR", str(tmp_path / "config"))
    doc = make_doc(tmp_path, 1)
    video = doc.folder / "media" / "takes" / "still.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(video), "w") as box:
        stream = box.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        stream.options = {"crf": "0", "g": "1"}
        for i in range(12):
            grey = 100 if i < 11 else 180
            frame = av.VideoFrame.from_ndarray(np.full((90, 160, 3), grey, np.uint8), format="rgb24")
            box.mux(stream.encode(frame))
        box.mux(stream.encode(None))
    take = Take("tk_still", "sh000", "previs", seed=1, files={"video": "media/takes/still.mp4"}, frames=12,
                fps=Fraction(24), width=160, height=90)
    seam = loop_seam(doc, take).to_dict()
    doc.close()
    assert seam["seam_mad"] > 50 and seam["ratio"] is None
    json.loads(json.dumps(seam), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    line = loop_seam_text(seam)
    assert "inf" not in line and "holds still" in line
