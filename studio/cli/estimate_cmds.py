"""`shotreel estimate`: what generating shots on a diffusion model will cost (memory, time) on this
machine's device or a named one, before anything is queued. Also the generation flags that
`shotreel generate` shares (--memory-mode --dtype --attention --cache --compile)."""
from __future__ import annotations

import argparse
from typing import Any

from ..errors import UserError
from .common import add_command, emit, open_document, table


def add_generation_flags(p: argparse.ArgumentParser) -> None:
    """The diffusion settings one command can ask for; they win over the shot's override and the
    project's defaults (studio.diffusion_settings)."""
    p.add_argument("--model", help="diffusion model folder (or hub id with --allow-download)")
    p.add_argument("--steps", type=int, help="diffusion denoising steps")
    p.add_argument("--memory-mode", metavar="MODE",
                   help="gpu, model_offload, sequential_offload, group_offload, group_offload_disk; "
                        "add +vae_tiling for tiled decode (e.g. group_offload+vae_tiling)")
    p.add_argument("--dtype", metavar="DTYPE", help="auto, bfloat16, float16, float32, or fp8 (transformer "
                                                    "stored in fp8, computed in bf16)")
    p.add_argument("--attention", metavar="BACKEND", help="attention kernel: native, flash, sage, _native_cudnn, "
                                                          "... (*_hub kernels need --allow-download)")
    p.add_argument("--cache", metavar="KIND", help="denoiser cache: none, first_block, pab, mag")
    p.add_argument("--compile", action="store_true", help="regional torch.compile of the transformer blocks "
                                                          "(not together with --cache)")
    p.add_argument("--allow-download", action="store_true", help="let a hub id download weights")


def generation_options(args: argparse.Namespace) -> dict[str, Any]:
    """The flags as engine options (only the ones given), checked without torch."""
    from ..diffusion_settings import normalise
    given = normalise({"memory_mode": args.memory_mode, "dtype": args.dtype, "attention_backend": args.attention,
                       "cache": args.cache, "compile": True if args.compile else None, "steps": args.steps},
                      "command line")
    if args.cache and args.cache.lower() in ("none", "off"):
        given["cache"] = "none"        # explicitly none: wins over the shot's and the project's cache
    if args.model:
        given["model"] = args.model
    if args.allow_download:
        given["allow_download"] = True
    return given


def register(subparsers: Any) -> None:
    p = add_command(subparsers, "estimate", "Memory and time a diffusion shot will need, before queueing it",
                    run_estimate)
    p.add_argument("project")
    p.add_argument("--shot", action="append", metavar="SHOT", help="shot id, number or title (repeatable; "
                                                                    "default: every shot)")
    add_generation_flags(p)
    p.add_argument("--device", metavar="NAME", help="price for this device instead of this machine's: H200, H100, "
                                                    "A100, L40S, RTX 4090, RTX 3090, CPU")


def run_estimate(args: argparse.Namespace) -> int:
    from ..diffusion_estimate import estimate_for_shot
    options = generation_options(args)
    with open_document(args.project) as doc:
        project = doc.project
        shots = [project.resolve_shot(ref) for ref in args.shot] if args.shot else [s for _, s in project.shots()]
        if not shots:
            raise UserError("the project has no shots")
        numbers = {shot.id: i + 1 for i, (_, shot) in enumerate(project.shots())}
        rows = []
        for shot in shots:
            request, est = estimate_for_shot(doc, shot.id, options, device=args.device)
            rows.append({"shot": shot.id, "number": numbers[shot.id], "title": shot.title, "model": request.model,
                         "options": {k: v for k, v in request.options.items()
                                     if k in ("memory_mode", "dtype", "attention_backend", "cache", "compile",
                                              "steps")},
                         "estimate": est.to_dict(), "summary": est.summary()})
    too_big = [r for r in rows if r["estimate"]["fits"] is False]

    def text() -> str:
        lines = [table([(r["number"], r["title"][:24], f"{r['estimate']['peak_gb']:.1f} GiB",
                         f"{r['estimate']['seconds_total_guess']:.0f} s", r["estimate"]["memory_mode"],
                         "no" if r["estimate"]["fits"] is False else "yes") for r in rows],
                       ("shot", "title", "peak", "time", "memory mode", "fits"))]
        lines.append(f"device: {rows[0]['estimate']['device']} ({rows[0]['estimate']['device_memory_gb']:.0f} GiB)")
        for r in rows:
            for warning in r["estimate"]["warnings"]:
                lines.append(f"shot {r['number']}: {warning}")
        return "\n".join(lines)
    emit(args, {"shots": rows, "fits": not too_big}, text)
    return 0
