"""Suite-wide isolation: no test signs with, or writes to, the real user's Shotreel config folder."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_config_dir(tmp_path_factory):
    previous = os.environ.get("SHOTREEL_CONFIG_DIR")
    os.environ["SHOTREEL_CONFIG_DIR"] = str(tmp_path_factory.mktemp("shotreel-config"))
    yield
    if previous is None:
        os.environ.pop("SHOTREEL_CONFIG_DIR", None)
    else:
        os.environ["SHOTREEL_CONFIG_DIR"] = previous
