"""`shotreel models`: the video models found in the model folders and what each can do."""
from __future__ import annotations

import argparse
import json
import os
from typing import Any

from .common import add_command


def register(subparsers: Any) -> None:
    p = add_command(subparsers, "models", "List the diffusion model folders found and what each can do",
                    run_models)
    p.add_argument("--path", action="append", metavar="DIR", help="a model folder or a folder of them (repeatable)")
    p.add_argument("--project", help="also scan the model folders set in this project's settings")


def model_paths(args: argparse.Namespace) -> list[str]:
    """--path folders, then the project's settings, then $SHOTREEL_MODEL_DIRS (os.pathsep-separated)."""
    paths = list(args.path or [])
    if args.project:
        from .common import open_document
        with open_document(args.project) as doc:
            paths += [str(p) for p in doc.project.settings.get("model_dirs") or []]
    paths += [p for p in os.environ.get("SHOTREEL_MODEL_DIRS", "").split(os.pathsep) if p]
    return paths


def run_models(args: argparse.Namespace) -> int:
    # The registry reads configs and safetensors headers only: listing models never imports torch.
    from engine.diffusion.registry import models_report
    paths = model_paths(args)
    text, code = models_report(paths, as_json=args.json)
    if args.json:
        data = json.loads(text)
        data["paths"] = paths
        print(json.dumps(data))
    else:
        print(text if paths else "no model folders given: pass --path DIR, set SHOTREEL_MODEL_DIRS, or add "
              "folders in File > Settings > Engine defaults > Model folders")
    return code
