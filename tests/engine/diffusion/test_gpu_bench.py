"""packaging/gpu_bench.py on this CPU: it says why it cannot run and exits 0; its configuration list runs
nothing that the engine refuses; its folder builder makes folders the real registry and loader accept
(tiny sizes; the full sizes are the same code with the published widths)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "packaging" / "gpu_bench.py"


def _bench():
    spec = importlib.util.spec_from_file_location("gpu_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_cuda_it_exits_cleanly_saying_why(capsys):
    bench = _bench()
    assert bench.main([]) == 0
    assert "no CUDA device" in capsys.readouterr().out


def test_every_default_config_passes_the_engine_checks():
    from engine.diffusion.registry import FAMILIES, ModelInfo
    from engine.diffusion.settings import check_settings
    bench = _bench()
    pairs = bench.configs()
    assert ("wan", "compile") in pairs and not any("+" in c for _, c in pairs)
    for family, config in pairs:
        spec = FAMILIES[family]
        info = ModelInfo(path="/m", class_name="X", family=family, variant="t2v", label=spec.label,
                         capabilities=frozenset(), native_fps=spec.native_fps, frame_step=spec.frame_step,
                         size_multiple=spec.size_multiple, params={"transformer": 1})
        check_settings(bench.options_for(config, 10), info, "cuda")      # raises if the engine would refuse it


@pytest.mark.parametrize("family", ["wan", "ltx", "cogvideox"])
def test_folder_builder_makes_loadable_folders(tiny_models, tmp_path, family):
    from engine.diffusion import loader
    from engine.diffusion.registry import inspect_model_dir
    from engine.diffusion.settings import parse_memory_mode
    bench = _bench()
    folder = bench.build_folder(family, tmp_path, tiny=True)
    info = inspect_model_dir(folder)
    assert info.family == family and info.params["text_encoder"] > 0
    loaded = loader.load_pipeline(info, "LTXConditionPipeline" if family == "ltx" else info.class_name,
                                  mode=parse_memory_mode("gpu"), device="cpu")
    assert loaded.pipe.text_encoder.config.num_layers == 1
