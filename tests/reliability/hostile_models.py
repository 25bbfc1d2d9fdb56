"""A hostile model-folder set built from files alone (no torch): each case is a small diffusers-looking Wan
folder with one thing wrong. `shotreel models` and `inspect_model_dir` must refuse every one with one line."""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Callable

COMPONENTS = {"transformer": ["diffusers", "WanTransformer3DModel"], "vae": ["diffusers", "AutoencoderKLWan"],
              "text_encoder": ["transformers", "UMT5EncoderModel"], "tokenizer": ["transformers", "T5TokenizerFast"],
              "scheduler": ["diffusers", "UniPCMultistepScheduler"]}
WEIGHTS = {"transformer": "diffusion_pytorch_model.safetensors", "vae": "diffusion_pytorch_model.safetensors",
           "text_encoder": "model.safetensors"}


def safetensors_bytes(header=None, payload: bytes = b"\0" * 16) -> bytes:
    header = {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}} if header is None else header
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + payload


def make_model(folder: Path) -> Path:
    """A Wan 2.1 T2V folder the registry accepts: model_index.json, configs and tiny safetensors."""
    folder.mkdir(parents=True)
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "WanPipeline", "_diffusers_version": "0.42.1",
                                                         **COMPONENTS}))
    for name, (_, cls) in COMPONENTS.items():
        sub = folder / name
        sub.mkdir()
        config = {"_class_name": cls}
        if name == "transformer":
            config.update(num_attention_heads=2, attention_head_dim=8, num_layers=1, patch_size=[1, 2, 2])
        (sub / ("tokenizer_config.json" if name == "tokenizer" else
                "scheduler_config.json" if name == "scheduler" else "config.json")).write_text(json.dumps(config))
        if name in WEIGHTS:
            (sub / WEIGHTS[name]).write_bytes(safetensors_bytes())
    return folder


def _edit_json(path: Path, change: Callable[[dict], object]) -> None:
    data = json.loads(path.read_text())
    result = change(data)
    path.write_text(json.dumps(data if result is None else result))


def _outside(folder: Path) -> Path:
    out = folder.parent.parent / f"outside-{folder.name}"   # not beside it: a scan of the models folder skips it
    out.mkdir(parents=True, exist_ok=True)
    return out


def _symlinked_component(folder: Path) -> None:
    target = _outside(folder) / "transformer"
    (folder / "transformer").rename(target)
    (folder / "transformer").symlink_to(target)


def _symlinked_index(folder: Path) -> None:
    target = _outside(folder) / "model_index.json"
    (folder / "model_index.json").rename(target)
    (folder / "model_index.json").symlink_to(target)


def _symlinked_weights(folder: Path) -> None:
    weights = folder / "vae" / WEIGHTS["vae"]
    target = _outside(folder) / "vae.safetensors"
    weights.rename(target)
    weights.symlink_to(target)


def _bin_beside_decoy(folder: Path) -> None:
    sub = folder / "transformer"
    (sub / WEIGHTS["transformer"]).rename(sub / "decoy.safetensors")
    (sub / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04pickle that would run code")


def _nested_py(folder: Path) -> None:
    (folder / "transformer" / "modeling_evil.py").write_text("import os\nos.system('echo pwned')\n")


# name -> (what it does to a good folder, a word the refusal must contain)
HOSTILE: dict[str, tuple[Callable[[Path], None], str]] = {
    "header is a JSON list": (lambda f: (f / "vae" / WEIGHTS["vae"]).write_bytes(safetensors_bytes([1, 2])),
                              "safetensors"),
    "header entry not a dict": (lambda f: (f / "vae" / WEIGHTS["vae"]).write_bytes(safetensors_bytes({"w": 5})),
                                "safetensors"),
    "string shape": (lambda f: (f / "vae" / WEIGHTS["vae"]).write_bytes(
        safetensors_bytes({"w": {"dtype": "F32", "shape": "22", "data_offsets": [0, 16]}})), "safetensors"),
    "shape of strings": (lambda f: (f / "vae" / WEIGHTS["vae"]).write_bytes(
        safetensors_bytes({"w": {"dtype": "F32", "shape": ["2", "2"], "data_offsets": [0, 16]}})), "safetensors"),
    "negative shape": (lambda f: (f / "vae" / WEIGHTS["vae"]).write_bytes(
        safetensors_bytes({"w": {"dtype": "F32", "shape": [-2, 2], "data_offsets": [0, 16]}})), "safetensors"),
    "truncated header": (lambda f: (f / "vae" / WEIGHTS["vae"]).write_bytes(b"\x10\0\0\0\0\0\0\0{\"a\""),
                         "safetensors"),
    "_class_name a list": (lambda f: _edit_json(f / "model_index.json", lambda d: d.update(_class_name=["WanPipeline"])),
                           "class"),
    "_class_name a number": (lambda f: _edit_json(f / "model_index.json", lambda d: d.update(_class_name=7)), "class"),
    "component _class_name a list": (lambda f: _edit_json(f / "vae" / "config.json",
                                                          lambda d: d.update(_class_name=["x"])), "class"),
    "num_attention_heads many": (lambda f: _edit_json(f / "transformer" / "config.json",
                                                      lambda d: d.update(num_attention_heads="many")), "config"),
    "patch_size a string": (lambda f: _edit_json(f / "transformer" / "config.json",
                                                 lambda d: d.update(patch_size="xyz")), "config"),
    "model_index a list": (lambda f: (f / "model_index.json").write_text("[1, 2]"), "JSON object"),
    "component folder symlinked outside": (_symlinked_component, "outside"),
    "model_index.json symlinked outside": (_symlinked_index, "outside"),
    "weights symlinked outside": (_symlinked_weights, "outside"),
    "auto_map in tokenizer_config.json": (lambda f: _edit_json(f / "tokenizer" / "tokenizer_config.json",
                                                               lambda d: d.update(auto_map={"AutoTokenizer": "x.Y"})),
                                          "auto_map"),
    "auto_map in config.json": (lambda f: _edit_json(f / "text_encoder" / "config.json",
                                                     lambda d: d.update(auto_map={"AutoModel": "m.M"})), "auto_map"),
    "component entry a dict": (lambda f: _edit_json(f / "model_index.json", lambda d: d.update(
        transformer={"library": "evil", "class": "Payload"})), "component"),
    "component entry of 3": (lambda f: _edit_json(f / "model_index.json", lambda d: d.update(
        transformer=["evil_module", "Payload", "extra"])), "component"),
    "component from a foreign module": (lambda f: _edit_json(f / "model_index.json", lambda d: d.update(
        transformer=["evil_module", "Payload"])), "remote code"),
    "component library not a string": (lambda f: _edit_json(f / "model_index.json", lambda d: d.update(
        transformer=[["diffusers"], "WanTransformer3DModel"])), "component"),
    ".bin beside a decoy .safetensors": (_bin_beside_decoy, "pickle"),
    "pickle only": (lambda f: [(f / "vae" / WEIGHTS["vae"]).unlink(),
                               (f / "vae" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04")], "pickle"),
    "code in a component folder": (_nested_py, "code"),
    "custom_pipeline": (lambda f: _edit_json(f / "model_index.json", lambda d: d.update(custom_pipeline="evil")),
                        "code"),
}


def make_hostile(root: Path, name: str) -> Path:
    change, _ = HOSTILE[name]
    folder = make_model(root / name.replace(" ", "-").replace("/", "-").lstrip("."))
    change(folder)
    return folder
