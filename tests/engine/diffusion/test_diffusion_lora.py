"""LoRA adapters made in the test with peft (random, non-zero low-rank weights on the tiny transformer's
attention), saved as diffusers LoRA safetensors, then attached to bible entries and shots."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.errors import EngineError, ErrorKind

from test_diffusion_generate import differs, pixels, run  # same folder, on sys.path under pytest


def make_lora(model_folder: Path, out: Path, seed: int = 0) -> Path:
    import diffusers
    import torch
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict
    file = out / f"lora-{seed}.safetensors"
    if file.exists():
        return file
    transformer = diffusers.WanTransformer3DModel.from_pretrained(model_folder, subfolder="transformer")
    torch.manual_seed(seed)
    transformer.add_adapter(LoraConfig(r=4, lora_alpha=8, init_lora_weights=False,
                                       target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    diffusers.WanPipeline.save_lora_weights(str(out), transformer_lora_layers=get_peft_model_state_dict(transformer),
                                            weight_name=file.name)
    return file


@pytest.fixture(scope="module")
def loras(tiny_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("loras")
    return [make_lora(tiny_models["wan_t2v"], root, seed) for seed in (0, 1)]


def test_lora_changes_the_take_is_recorded_and_unloads_cleanly(tiny_models, tmp_path, loras):
    from engine.diffusion import loader
    base, _ = run(tiny_models["wan_t2v"], tmp_path / "base")
    styled, _ = run(tiny_models["wan_t2v"], tmp_path / "lora",
                    loras=[{"path": str(loras[0]), "weight": 1.0, "trigger": "sks style", "name": "Noir"}])
    assert differs(base, styled)
    meta = json.loads(Path(styled.metadata_file).read_text())
    assert meta["prompt"].startswith("sks style, ")
    assert meta["loras"][0]["name"] == "Noir" and len(meta["loras"][0]["sha256"]) == 64
    assert meta["request"]["options"]["loras"][0]["weight"] == 1.0     # and so in the C2PA parameters
    other, _ = run(tiny_models["wan_t2v"], tmp_path / "other", loras=[{"path": str(loras[1])}])
    assert differs(styled, other)
    zero, _ = run(tiny_models["wan_t2v"], tmp_path / "zero", loras=[{"path": str(loras[0]), "weight": 0.0}])
    assert np.array_equal(pixels(zero.last_frame), pixels(base.last_frame))
    again, _ = run(tiny_models["wan_t2v"], tmp_path / "again")          # the adapters are gone again
    assert np.array_equal(pixels(again.last_frame), pixels(base.last_frame))
    pipe_loaded = [v for k, v in loader._CACHE.items()
                   if k[0] == str(Path(tiny_models["wan_t2v"]).resolve()) and dict(k[2]) == {"default": "float32"}
                   and k[3] == "gpu"][0]
    assert pipe_loaded.loras == {} and not pipe_loaded.pipe.get_list_adapters().get("transformer")


def test_lora_stays_loaded_between_shots_that_use_it(tiny_models, tmp_path, loras, monkeypatch):
    import diffusers
    calls = []
    original = diffusers.WanPipeline.load_lora_weights

    def spy(self, *a, **k):
        calls.append(a[0])
        return original(self, *a, **k)
    monkeypatch.setattr(diffusers.WanPipeline, "load_lora_weights", spy)
    spec = [{"path": str(loras[0]), "weight": 0.7}]
    a, _ = run(tiny_models["wan_t2v"], tmp_path / "a", loras=spec)
    b, _ = run(tiny_models["wan_t2v"], tmp_path / "b", loras=spec, seed=4)
    assert calls == [str(loras[0])]                     # loaded once, reused with the pipeline
    run(tiny_models["wan_t2v"], tmp_path / "c")          # leave the pipeline clean for other tests


def test_bad_lora_files_are_refused(tiny_models, tmp_path):
    pickle = tmp_path / "x.bin"
    pickle.write_bytes(b"\x80\x04")
    for spec, words in (({"path": str(pickle)}, "safetensors"), ({"path": str(tmp_path / "no.safetensors")},
                                                                   "does not exist"),
                        ({"path": str(pickle.with_suffix(".safetensors")), "weight": "much"}, "")):
        if spec["path"].endswith(".safetensors") and "weight" in spec:
            Path(spec["path"]).write_bytes(b"x")
        with pytest.raises(EngineError) as err:
            run(tiny_models["wan_t2v"], tmp_path / "o", loras=[spec])
        assert err.value.kind is ErrorKind.BAD_INPUT and words in err.value.message


def test_bible_and_shot_loras_reach_the_request(tmp_path, loras):
    from studio.commands import AddBibleEntry, AddShot
    from studio.document import Document
    from studio.model import BibleEntry, LoraRef, Shot
    from studio.prompting import build_request
    doc = Document.create(tmp_path / "l.shotreel", fps=16, width=32, height=32)
    entry = BibleEntry(id="mara", kind="character", name="Mara",
                       loras=(LoraRef(str(loras[0]), 0.8, "sks woman"),))
    doc.execute(AddBibleEntry(entry))
    seq = doc.project.sequences[0].id
    shot = Shot.create(title="Pier", prompt="a woman walks", bible_refs=("mara",), model="/m",
                       loras=[{"path": "styles/noir.safetensors", "weight": 0.5}])
    doc.execute(AddShot(seq, shot))
    req = build_request(doc.project, doc.folder, shot.id, backend="diffusion")
    assert req.options["loras"] == [
        {"path": str(loras[0]), "weight": 0.8, "trigger": "sks woman", "name": "Mara"},
        {"path": str(doc.folder / "styles" / "noir.safetensors"), "weight": 0.5, "trigger": "", "name": "Pier"}]
    assert Shot.from_dict(doc.project.shot(shot.id).to_dict()).loras[0].weight == 0.5
    for stored in (shot, Shot.create(title="plain")):    # through JSON (the store) a shot stays hashable
        hash(Shot.from_dict(json.loads(json.dumps(stored.to_dict()))))
    plain = BibleEntry(id="tomas", kind="character", name="Tomas", loras=("likeness/tomas.safetensors",))
    assert plain.loras[0].weight == 1.0 and Path(plain.loras[0]) == Path("likeness/tomas.safetensors")
    with pytest.raises(Exception) as err:
        LoraRef("x.ckpt")
    assert "safetensors" in str(err.value)
    doc.close()


def test_lora_is_in_the_signed_takes_c2pa_manifest(tiny_models, tmp_path, loras, capsys):
    import c2pa
    from studio.cli import main
    from studio.commands import AddShot
    from studio.document import Document
    from studio.model import LoraRef, Shot
    path = tmp_path / "c.shotreel"
    doc = Document.create(path, fps=16, width=32, height=32)
    doc.execute(AddShot(doc.project.sequences[0].id, Shot.create(
        title="Noir", prompt="a pier", duration=9, model=str(tiny_models["wan_t2v"]),
        loras=(LoraRef(str(loras[0]), 0.6, "sks noir"),))))
    doc.close()
    assert main(["generate", str(path), "--backend", "diffusion", "--steps", "2", "--json"]) == 0   # signed
    take = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["takes"][0]
    reader = c2pa.Reader.try_create(take["files_abs"]["video"])
    with reader:
        store = json.loads(reader.json())
    manifest = json.dumps(store["manifests"][store["active_manifest"]])
    assert str(loras[0]) in manifest and '"weight": 0.6' in manifest and "sks noir" in manifest


def test_edit_shot_attaches_loras_from_the_command_line(tmp_path, capsys, loras):
    from studio.cli import main
    from studio.document import Document
    path = tmp_path / "e.shotreel"
    assert main(["new", str(path)]) == 0
    assert main(["add-shot", str(path), "--title", "Pier"]) == 0
    assert main(["edit-shot", str(path), "1", "--lora", f"{loras[0]}:0.7:sks noir", "--lora", str(loras[1])]) == 0
    doc = Document.open(path)
    shot = doc.project.resolve_shot("1")
    doc.close()
    assert [(lo.weight, lo.trigger) for lo in shot.loras] == [(0.7, "sks noir"), (1.0, "")]
    for lo, source in zip(shot.loras, loras):     # copied into the project, byte for byte
        assert lo.path.startswith("media/loras/") and (path / lo.path).read_bytes() == source.read_bytes()
    fake = tmp_path / "fake.safetensors"
    fake.write_bytes(b"\x80\x04 a pickle renamed")
    for bad, words in (("x.ckpt", "safetensors"), (str(fake), "not a safetensors file"),
                       (str(tmp_path / "gone.safetensors"), "not a file"), (f"{loras[0]}:9", "outside -4..4")):
        assert main(["edit-shot", str(path), "1", "--lora", bad]) == 1
        assert words in capsys.readouterr().err
    assert main(["edit-shot", str(path), "1", "--lora", ""]) == 0
    doc = Document.open(path)
    assert doc.project.resolve_shot("1").loras == ()
    doc.close()


def test_bible_entry_lora_from_the_command_line_reaches_the_pipeline(tiny_models, tmp_path, loras, capsys):
    """`bible add/edit --lora` (copied in, one undoable step) -> a shot referencing the entry -> the
    diffusion pipeline loads it: the take records the entry's LoRA and its trigger words lead the prompt."""
    import hashlib
    from studio.cli import main
    from studio.document import Document
    path = tmp_path / "b.shotreel"
    assert main(["new", str(path), "--size", "32x32", "--fps", "16"]) == 0
    assert main(["bible", "add", str(path), "--kind", "character", "--name", "Mara",
                 "--lora", f"{loras[0]}:0.8:sks woman", "--json"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    copied = path / record["loras"][0]["path"]
    assert record["loras"][0]["path"].startswith("media/loras/") and copied.read_bytes() == loras[0].read_bytes()
    assert main(["add-shot", str(path), "--title", "Pier", "--prompt", "a woman walks", "--duration", "9f",
                 "--ref", "Mara"]) == 0
    assert main(["generate", str(path), "--backend", "diffusion", "--model", str(tiny_models["wan_t2v"]),
                 "--steps", "2", "--json"]) == 0
    take = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["takes"][0]
    meta = json.loads(Path(take["files_abs"]["metadata"]).read_text())
    assert meta["prompt"].startswith("sks woman, ")
    assert [(lo["name"], lo["sha256"]) for lo in meta["loras"]] == [
        ("Mara", hashlib.sha256(loras[0].read_bytes()).hexdigest())]
    assert meta["request"]["options"]["loras"][0]["weight"] == 0.8
    # edit replaces the list, '' clears, undo brings it back
    assert main(["bible", "edit", str(path), "Mara", "--lora", str(loras[1])]) == 0
    assert main(["bible", "edit", str(path), "Mara", "--lora", ""]) == 0
    doc = Document.open(path)
    assert doc.project.bible_by_name("Mara").loras == ()
    doc.close()
    assert main(["undo", str(path)]) == 0
    doc = Document.open(path)
    kept = doc.project.bible_by_name("Mara").loras
    doc.close()
    assert len(kept) == 1 and (path / kept[0].path).read_bytes() == loras[1].read_bytes()
    assert main(["bible", "edit", str(path), "Mara", "--lora", "mara.bin"]) == 1
    assert "safetensors" in capsys.readouterr().err
