"""Run by test_farm_head.py in its own process (a process holds one Ray connection, and this one
loses its head on purpose): a one-node cluster, three jobs, the head killed while the first runs.
Prints one JSON line: what the runner did."""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    from ray.cluster_utils import Cluster

    from engine.farm.runner import FarmRunner
    from engine.jobs import GenerationRequest
    from tests.farm.conftest import kill_node
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    cluster.add_node(num_cpus=1, resources={"shotreel_cpu": 1})
    cluster.wait_for_nodes()
    out = Path(tempfile.mkdtemp(prefix="farm-head-"))
    states: list[str] = []

    class Listen:
        def on_engine_state(self, text):
            states.append(text)
    runner = FarmRunner(cluster.address, listeners=[Listen()])
    for i in range(3):
        runner.submit(GenerationRequest(job_id=f"j{i}", output_dir=str(out / f"j{i}"), width=160, height=90,
                                        frames=72, seed=i))
    deadline = time.monotonic() + 60
    while not runner.running_ids() and time.monotonic() < deadline:
        time.sleep(0.05)
    kill_node(cluster, cluster.head_node)
    killed = time.monotonic()
    idle = runner.wait_idle(timeout=90)
    report = {"idle": idle, "seconds": round(time.monotonic() - killed, 2), "local": runner.local,
              "error": str(runner.lost_head_error or ""),
              "jobs": [{"id": r.job_id, "status": r.status.value, "worker": r.worker,
                        "video": bool(r.result and Path(r.result.video or "").is_file())} for r in runner.jobs()],
              "states": states,
              "partials": sorted(p.name for p in out.rglob("*.partial-*"))}
    runner.shutdown()
    for node in list(cluster.worker_nodes):
        kill_node(cluster, node)
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    sys.exit(main())
