"""Farm machines: start a head, join one, report, stop — through Ray's own `ray start`.

Who calls: studio/cli/farm_cmds.py (`shotreel farm start|join|status|stop`).

`ray start --block` runs in its own session with its log in the state folder; its pid and the
farm address are kept in `farm.json` there. `stop` ends that process and everything it started
(its descendants), and nothing else: `ray stop` would end every Ray process of the machine, other
users' included.

Each node advertises its worker slots as custom resources the farm runner reads: `shotreel_gpu`
(one per worker holding GPUs, `--gpus-per-worker` each) with `shotreel_vram_gb` (their memory), or
`shotreel_cpu` (previs-only workers).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

from ..errors import EngineError, ErrorKind
from ..fsio import atomic_write_text
from .connection import NAMESPACE, connect, farm_error
from .scheduling import SLOT_CPU, SLOT_GPU, VRAM

DEFAULT_PORT = 6379
STATE = "farm.json"


def _bad(message: str, suggestion: str = "") -> EngineError:
    return EngineError(ErrorKind.BAD_INPUT, message, suggestion or None)


def slot_resources(workers: int, gpus_per_worker: float, vram_gb: float = 0.0) -> dict[str, float]:
    if workers < 1:
        raise _bad(f"--workers {workers}: a farm machine runs at least one worker")
    if gpus_per_worker < 0:
        raise _bad(f"--gpus-per-worker {gpus_per_worker}: must be 0 (previs only) or more")
    if gpus_per_worker:
        res = {SLOT_GPU: float(workers)}
        if vram_gb:
            res[VRAM] = float(vram_gb)
        return res
    return {SLOT_CPU: float(workers)}


def detect_vram_gb() -> float:
    """Total memory of this machine's NVIDIA GPUs (nvidia-smi), 0 when there is none to ask."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return 0.0
    if out.returncode != 0:
        return 0.0
    try:
        return round(sum(float(line) for line in out.stdout.split() if line.strip()) / 1024, 1)
    except ValueError:
        return 0.0


def _state_path(state_dir: Path) -> Path:
    return Path(state_dir) / STATE


def read_state(state_dir: Path) -> Optional[dict[str, Any]]:
    path = _state_path(state_dir)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if _alive(int(data.get("pid", 0))) else None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        import psutil
        return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except Exception:
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _ray_start(args: list[str], state_dir: Path, role: str, address: str, workers: int, gpus: float,
               wait_for: Optional[tuple[str, int]] = None, timeout: float = 90.0) -> dict[str, Any]:
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    running = read_state(state_dir)
    if running:
        raise _bad(f"this machine is already a farm {running['role']} ({running['address']})",
                   "Stop it first with `shotreel farm stop`.")
    log_path = state_dir / "farm.log"
    since = log_path.stat().st_size if log_path.exists() else 0
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "ray.scripts.scripts", "start", "--block",
                                 "--disable-usage-stats", *args], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise _bad(f"ray start failed ({'; '.join(tail) or 'no output'})", f"See {log_path}.")
        if _ray_node_up(log_path, since) and (wait_for is None or _port_open(*wait_for)):
            break
        if time.monotonic() > deadline:
            stop_pid(proc.pid)
            raise _bad(f"the farm {role} did not come up within {timeout:.0f} s", f"See {log_path}.")
        time.sleep(0.3)
    state = {"pid": proc.pid, "role": role, "address": address, "workers": workers, "gpus_per_worker": gpus,
             "log": str(log_path), "started": time.time()}
    atomic_write_text(_state_path(state_dir), json.dumps(state, indent=1))
    return state


def _ray_node_up(log_path: Path, since: int) -> bool:
    with open(log_path, "rb") as fh:
        fh.seek(since)
        return b"Ray runtime started" in fh.read()


