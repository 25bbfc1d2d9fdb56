"""Reaching a farm: connect the studio (a Ray driver) to a head, and tell whether the head answers.

Who calls: engine.farm.runner (FarmRunner) and engine.farm.cluster (status). Ray is imported lazily.
"""
from __future__ import annotations

import socket
from typing import Optional

from ..errors import EngineError, ErrorKind

NAMESPACE = "shotreel"


def farm_error(address: str, exc: BaseException | str) -> EngineError:
    return EngineError(ErrorKind.BAD_INPUT, f"cannot reach the render farm at {address or 'auto'}: {exc}",
                       "Start the head with `shotreel farm start` (or check the address in Settings > Render farm), "
                       "or generate locally.")


def connect(address: Optional[str]) -> bool:
    """ray.init on `address` unless already connected. True when this call connected (and so owns
    the connection). Errors become one clear EngineError."""
    import os
    import ray
    if ray.is_initialized():
        return False
    # Ray ends a driver whose head is gone for 60 s; the studio must outlive its farm (it carries on
    # locally), so the driver waits for the head as long as it runs.
    os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", str(7 * 24 * 3600))
    target = address if address and address != "auto" else _auto_address()
    if not target:
        raise farm_error("auto", "no farm was started or joined on this machine")
    if not head_reachable(target, timeout=3.0):   # ray.init would wait on a dead head for minutes
        raise farm_error(target, "nothing answers there")
    try:
        ray.init(address=target, namespace=NAMESPACE, log_to_driver=False, configure_logging=False,
                 include_dashboard=False)
    except Exception as exc:
        raise farm_error(address or "auto", exc) from None
    return True


def _auto_address() -> str:
    """The head Ray's 'auto' would connect to ($RAY_ADDRESS, else the last cluster started here)."""
    try:
        from ray._private import services
        return services.canonicalize_bootstrap_address("auto") or ""
    except Exception:
        return ""


def head_reachable(gcs_address: str, timeout: float = 0.5) -> bool:
    host, _, port = gcs_address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False
