"""Building the shot plan (studio.shotplan) for 1,000 shots: p95 per shot, target <= 5 ms.

The shots cycle the corpus lines of tests/studio/test_shotplan_corpus.py with a numbered name and
colour per shot, so the lemma cache sees new words as a real script would. Floor, measured in the
same run: serializing each resulting plan to JSON (the least any consumer of the plan does); the
ratio says what reading the words costs on top.
"""
from __future__ import annotations

import json
import statistics
import time

from studio.model import BibleEntry, Project, Sequence, Shot
from studio.shotplan import plan_for_shot
from tests.studio.test_shotplan_corpus import BIBLE, CORPUS

SHOTS = 1000
COLOURS = ("red", "blue", "green", "yellow", "black", "white", "grey", "navy", "orange", "purple")


def _project() -> Project:
    sequences, shots = [], []
    for i in range(SHOTS):
        heading, action, options, _ = CORPUS[i % len(CORPUS)]
        colour = COLOURS[i % len(COLOURS)]
        text = f"{action} Kai{i} in a {colour} jacket waits." if action else f"Kai{i} waits."
        shots.append(Shot(id=f"s{i}", title=f"Shot {i}", prompt=text, dialogue=options.get("dialogue", ""),
                          camera=options.get("camera") or Shot(id="x").camera))
        if len(shots) == 25:
            sequences.append(Sequence(f"q{len(sequences)}", heading or "EXT. HARBOUR QUAY - NIGHT", shots))
            shots = []
    bible: list[BibleEntry] = list(BIBLE)
    return Project("Bench", 24, 1280, 720, sequences=sequences, bible=bible)


def _line(name: str, value: float, unit: str, target: float) -> None:
    print(json.dumps({"bench": name, "value": round(value, 3), "unit": unit, "target": target,
                      "ok": value <= target}), flush=True)


def main() -> None:
    project = _project()
    plan_for_shot(project, project.sequences[0], project.sequences[0].shots[0])  # load the lemma tables once
    times, plans = [], []
    for seq in project.sequences:
        for shot in seq.shots:
            t = time.perf_counter()
            plans.append(plan_for_shot(project, seq, shot))
            times.append(time.perf_counter() - t)
    floor = []
    for plan in plans:
        t = time.perf_counter()
        json.dumps(plan.to_dict())
        floor.append(time.perf_counter() - t)
    p95 = statistics.quantiles(times, n=20)[-1] * 1000
    _line("plan_p95_ms_per_shot", p95, "ms", 5.0)
    _line("plan_mean_ms_per_shot", statistics.fmean(times) * 1000, "ms", 5.0)
    print(json.dumps({"bench": "plan_vs_json_floor", "value": round(sum(times) / max(1e-9, sum(floor)), 2),
                      "unit": "ratio"}), flush=True)


if __name__ == "__main__":
    main()
