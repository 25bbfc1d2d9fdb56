"""The render farm as the studio sees it: the project's farm setting, and the runner to use.

Who calls: the CLI (`generate --farm`, `farm ...`) and the UI's composition root. Ray is never
imported here: engine.farm imports it lazily, and only when the farm is used, so the studio and all
local work run without the `farm` extra.

Setting (project settings, key 'farm'): {"enabled": bool, "address": "host:port" or ""}. An empty
address means the farm this machine started or joined (Ray's 'auto').
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from .errors import UserError

SETTING = "farm"
EXTRA_HINT = "the render farm needs the farm extra: pip install -e '.[farm]'"


def farm_setting(settings: Mapping[str, Any]) -> dict[str, Any]:
    value = settings.get(SETTING) or {}
    if not isinstance(value, Mapping):
        value = {}
    return {"enabled": bool(value.get("enabled", False)), "address": str(value.get("address") or "").strip()}


def validate_address(address: str) -> str:
    """'' (auto) or HOST:PORT; one clear line otherwise."""
    address = (address or "").strip()
    if not address or address == "auto":
        return address
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"render farm address {address!r} is not HOST:PORT (for example 192.168.1.20:6379)")
    return address


def farm_available() -> bool:
    return importlib.util.find_spec("ray") is not None


def state_dir() -> Path:
    """Where `shotreel farm start|join` keeps its process record and log (per user)."""
    from .identity import shotreel_config_dir
    return shotreel_config_dir() / "farm"


def make_runner(store: Any, *, farm: Optional[str] = None, postprocess: Any = None,
                listeners: Iterable[Any] = (), model_dirs: Optional[list[str]] = None, **kwargs: Any) -> Any:
    """A local engine.runner.Runner, or with `farm` (an address, or 'auto'/'' for this machine's farm)
    an engine.farm FarmRunner: same interface, so callers do not care where jobs run."""
    if farm is None:
        from engine.runner import Runner
        return Runner(store=store, postprocess=postprocess, listeners=listeners, **kwargs)
    if not farm_available():
        raise UserError(EXTRA_HINT)
    from engine.farm.runner import FarmRunner
    address = validate_address(farm)
    return FarmRunner(address or None, store=store, postprocess=postprocess, listeners=listeners,
                      model_dirs=model_dirs, **kwargs)


def farm_address_for(settings: Mapping[str, Any], override: Optional[str] = None) -> Optional[str]:
    """The farm to use: an explicit `--farm ADDRESS` wins; a bare `--farm` ('') means the project's
    address, else this machine's farm; without either, the project's setting when it is on;
    None = run locally."""
    setting = farm_setting(settings)
    if override is not None:
        return override or setting["address"]
    return setting["address"] if setting["enabled"] else None
