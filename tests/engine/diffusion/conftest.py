"""Session fixtures for the diffusion tests: the tiny random-weight pipelines are built and saved
ONCE per session (~6 s) into a temporary folder, then found by the registry and loaded through the
same loader users run. Every test gets its own output folder."""
from __future__ import annotations

import numpy as np
import pytest

from tiny_pipelines import build_all  # this folder is on sys.path under pytest


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Without the `gen` extra the tests that need weights skip; the rest still run."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from engine.diffusion import loader
    torch.set_num_threads(1)   # a loaded 2-core box: OpenMP barriers stall when a thread is descheduled
    # Keep every tiny pipeline loaded (a few MB each): tests switch models often. Users keep one.
    loader.KEEP_LOADED = 32
    folders = build_all(tmp_path_factory.mktemp("tiny-models"))
    yield folders
    loader.unload_all()


@pytest.fixture(scope="session")
def images(tmp_path_factory):
    """Two different 64x64 conditioning images (a gradient and a checkerboard)."""
    from PIL import Image
    root = tmp_path_factory.mktemp("cond")
    y, x = np.mgrid[0:64, 0:64]
    grad = np.stack([x * 4, y * 4, (x + y) * 2], -1).clip(0, 255).astype(np.uint8)
    checker = (((x // 8 + y // 8) % 2) * 255).astype(np.uint8)
    checker = np.stack([checker, 255 - checker, checker // 2], -1)
    paths = {}
    for name, arr in (("grad", grad), ("checker", checker)):
        paths[name] = str(root / f"{name}.png")
        Image.fromarray(arr).save(paths[name])
    return paths
