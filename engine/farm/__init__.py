"""The render farm: the engine's jobs on a Ray cluster (optional extra `farm`).

Nothing here imports Ray at module level, and nothing outside engine/farm imports Ray at all:
`runner` (FarmRunner: the local runner's contract, jobs on the farm), `worker` (the long-lived
actor per GPU), `bundle` (requests and results that travel), `cluster` (start/join/status/stop).
"""
