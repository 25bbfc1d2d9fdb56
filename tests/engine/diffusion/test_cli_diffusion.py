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


def _project(tmp_path: Path, model: str, shots=("Arrival",)) -> Path:
    path = tmp_path / "g.shotreel"
    doc = Document.create(path, fps=16, width=32, height=32)
    seq = doc.project.sequences[0].id
    for title in shots:
        doc.execute(AddShot(seq, Shot.create(title=title, prompt="a pier", duration=9, model=model)))
    doc.close()
    return path


def test_generation_settings_layer_project_shot_and_flags(tiny_models, tmp_path: Path, capsys):
    """Project default (memory mode) < shot override (dtype) < command flag (attention) all reach the take."""
    from studio.commands import SetProjectSetting, SetShotFields
    path = _project(tmp_path, str(tiny_models["wan_t2v"]))
    doc = Document.open(path)
    shot = doc.project.sequences[0].shots[0]
    doc.execute(SetProjectSetting("diffusion", {"memory_mode": "group_offload", "dtype": "float32"}))
    doc.execute(SetShotFields(shot.id, generation={"dtype": "bfloat16", "steps": 2}))
    doc.close()
    assert main(["generate", str(path), "--backend", "diffusion", "--attention", "_native_math", "--no-sign",
                 "--json"]) == 0
    take = _last_json(capsys)["takes"][0]
    meta = json.loads(Path(take["files_abs"]["metadata"]).read_text())
    assert meta["placement"] == "group_offload" and meta["dtypes"]["default"] == "bfloat16"
    assert meta["attention_backend"] == "_native_math" and meta["steps"] == 2


def test_estimate_command_and_refusals(tiny_models, tmp_path: Path, capsys, monkeypatch):
    path = _project(tmp_path, str(tiny_models["wan_t2v"]), shots=("A", "B"))
    assert main(["estimate", str(path), "--memory-mode", "model_offload+vae_tiling", "--device", "RTX 3090",
                 "--json"]) == 0
    data = _last_json(capsys)
    assert [r["number"] for r in data["shots"]] == [1, 2] and data["fits"] is True
    est = data["shots"][0]["estimate"]
    assert est["device"] == "RTX 3090" and est["memory_mode"] == "model_offload" and est["peak_gb"] > 0
    assert set(est["phases"]) == {"encode", "denoise", "decode"}
    assert main(["estimate", str(path), "--shot", "2", "--device", "H100"]) == 0
    assert "H100" in capsys.readouterr().out
    # an impossible combination is refused up front, with the reason, by both commands
    for command in (["estimate"], ["generate", "--backend", "diffusion"]):
        assert main([*command, str(path), "--compile", "--cache", "first_block"]) == 1
        assert "cannot run together" in capsys.readouterr().err
    assert main(["estimate", str(path), "--dtype", "int4"]) == 1
    assert "int4" in capsys.readouterr().err


def test_generate_asks_first_when_the_estimate_does_not_fit_mocked_gpu(tiny_models, tmp_path: Path, capsys,
                                                                      monkeypatch):
    """No GPU here: nvidia-smi is mocked to report a 1 MiB card, so every shot 'does not fit'."""
    from engine.diffusion import estimate
    monkeypatch.setattr(estimate, "_nvidia_smi", lambda: ("NVIDIA GeForce RTX 3090", 1 / 1024))
    path = _project(tmp_path, str(tiny_models["wan_t2v"]))
    assert main(["generate", str(path), "--backend", "diffusion", "--steps", "2", "--no-sign"]) == 1
    err = capsys.readouterr().err
    assert "will not fit" in err and "--force" in err
    assert Document.open(path).project.takes == {}
    assert main(["generate", str(path), "--backend", "diffusion", "--steps", "2", "--no-sign", "--force",
                 "--json"]) == 0
    assert len(_last_json(capsys)["takes"]) == 1
