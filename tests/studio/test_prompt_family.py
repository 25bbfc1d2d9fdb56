"""The compiled prompt preview is the prompt of the backend and model family the shot will really use
(it always showed the Wan prompt). The model folder is a real diffusers layout with a safetensors header:
the family is read from it without torch."""
from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path

from studio.demo import build_demo
from studio.prompting import compiled_prompt, prompt_family


def _model_folder(root: Path, class_name: str) -> Path:
    folder = root / class_name
    (folder / "transformer").mkdir(parents=True)
    (folder / "model_index.json").write_text(json.dumps({"_class_name": class_name,
                                                         "transformer": ["diffusers", "Transformer"]}))
    (folder / "transformer" / "config.json").write_text(json.dumps({"_class_name": "Transformer"}))
    header = json.dumps({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}).encode()
    (folder / "transformer" / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bytes(16))
    return folder


def test_preview_follows_the_shots_backend_and_model_family(tmp_path):
    doc = build_demo(tmp_path / "demo.shotreel")
    try:
        project = doc.project
        seq = project.sequences[0]
        shot = seq.shots[2]
        assert prompt_family(project, shot) == ("", "previs (built-in renderer)")
        assert compiled_prompt(project, seq, shot, doc.folder)[0] == shot.prompt
        ltx = replace(shot, backend="diffusion", model=str(_model_folder(tmp_path, "LTXPipeline")))
        wan = replace(shot, backend="diffusion", model=str(_model_folder(tmp_path, "WanPipeline")))
        assert prompt_family(project, ltx)[0] == "ltx" and prompt_family(project, wan)[0] == "wan"
        ltx_prompt = compiled_prompt(project, seq, ltx, doc.folder)[0]
        wan_prompt = compiled_prompt(project, seq, wan, doc.folder)[0]
        assert "real-life footage" in ltx_prompt and "real-life footage" not in wan_prompt
        assert ltx_prompt != wan_prompt
    finally:
        doc.close()
