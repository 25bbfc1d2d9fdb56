"""A real Ray cluster of local nodes for the farm tests (ray.cluster_utils.Cluster), shared by the
session: a head with no worker slots, two previs (CPU) nodes and one node with a simulated GPU (the
`shotreel_gpu` custom resource; there is no GPU here).

Ray talks on the machine's network address whatever it is told, so these tests must run in a
private network namespace where loopback is the only interface (`make test` does:
`unshare -n sh -c 'ip link set lo up; ...'`). Outside one they stop with that instruction."""
from __future__ import annotations

import socket

import pytest

FAST_FAILURE_DETECTION = {"health_check_period_ms": 300, "health_check_failure_threshold": 3,
                          "health_check_initial_delay_ms": 0}


def _interfaces() -> list[str]:
    """This network namespace's interfaces (sysfs would show the host's)."""
    return sorted(name for _, name in socket.if_nameindex())


@pytest.fixture(autouse=True)
def _loopback_only():
    """Every farm test fails (not skips) outside a private network namespace, saying how to run it:
    Ray would otherwise talk on this machine's network address."""
    _require_loopback_only()


def _require_loopback_only() -> None:
    if [i for i in _interfaces() if i != "lo"]:
        pytest.fail("the farm tests start Ray, which talks on every network interface: run them in a private "
                    "network namespace, e.g. unshare -n sh -c 'ip link set lo up; python -m pytest tests/farm' "
                    f"(`make test` does; interfaces here: {', '.join(_interfaces())})", pytrace=False)


def kill_node(cluster, node) -> None:
    """Kill a node the hard way (SIGKILL, no goodbye), and then the agents its raylet had started,
    which a killed raylet leaves behind as orphans."""
    import psutil
    agents = []
    for info in node.all_processes.get("raylet", []):
        try:
            agents += psutil.Process(info.process.pid).children(recursive=True)
        except psutil.Error:
            pass
    if node is cluster.head_node:
        node.kill_all_processes(check_alive=False, allow_graceful=False)
    else:
        cluster.remove_node(node, allow_graceful=False)
    for proc in agents:
        try:
            proc.kill()
        except psutil.Error:
            pass


def add_previs_node(cluster, slots: int = 1):
    return cluster.add_node(num_cpus=slots, resources={"shotreel_cpu": slots})


@pytest.fixture(scope="session")
def farm():
    """(cluster, nodes) with the driver connected. Tests that kill a node add one back."""
    _require_loopback_only()   # session fixtures start before the autouse check
    import ray
    from ray.cluster_utils import Cluster
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "_system_config": FAST_FAILURE_DETECTION})
    nodes = [add_previs_node(cluster), add_previs_node(cluster),
             cluster.add_node(num_cpus=1, resources={"shotreel_gpu": 1, "shotreel_vram_gb": 24})]
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, namespace="shotreel", log_to_driver=False, configure_logging=False)
    try:
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()
