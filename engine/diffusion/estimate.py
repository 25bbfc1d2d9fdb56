"""What one shot will cost: accelerator memory as the components really coexist, and time on a named
device. No torch: parameter counts come from the safetensors headers (registry), devices from a
table or `nvidia-smi`.

Who calls: `registry.estimate` (kept for callers), `backend.estimate_request` (the studio's estimate
before queueing, `shotreel estimate`) and packaging/gpu_bench.py (printed beside each measured figure).

Memory model, per phase of a shot (the peak is the largest phase, plus the CUDA runtime):
  encode   the text (and image) encoders
  denoise  the denoiser (one expert at a time for a two-expert model such as Wan 2.2 A14B) and the
           activations of one block: tokens x (4 x width + 2 x FFN width) in the compute dtype, for
           each classifier-free-guidance pass the family runs together (CogVideoX and LTX batch
           them; Wan runs them one after the other)
  decode   the VAE and its working set: the frames it decodes at once x full-resolution features
           (Wan decodes one latent frame at a time; LTX all at once) plus the output clip in
           float32; tiling bounds the working set to a few tiles
Which phases' weights stay resident is the memory mode: gpu keeps everything; model offload one
component at a time; group/sequential offload one block of each at a time.
Calibrated against published figures in tests/engine/diffusion/test_diffusion_estimate.py (+-30%).

Time model: FLOPs of the denoiser (2 x params x tokens for the linear layers, 4 x tokens^2 x width x
layers for attention) over the device's dense bf16 throughput x its measured efficiency, plus the
weights' transfer each step where an offload mode streams them (PCIe / disk), and the decode.
"""
from __future__ import annotations

import functools
import math
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import EngineError, ErrorKind

GIB = 1024 ** 3
MEMORY_MODES = ("gpu", "model_offload", "sequential_offload", "group_offload", "group_offload_disk")
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2, "float8_e4m3fn": 1}
# The CUDA context, cuBLAS/cuDNN workspaces and the caching allocator's slack, as nvidia-smi shows
# them beside the tensors (measured ~0.8 GiB on Ampere/Hopper with torch 2.x).
RUNTIME_GIB = 0.8
FRAGMENTATION = 1.1          # activations: the caching allocator rounds and keeps freed blocks


@dataclass(frozen=True)
class Device:
    """A device the estimate can price. tflops: dense bf16 tensor throughput (vendor sheet);
    efficiency: the share video DiTs reach (fitted to the published timings in the test)."""
    name: str
    memory_gib: float
    tflops: float
    efficiency: float
    host_link_gbs: float = 25.0        # PCIe 4/5 x16 as measured by bandwidth tests, GB/s
    disk_gbs: float = 3.0              # NVMe reads for group_offload_disk

    @property
    def effective_tflops(self) -> float:
        return self.tflops * self.efficiency


DEVICES: dict[str, Device] = {d.name: d for d in (
    Device("H200", 141 * 1e9 / GIB, 989, 0.40, 55.0),
    Device("H100", 80 * 1e9 / GIB, 989, 0.40, 55.0),
    Device("A100", 80 * 1e9 / GIB, 312, 0.62),
    Device("L40S", 48 * 1e9 / GIB, 362, 0.45),
    Device("RTX 4090", 24 * 1e9 / GIB, 165, 0.70),
    Device("RTX 3090", 24 * 1e9 / GIB, 71, 0.70, 20.0),
    # CPU fallback: FIELD-NOTES measured one full-size Wan 1.3B forward (17 x 480 x 832) in ~52 s
    # on this 2-core box: ~0.6 TFLOP/s effective. Memory is the machine's RAM.
    Device("CPU", 0.0, 1.0, 0.62, 1000.0, 1000.0),
)}
_ALIASES = {"h200": "H200", "h100": "H100", "a100": "A100", "l40s": "L40S", "4090": "RTX 4090",
            "3090": "RTX 3090", "cpu": "CPU"}

# Per family: CFG passes run together (batch 2), latent frames the VAE decodes at once (0 = all),
# full-resolution decoder channels, and an activation factor for blocks wider than the plain DiT
# block (CogVideoX's expert adaLN keeps text and video streams and their norms side by side).
_FAMILY = {"wan": (False, 1, 96, 1.0), "skyreels": (False, 1, 96, 1.0), "ltx": (True, 0, 128, 1.0),
           "ltx2": (True, 0, 128, 1.2),
           "cogvideox": (True, 2, 128, 1.5)}


def find_device(name: str | None = None) -> Device:
    """A device by name ('H100', 'rtx 4090', 'cpu'), or this machine's ('auto' / None):
    `nvidia-smi` names the GPU without importing torch; no NVIDIA GPU means the CPU row."""
    if name and name.lower() not in ("auto", "cuda"):
        key = name.strip().lower().replace("nvidia", "").replace("geforce", "").strip()
        for alias, row in _ALIASES.items():
            if alias in key:
                return DEVICES[row]
        raise EngineError(ErrorKind.BAD_INPUT, f"device {name!r} is not one the estimate knows",
                          f"Use one of: {', '.join(DEVICES)}.")
    found = _nvidia_smi()
    if found is None:
        return _cpu()
    gpu_name, memory_gib = found
    base = find_device(gpu_name) if any(a in gpu_name.lower() for a in _ALIASES if a != "cpu") else \
        Device(gpu_name, memory_gib, 100.0, 0.5)
    return Device(base.name, memory_gib or base.memory_gib, base.tflops, base.efficiency, base.host_link_gbs,
                  base.disk_gbs)


