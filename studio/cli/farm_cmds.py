"""`shotreel farm start|join|status|stop`: the machines of a render farm (engine.farm.cluster)."""
from __future__ import annotations

import argparse
from typing import Any

from ..errors import UserError
from .common import add_command, emit, table


def register(subparsers: Any) -> None:
    p = add_command(subparsers, "farm", "Render farm: start a head, join it from another machine, status, stop",
                    _usage)
    sub = p.add_subparsers(title="farm commands", metavar="ACTION")
    s = add_command(sub, "start", "Start the farm head on this machine (with N local workers)", run_start)
    s.add_argument("--workers", type=int, default=1, help="worker slots on this machine (one per GPU)")
    s.add_argument("--gpus-per-worker", type=float, default=0, help="GPUs each worker holds (0: previs only)")
    s.add_argument("--vram-gb", type=float, help="GPU memory of this machine in GiB (default: nvidia-smi)")
    s.add_argument("--port", type=int, default=6379, help="the head's port (default 6379)")
    s.add_argument("--host", default="", help="the address to advertise (default: this machine's)")
    j = add_command(sub, "join", "Add this machine to a farm as a worker node", run_join)
    j.add_argument("address", help="the HOST:PORT `shotreel farm start` printed")
    j.add_argument("--workers", type=int, default=1, help="worker slots on this machine (one per GPU)")
    j.add_argument("--gpus-per-worker", type=float, default=0, help="GPUs each worker holds (0: previs only)")
    j.add_argument("--vram-gb", type=float, help="GPU memory of this machine in GiB (default: nvidia-smi)")
    t = add_command(sub, "status", "Nodes, GPUs, memory, loaded models and running jobs of the farm", run_status)
    t.add_argument("address", nargs="?", help="HOST:PORT (default: the farm this machine is part of)")
    add_command(sub, "stop", "Stop what `farm start` or `farm join` started on this machine", run_stop)


def _usage(args: argparse.Namespace) -> int:
    raise UserError("farm needs an action: start, join, status or stop (see `shotreel farm --help`)")


def _cluster():
    from ..farm import EXTRA_HINT, farm_available
    if not farm_available():
        raise UserError(EXTRA_HINT)
    from engine.farm import cluster
    return cluster


def run_start(args: argparse.Namespace) -> int:
    from ..farm import state_dir
    state = _cluster().start_head(state_dir(), workers=args.workers, gpus_per_worker=args.gpus_per_worker,
                                  port=args.port, host=args.host, vram_gb=args.vram_gb)
    emit(args, state, lambda: f"farm head running at {state['address']} with {state['workers']} worker(s)\n"
                              f"on each other machine: shotreel farm join {state['address']}\n"
                              f"then: shotreel generate PROJECT --farm {state['address']}")
    return 0


def run_join(args: argparse.Namespace) -> int:
    from ..farm import state_dir, validate_address
    state = _cluster().join(state_dir(), validate_address(args.address), workers=args.workers,
                            gpus_per_worker=args.gpus_per_worker, vram_gb=args.vram_gb)
    emit(args, state, f"joined the farm at {state['address']} with {state['workers']} worker(s)")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from ..farm import validate_address
    report = _cluster().status(validate_address(args.address or "") or None)

    def text() -> str:
        nodes = table([(n["node_id"][:8], n["address"], "head" if n["head"] else "", "up" if n["alive"] else "DOWN",
                        f"{n['gpus']:g}", f"{n['vram_gb']:g}", n["gpu_workers"], n["cpu_workers"], n["memory_gb"])
                       for n in report["nodes"]],
                      ("node", "address", "role", "state", "GPUs", "VRAM GiB", "GPU workers", "CPU workers",
                       "memory GiB"))
        workers = table([(w["node_id"][:8], w["slot"], w["pid"], ", ".join(w["loaded"] or w["models"]) or "-",
                          ", ".join(w["running"]) or "idle", w["jobs_run"]) for w in report["workers"]],
                        ("node", "slot", "pid", "models", "running", "jobs run")) if report["workers"] else \
            "no studio is using the farm now (workers start when a studio connects)"
        return nodes + "\n\n" + workers
    emit(args, report, text)
    return 0


def run_stop(args: argparse.Namespace) -> int:
    from ..farm import state_dir
    state = _cluster().stop(state_dir())
    if state is None:
        emit(args, {"stopped": False}, "no farm process of this machine is running")
        return 0
    emit(args, {"stopped": True, **state}, f"stopped the farm {state['role']} ({state['address']})")
    return 0
