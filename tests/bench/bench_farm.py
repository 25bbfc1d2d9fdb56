"""The render farm against the local runner, on this machine (a Ray cluster of local nodes).

Figures (one JSON line each):
  farm_overhead_ratio     wall time of 12 independent previs shots through FarmRunner with ONE worker
                          node of one slot / the same 12 shots through the local Runner (both warmed up
                          with one shot first; takes written into the folder, unsigned). Target <= 1.15.
  farm_two_workers_speedup  the same 12 shots with one worker / with two worker slots (two processes on
                          this 2-core machine). Target >= 1.5. Beside it: the CPU a shot costs here
                          (renderer in this process + its ffmpeg encoders, which are multi-threaded)
                          and the load average: one shot already keeps more than one core busy, so on
                          2 cores the ceiling is low, lower still when other work shares them.
  farm_overhead_cpu_ratio the same comparison in CPU seconds (studio process + worker processes + their
                          encoders / local process + encoders): robust when other work loads the box.
  farm_delivery_s         median seconds from a worker finishing a shot to its take written here (the
                          files' trip through the object store + the take writer), with the p90.

Ray talks on the machine's network address, so this benchmark re-runs itself in a private network
namespace (loopback only) when it is not in one already (needs root, or `unshare -r`).

Run: python -m tests.bench.bench_farm
"""
from __future__ import annotations

import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHOTS, W, H, FRAMES = 12, 320, 180, 48


def _isolated() -> bool:
    return [n for _, n in socket.if_nameindex()] == ["lo"]


def _requests(folder: Path, tag: str, count: int = SHOTS):
    from engine.cues import CameraCue, MotionCue
    from engine.jobs import CharacterSpec, GenerationRequest, SceneSpec
    scene = SceneSpec(heading="EXT. HARBOUR - DUSK", characters=(CharacterSpec("Mara"),), set_seed=3)
    return [GenerationRequest(job_id=f"{tag}{i}", output_dir=str(folder / f"{tag}{i}"), width=W, height=H,
                              frames=FRAMES, seed=i, scene=scene,
                              camera=CameraCue(move=("dolly_in", "pan", "orbit")[i % 3], amount=0.3),
                              motion=(MotionCue(subject="Mara", action="walks"),)) for i in range(count)]


def _run_all(runner, requests) -> float:
    started = time.perf_counter()
    ids = [runner.submit(r) for r in requests]
    for job in ids:
        record = runner.wait(job, timeout=600)
        assert record.status.value == "done", record.error
    return time.perf_counter() - started


def _own_cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class _Farm:
    """A cluster of a head (no slots) and one worker node of `slots` slots, with a warm FarmRunner."""

    def __init__(self, folder: Path, slots: int):
        from ray.cluster_utils import Cluster

        from engine.farm.runner import FarmRunner
        self.cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
        self.cluster.add_node(num_cpus=slots, resources={"shotreel_cpu": slots})
        self.cluster.wait_for_nodes()
        self.runner = FarmRunner(self.cluster.address)
        deadline = time.monotonic() + 120
        while sum(w["ready"] for w in self.runner.workers()) < slots and time.monotonic() < deadline:
            time.sleep(0.1)
        _run_all(self.runner, _requests(folder, f"warm{slots}-", slots))   # every worker imported the renderer

    def worker_cpu(self) -> float:
        import ray
        return sum(ray.get(s.handle.info.remote())["cpu_s"] for s in self.runner._slots.values())

    def run(self, folder: Path, tag: str) -> tuple[float, list[float], float]:
        """(wall, delivery times, CPU seconds of this process + the workers + their encoders)."""
        cpu = _own_cpu() + self.worker_cpu()
        wall = _run_all(self.runner, _requests(folder, tag))
        cpu = _own_cpu() + self.worker_cpu() - cpu
        return wall, [self.runner.delivery_s[r.job_id] for r in _requests(folder, tag)], cpu

    def close(self) -> None:
        import ray
        self.runner.shutdown()
        ray.shutdown()
        self.cluster.shutdown()


def _emit(name: str, **values) -> None:
    print(json.dumps({"bench": name, **values}), flush=True)


def main() -> None:
    if not _isolated():
        code = subprocess.call(["unshare", "-n" if os.geteuid() == 0 else "-rn", "sh", "-c",
                                f"ip link set lo up && exec {sys.executable} -c 'import tests.bench.bench_farm as m; m.main()'"])
        raise SystemExit(code)
    from engine.runner import Runner
    with tempfile.TemporaryDirectory(prefix="bench-farm-") as tmp:
        root = Path(tmp)
        local_runner = Runner()
        _run_all(local_runner, _requests(root, "warm-local", 1))
        farm = _Farm(root, 1)
        locals_, ones, delivery, local_cpus, farm_cpus = [], [], [], [], []
        for round_ in range(2):   # interleaved, medians: a loaded box drifts
            cpu = _own_cpu()
            locals_.append(_run_all(local_runner, _requests(root, f"local{round_}-")))
            local_cpus.append(_own_cpu() - cpu)
            wall, times, farm_cpu = farm.run(root, f"one{round_}-")
            ones.append(wall)
            farm_cpus.append(farm_cpu)
            delivery += times
        local_cpu = statistics.median(local_cpus) / SHOTS
        farm.close()
        local_runner.shutdown()
        farm = _Farm(root, 2)
        twos = [farm.run(root, f"two{round_}-")[0] for round_ in range(2)]
        farm.close()
    local, one, two = statistics.median(locals_), statistics.median(ones), statistics.median(twos)
    ratio = one / local
    _emit("farm_overhead_ratio", value=round(ratio, 3), farm_s=round(one, 2), local_s=round(local, 2),
          shots=SHOTS, size=f"{W}x{H}x{FRAMES}", target="<= 1.15", ok=ratio <= 1.15)
    cpu_ratio = statistics.median(farm_cpus) / statistics.median(local_cpus)
    _emit("farm_overhead_cpu_ratio", value=round(cpu_ratio, 3), note="CPU seconds (studio + workers + encoders) "
          "/ local runner's (process + encoders): robust when other work loads the machine", target="<= 1.15",
          ok=cpu_ratio <= 1.15)
    speedup = one / two
    _emit("farm_two_workers_speedup", value=round(speedup, 3), one_worker_s=round(one, 2), two_workers_s=round(two, 2),
          local_cpu_per_shot_s=round(local_cpu, 3), cores=os.cpu_count(),
          load_average=round(os.getloadavg()[0], 1), target=">= 1.5", ok=speedup >= 1.5)
    delivery.sort()
    _emit("farm_delivery_s", value=round(statistics.median(delivery), 4),
          p90=round(delivery[int(0.9 * (len(delivery) - 1))], 4), signed=False)


if __name__ == "__main__":
    main()
