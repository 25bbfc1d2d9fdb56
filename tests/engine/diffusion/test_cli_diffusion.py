"""The command line on tiny random-weight pipelines: `shotreel models` finds them, `shotreel generate
--backend diffusion` renders a chained project through the same loader users run (CPU, no GPU mocked)."""
from __future__ import annotations

import json
from pathlib import Path

import av

from engine.cues import CameraCue
from studio.cli import main
from studio.commands import AddShot
from studio.document import Document
from studio.model import Shot


def _last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_models_lists_tiny_folders_and_refuses_pickles(tiny_models, tmp_path: Path, capsys):
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "model_index.json").write_text('{"_class_name": "WanPipeline", "transformer": ["diffusers", '
                                              '"WanTransformer3DModel"]}')
    (pickled / "transformer").mkdir()
    (pickled / "transformer" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    folder = Path(tiny_models["wan_t2v"]).parent
    assert main(["models", "--path", str(folder), "--path", str(pickled), "--json"]) == 0
    data = _last_json(capsys)
    families = {m["family"] for m in data["models"]}
    assert {"wan", "ltx", "cogvideox"} <= families
    assert any("pickle" in r["message"].lower() or ".bin" in r["message"] for r in data["refused"])


def test_generate_with_a_diffusion_model_chains_shots(tiny_models, tmp_path: Path, capsys):
    path = tmp_path / "d.shotreel"
    doc = Document.create(path, fps=16, width=64, height=64)
    seq = doc.project.sequences[0].id
    for title in ("Arrival", "Reaction"):
        doc.execute(AddShot(seq, Shot.create(title=title, prompt="a boat at night", duration=9,
                                             camera=CameraCue(move="pan", direction="left"))))
    doc.close()
    model = str(tiny_models["wan_vace"])  # text-to-video for the first shot, continuation for the second
    assert main(["generate", str(path), "--backend", "diffusion", "--model", model, "--steps", "2",
                 "--no-sign", "--json"]) == 0
    takes = _last_json(capsys)["takes"]
    assert [t["backend"] for t in takes] == ["diffusion", "diffusion"]
    assert takes[1]["source_take_id"] == takes[0]["id"]  # the second shot started from the first one's last frame
    with av.open(takes[1]["files_abs"]["video"]) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (64, 64)
        assert sum(1 for _ in container.decode(stream)) == 9
    assert "pan" in takes[0]["prompt"].lower()  # compiled once, by the backend, with the camera cue
