"""LoRA adapters on a loaded pipeline: a character's or style's LoRA from the bible, or a shot's own.

Who calls: the backend, per shot, after the pipeline is loaded. Option `loras` (request.options) is a
list of {"path": ".../x.safetensors", "weight": 0.8, "trigger": "sks woman", "name": "Mara"}; the studio
fills it from the shot and its bible references (studio.prompting).

Loaded with diffusers' adapter API (`load_lora_weights`, `set_adapters`); a two-expert Wan 2.2 model gets
each LoRA in both experts (`load_into_transformer_2`). An adapter stays loaded with the pipeline while
consecutive shots use it (the loader's cache keeps the pipeline); an adapter this shot does not use is
deleted (`delete_adapters`), so the next shot runs on the base weights exactly. Only .safetensors files
are read (a pickle can run code).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import EngineError, ErrorKind


@dataclass(frozen=True)
class LoraSpec:
    path: str
    weight: float = 1.0
    trigger: str = ""
    name: str = ""

    @property
    def adapter(self) -> str:
        """A stable adapter name for this file as it is now (a changed file is a new adapter)."""
        st = os.stat(self.path)
        key = f"{os.path.realpath(self.path)}:{st.st_size}:{st.st_mtime_ns}"
        return "lora_" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]

    def describe(self) -> dict[str, Any]:
        return {"name": self.name or Path(self.path).stem, "path": self.path, "weight": self.weight,
                "trigger": self.trigger, "sha256": _sha256(self.path)}


def parse_loras(value: Any) -> list[LoraSpec]:
    """Option `loras` -> checked specs (BAD_INPUT for a missing file, a pickle, a bad weight)."""
    if not value:
        return []
    if not isinstance(value, (list, tuple)):
        raise EngineError(ErrorKind.BAD_INPUT, "loras must be a list of {path, weight, trigger}")
    specs = []
    for item in value:
        item = {"path": item} if isinstance(item, str) else item
        if not isinstance(item, Mapping) or not item.get("path"):
            raise EngineError(ErrorKind.BAD_INPUT, f"a LoRA needs a path: {item!r}")
        path = str(Path(str(item["path"])).expanduser())
        if not path.endswith(".safetensors"):
            raise EngineError(ErrorKind.BAD_INPUT, f"LoRA {Path(path).name} is not a .safetensors file; Shotreel "
                                                   "loads safetensors only (a pickle can run code when loaded)")
        if not os.path.isfile(path):
            raise EngineError(ErrorKind.BAD_INPUT, f"LoRA file {path} does not exist")
        try:
            weight = float(item.get("weight", 1.0))
        except (TypeError, ValueError):
            raise EngineError(ErrorKind.BAD_INPUT, f"LoRA {Path(path).name}: weight {item.get('weight')!r} "
                                                   "is not a number") from None
        if not -4.0 <= weight <= 4.0:
            raise EngineError(ErrorKind.BAD_INPUT, f"LoRA {Path(path).name}: weight {weight:g} is outside -4..4")
        specs.append(LoraSpec(path, weight, str(item.get("trigger") or "").strip(), str(item.get("name") or "")))
    return specs


def with_triggers(prompt: str, specs: Iterable[LoraSpec]) -> str:
    """The prompt with each LoRA's trigger words in front (once; a LoRA is trained to answer to them)."""
    missing = [s.trigger for s in specs if s.trigger and s.trigger.lower() not in prompt.lower()]
    return ", ".join([*dict.fromkeys(missing), prompt]) if missing else prompt


def apply_loras(loaded: Any, specs: list[LoraSpec]) -> list[str]:
    """Make exactly `specs` active on the loaded pipeline; returns the adapter names in use."""
    pipe = loaded.pipe
    if not hasattr(pipe, "load_lora_weights"):
        if specs:
            raise EngineError(ErrorKind.UNSUPPORTED, f"{loaded.info.label} does not take LoRA adapters")
        return []
    active: dict[str, str] = loaded.loras
    wanted = {s.adapter: s for s in specs}
    stale = [name for name in active if name not in wanted]
    if stale:
        pipe.delete_adapters(stale)
        for name in stale:
            active.pop(name)
    two_experts = getattr(pipe, "transformer_2", None) is not None
    for name, spec in wanted.items():
        if name in active:
            continue
        try:
            pipe.load_lora_weights(spec.path, adapter_name=name)
            if two_experts:
                pipe.load_lora_weights(spec.path, adapter_name=name, load_into_transformer_2=True)
        except (ValueError, KeyError, RuntimeError, OSError) as exc:
            raise EngineError(ErrorKind.BAD_INPUT, f"LoRA {Path(spec.path).name} does not fit {loaded.info.label}: "
                                                   f"{str(exc).splitlines()[0][:300]}") from None
        active[name] = spec.path
    if wanted:
        pipe.set_adapters(list(wanted), adapter_weights=[s.weight for s in wanted.values()])
    return list(wanted)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