def start_head(state_dir: Path, *, workers: int = 1, gpus_per_worker: float = 0, port: int = DEFAULT_PORT,
               host: str = "", vram_gb: Optional[float] = None) -> dict[str, Any]:
    """A head on this machine that also runs `workers` worker slots."""
    if gpus_per_worker and vram_gb is None:
        vram_gb = detect_vram_gb()
    resources = slot_resources(workers, gpus_per_worker, vram_gb or 0.0)
    args = ["--head", f"--port={port}", "--include-dashboard=false", f"--resources={json.dumps(resources)}",
            f"--num-cpus={max(workers, os.cpu_count() or 1)}"]
    if gpus_per_worker:
        args.append(f"--num-gpus={int(workers * gpus_per_worker)}")
    if host:
        args.append(f"--node-ip-address={host}")
    address = f"{host or _this_address()}:{port}"
    return _ray_start(args, state_dir, "head", address, workers, gpus_per_worker,
                      wait_for=("127.0.0.1" if not host else host, port))


def join(state_dir: Path, address: str, *, workers: int = 1, gpus_per_worker: float = 0,
         vram_gb: Optional[float] = None) -> dict[str, Any]:
    """This machine as a worker node of the farm at `address`."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise _bad(f"farm address {address!r} is not HOST:PORT", "Use the address `shotreel farm start` printed.")
    if not _port_open(host, int(port), timeout=3):
        raise farm_error(address, "nothing answers there")
    if gpus_per_worker and vram_gb is None:
        vram_gb = detect_vram_gb()
    resources = slot_resources(workers, gpus_per_worker, vram_gb or 0.0)
    args = [f"--address={address}", f"--resources={json.dumps(resources)}",
            f"--num-cpus={max(workers, os.cpu_count() or 1)}"]
    if gpus_per_worker:
        args.append(f"--num-gpus={int(workers * gpus_per_worker)}")
    return _ray_start(args, state_dir, "worker", address, workers, gpus_per_worker, wait_for=None)


def _this_address() -> str:
    """The address other machines reach this one on (what Ray itself will advertise)."""
    try:
        import ray._private.services as services
        return services.get_node_ip_address()
    except Exception:
        return socket.gethostbyname(socket.gethostname())


def stop_pid(pid: int, timeout: float = 15.0) -> int:
    """End `pid` and every process it started. Returns how many processes were ended."""
    import psutil
    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return 0
    procs = [root] + root.children(recursive=True)
    for p in procs:
        try:
            p.send_signal(signal.SIGTERM)
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=5)
    return len(procs)


def stop(state_dir: Path) -> Optional[dict[str, Any]]:
    """Stop what `start_head`/`join` started on this machine; None when nothing was running."""
    state = read_state(state_dir)
    _state_path(state_dir).unlink(missing_ok=True)
    if state is None:
        return None
    state["stopped_processes"] = stop_pid(int(state["pid"]))
    return state


def status(address: Optional[str]) -> dict[str, Any]:
    """Nodes (address, alive, GPUs, memory, worker slots) and the studio's workers on them (their
    loaded models and running jobs), read from the cluster."""
    import ray
    owns = connect(address)
    try:
        nodes = []
        for n in ray.nodes():
            res = n.get("Resources") or {}
            nodes.append({"node_id": n["NodeID"], "address": n.get("NodeManagerAddress", ""),
                          "alive": bool(n.get("Alive")),
                          "head": "node:__internal_head__" in res, "cpus": res.get("CPU", 0), "gpus": res.get("GPU", 0),
                          "gpu_workers": int(res.get(SLOT_GPU, 0)), "cpu_workers": int(res.get(SLOT_CPU, 0)),
                          "vram_gb": res.get(VRAM, 0), "memory_gb": round(res.get("memory", 0) / 2**30, 1)})
        workers = []
        for name in sorted(ray.util.list_named_actors(all_namespaces=True), key=str):
            entry = name if isinstance(name, dict) else {"name": name, "namespace": NAMESPACE}
            if entry.get("namespace") != NAMESPACE or not str(entry.get("name", "")).startswith("shotreel-worker-"):
                continue
            try:
                actor = ray.get_actor(entry["name"], namespace=NAMESPACE)
                workers.append(ray.get(actor.info.remote(), timeout=5))
            except Exception:  # gone between the listing and the call
                continue
        return {"address": address or "auto", "nodes": nodes, "workers": workers}
    finally:
        if owns:
            ray.shutdown()