def _cpu() -> Device:
    import os
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    except (ValueError, OSError, AttributeError):
        ram = 0.0
    row = DEVICES["CPU"]
    return Device(row.name, ram, row.tflops, row.efficiency, row.host_link_gbs, row.disk_gbs)


@functools.lru_cache(maxsize=1)
def _nvidia_smi() -> tuple[str, float] | None:
    exe = shutil.which("nvidia-smi")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    first = out.strip().splitlines()[0] if out.strip() else ""
    if "," not in first:
        return None
    name, mib = first.rsplit(",", 1)
    try:
        return name.strip(), float(mib) / 1024
    except ValueError:
        return name.strip(), 0.0


@dataclass(frozen=True)
class Estimate:
    """A guess shown before queueing. GiB of accelerator memory (host RAM where the device is the CPU)."""
    peak_gb: float
    weights_gb: float
    host_ram_gb: float
    tokens: int
    model_frames: int
    seconds_per_step_guess: float
    seconds_total_guess: float
    warnings: tuple[str, ...] = field(default_factory=tuple)
    components: Mapping[str, float] = field(default_factory=dict)    # GiB of weights per component
    phases: Mapping[str, float] = field(default_factory=dict)        # GiB on the device per phase
    device: str = ""
    device_memory_gb: float = 0.0
    memory_mode: str = "gpu"

    @property
    def fits(self) -> bool | None:
        """False when the peak is above the device's memory; None when the memory is unknown."""
        return None if not self.device_memory_gb else self.peak_gb <= self.device_memory_gb

    def to_dict(self) -> dict[str, Any]:
        return {"peak_gb": round(self.peak_gb, 2), "weights_gb": round(self.weights_gb, 2),
                "host_ram_gb": round(self.host_ram_gb, 2), "tokens": self.tokens, "model_frames": self.model_frames,
                "seconds_per_step_guess": round(self.seconds_per_step_guess, 2),
                "seconds_total_guess": round(self.seconds_total_guess, 1), "warnings": list(self.warnings),
                "components": {k: round(v, 3) for k, v in self.components.items()},
                "phases": {k: round(v, 2) for k, v in self.phases.items()}, "device": self.device,
                "device_memory_gb": round(self.device_memory_gb, 1), "memory_mode": self.memory_mode,
                "fits": self.fits}

    def summary(self) -> str:
        fit = "" if self.fits is None else (" · fits" if self.fits else
                                            f" · DOES NOT FIT in {self.device_memory_gb:.0f} GiB")
        return (f"~{self.peak_gb:.1f} GiB peak on {self.device or 'the device'} ({self.memory_mode}), "
                f"~{_duration(self.seconds_total_guess)}{fit}")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _role(component: str) -> str:
    if component.startswith("transformer"):
        return "denoise"
    if component.startswith(("text_encoder", "image_encoder", "connectors")):
        return "encode"
    if component in ("vae", "audio_vae", "vocoder"):
        return "decode"
    return "other"


