"""Content policy benchmark: the check every generation runs (and the inspector runs per keystroke),
over 1,000 shots with a 60-name, 40-term policy and a bible of 20 characters (5 real people).

Figures: mean and p95 milliseconds per shot of `studio.policy.check_text` on the shot's words (target
<= 1 ms per shot), the same plus `studio.consent.shot_likenesses` (the whole gate but request building), and the ratio to a floor measured in the same run on the same texts: one precompiled
regular expression searching for a single word. Run: `python -m tests.bench.bench_policy`.
"""
from __future__ import annotations

import json
import random
import re
import statistics
import time

from studio.consent import shot_likenesses, shot_words
from studio.model import BibleEntry, ConsentRecord, Project, Sequence, Shot
from studio.policy import check_text, combine, parse_policy

SHOTS = 1000
WORDS = ("harbour dusk ferry rope lantern crowd rain gull crane container dock walks turns looks runs "
         "waves smiles slowly quietly towards across behind under the a of and with in on").split()


def line(name: str, value: float, unit: str, target: float | None = None, ok: bool | None = None) -> None:
    row = {"bench": name, "value": round(value, 4), "unit": unit}
    if target is not None:
        row.update(target=target, ok=bool(value <= target) if ok is None else ok)
    print(json.dumps(row), flush=True)


def build() -> tuple[Project, list[Shot], object]:
    rng = random.Random(7)
    names = [f"Person{i} Surname{i}" for i in range(60)]
    terms = [f"term{i}" for i in range(38)] + ["blood bath", "deepfake"]
    policy = combine([parse_policy({"on_violation": "warn", "consent": {"names": names},
                                    "blocked": {"terms": terms}}, "bench")])
    bible = [BibleEntry(f"ch{i}", "character", f"Char{i}", real_person=i < 5,
                        consent=ConsentRecord(f"Person{i} Surname{i}", "2026-01-01", ("previs",)) if i < 5 else None)
             for i in range(20)]
    shots = []
    for i in range(SHOTS):
        words = [rng.choice(WORDS) for _ in range(40)]
        if i % 10 == 0:
            words.insert(rng.randrange(len(words)), rng.choice(names + terms))
        if i % 7 == 0:
            words.insert(rng.randrange(len(words)), f"Char{rng.randrange(20)}")
        shots.append(Shot(f"s{i:04d}", f"Shot {i}", " ".join(words), dialogue="We leave at dawn."))
    return Project("Bench", sequences=[Sequence("sq", shots=shots)], bible=bible), shots, policy


def main() -> None:
    project, shots, policy = build()
    texts = [shot_words(s) for s in shots]
    check_text(policy, texts[0], project)  # builds the automaton once, as the first generation does
    floor_re = re.compile(r"\bdeepfake\b", re.I)
    rounds = 5
    samples, floor = [], []
    hits = 0
    for _ in range(rounds):
        for shot, text in zip(shots, texts):
            t0 = time.perf_counter()
            decision = check_text(policy, shot_words(shot), project)
            samples.append(time.perf_counter() - t0)
            hits += bool(decision.hits)
            t0 = time.perf_counter()
            floor_re.search(text)
            floor.append(time.perf_counter() - t0)
    mean_ms = statistics.fmean(samples) * 1000
    p95_ms = sorted(samples)[int(0.95 * (len(samples) - 1))] * 1000
    line("policy_check_mean_per_shot", mean_ms, "ms", 1.0)
    line("policy_check_p95_per_shot", p95_ms, "ms", 1.0)
    line("policy_check_vs_single_regex", mean_ms / (statistics.fmean(floor) * 1000), "x")
    line("policy_shots_with_hits", hits / rounds, "shots")
    # the whole pre-generation gate minus request building: which likenesses a shot uses + the policy
    both = []
    for shot in shots:
        t0 = time.perf_counter()
        shot_likenesses(project, ".", shot)
        check_text(policy, shot_words(shot), project)
        both.append(time.perf_counter() - t0)
    line("likeness_and_policy_mean_per_shot", statistics.fmean(both) * 1000, "ms", 1.0)


if __name__ == "__main__":
    main()