def estimate_shot(info: Any, width: int, height: int, frames: int, steps: int, memory_mode: str = "gpu", *,
                  dtypes: Mapping[str, str] | None = None, guidance: float | None = None, vae_tiling: bool = False,
                  device: Device | None = None) -> Estimate:
    """Memory and time for one shot of `frames` model frames at `width` x `height` (see module doc).

    dtypes: component -> canonical dtype name with a 'default' (settings.dtype_names)."""
    from .registry import rule_frames
    if memory_mode not in MEMORY_MODES:
        raise EngineError(ErrorKind.BAD_INPUT, f"memory mode {memory_mode!r} is not one of {', '.join(MEMORY_MODES)}")
    device = device or DEVICES["H100"]
    dtypes = dict(dtypes or {"default": "bfloat16"})
    dtypes.setdefault("default", "bfloat16")
    spec = info.spec
    guidance = spec.default_guidance if guidance is None else guidance
    model_frames = rule_frames(frames, info.frame_step)
    lat_f = (model_frames - 1) // info.vae_temporal + 1
    lat_h, lat_w = math.ceil(height / info.vae_spatial), math.ceil(width / info.vae_spatial)
    pt, ph, pw = info.patch
    tokens = math.ceil(lat_f / pt) * math.ceil(lat_h / ph) * math.ceil(lat_w / pw)

    def nbytes(component: str) -> int:
        return DTYPE_BYTES.get(dtypes.get(component, dtypes["default"]), 2)

    def compute_bytes(component: str) -> int:
        return min(4, max(2, nbytes(component)))      # fp8 storage computes in bf16

    weights = {k: v * nbytes(k) / GIB for k, v in info.params.items()}
    experts = {k: v for k, v in weights.items() if _role(k) == "denoise"} or {"transformer": 0.0}
    by_role = {role: sum(v for k, v in weights.items() if _role(k) == role) for role in ("encode", "decode", "other")}
    layers = max(info.layers, 1)
    hidden = info.hidden_size or 1536
    expert_params = max((info.params.get(k, 0) for k in experts), default=0)
    ffn = max(hidden, (expert_params / layers - 8 * hidden * hidden) / (2 * hidden))
    batched_cfg, decode_latents, decode_channels, act_factor = _FAMILY.get(info.family, (True, 0, 128, 1.0))
    cfg = bool(guidance and guidance > 1)
    batch = 2 if cfg and batched_cfg else 1
    first_expert = next(iter(experts))
    activations = tokens * batch * (4 * hidden + 2 * ffn) * compute_bytes(first_expert) * act_factor \
        * FRAGMENTATION / GIB
    frames_at_once = model_frames if not decode_latents else min(model_frames, decode_latents * info.vae_temporal)
    pixels = height * width
    if vae_tiling:
        pixels = min(pixels, 2 * 256 * 256)          # a 256 px tile (diffusers default) and its neighbour
    vae_work = (frames_at_once * pixels * decode_channels * 4 * 3 + model_frames * height * width * 3 * 4) / GIB
    per_block = {k: v / layers for k, v in experts.items()}
    if memory_mode == "gpu":
        resident = sum(weights.values())
        phases = {"encode": resident, "denoise": resident + activations, "decode": resident + vae_work}
    elif memory_mode == "model_offload":
        phases = {"encode": by_role["encode"],
                  "denoise": max(experts.values()) + activations + by_role["other"],
                  "decode": by_role["decode"] + vae_work}
    else:  # streamed block by block: two blocks of a component on the device (the one running, the next)
        text_layers = 24
        phases = {"encode": 2 * by_role["encode"] / text_layers,
                  "denoise": 2 * max(per_block.values()) + activations,
                  "decode": by_role["decode"] + vae_work}
    peak = max(phases.values()) + (RUNTIME_GIB if device.name != "CPU" else 0.0)

    flops = 2 * expert_params * tokens + 4 * tokens * tokens * hidden * layers
    passes = 2 if cfg else 1
    seconds_per_step = flops * passes / (device.effective_tflops * 1e12)
    streamed = sum(experts.values()) * GIB / 1e9 / (len(experts) or 1)      # GB moved per step (one expert)
    if memory_mode == "group_offload":
        # streams overlap the transfer with compute; the per-group synchronisation still costs ~10%
        seconds_per_step = max(seconds_per_step * 1.1, streamed * passes / device.host_link_gbs)
    elif memory_mode == "group_offload_disk":
        seconds_per_step = max(seconds_per_step * 1.1, streamed * passes / device.disk_gbs)
    elif memory_mode == "sequential_offload":
        # leaf by leaf, synchronously: every copy waits, and each leaf pays the hook's overhead
        seconds_per_step = seconds_per_step * 1.1 + streamed * passes / device.host_link_gbs
    decode_s = model_frames * width * height * 2e-4 / device.effective_tflops
    load_s = sum(weights.values()) * GIB / 1e9 / device.host_link_gbs if memory_mode == "model_offload" else 0.0
    warnings = []
    if model_frames > spec.max_frames:
        warnings.append(f"{model_frames} frames is longer than the {spec.max_frames} {spec.label} was trained on; "
                        "expect drift (split the shot or extend it)")
    if width * height > spec.default_size[0] * spec.default_size[1] * 2.5:
        warnings.append(f"{width}x{height} is far above the {spec.default_size[0]}x{spec.default_size[1]} "
                        f"{spec.label} was trained around")
    host = sum(weights.values())
    if memory_mode == "group_offload_disk":
        host = host / layers * 4
    result = Estimate(peak_gb=peak, weights_gb=sum(weights.values()), host_ram_gb=host, tokens=tokens,
                      model_frames=model_frames, seconds_per_step_guess=seconds_per_step,
                      seconds_total_guess=seconds_per_step * steps + decode_s + load_s, warnings=tuple(warnings),
                      components=weights, phases=phases, device=device.name,
                      device_memory_gb=device.memory_gib, memory_mode=memory_mode)
    if result.fits is False:
        result = _with_warning(result, f"~{peak:.1f} GiB will not fit in the {device.memory_gib:.0f} GiB of "
                                       f"{device.name}: {_advice(memory_mode, vae_tiling)}")
    return result


def _with_warning(est: Estimate, text: str) -> Estimate:
    from dataclasses import replace
    return replace(est, warnings=(*est.warnings, text))


def _advice(mode: str, tiling: bool) -> str:
    steps = [] if tiling else ["turn on VAE tiling"]
    nxt = {"gpu": "model_offload", "model_offload": "group_offload", "group_offload": "group_offload_disk"}.get(mode)
    if nxt:
        steps.append(f"use {nxt}")
    steps.append("or lower the size / frames / dtype (fp8)")
    return ", ".join(steps)
