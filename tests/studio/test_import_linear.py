"""Importers run in linear time on hostile input (issue 11, item 4): unclosed notes, boneyards, emphasis markers.

Ratios measured in the same run (best of 3), not timed assertions: 16x the input may take at most 64x the
time (linear is ~16x, a quadratic scan ~256x), a margin that holds on a loaded machine."""
from __future__ import annotations

import random
import re
import time

import pytest

from studio.errors import UserError
from studio.interchange.fountain import _EMPHASIS, _replace_spans, _strip_emphasis_line, parse_fountain_text

HOSTILE = {"unclosed notes": "[[ note ", "brackets": "[", "unclosed boneyard": "/* x\n", "underscores": "_a ",
           "stars": "*a ", "double stars": "**a "}


def _seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        try:
            parse_fountain_text(text)
        except UserError:
            pass
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("unit", list(HOSTILE.values()), ids=list(HOSTILE))
def test_fountain_import_is_linear_in_hostile_input(unit):
    small = "INT. ROOM - DAY\n\n" + unit * (4000 // len(unit))
    large = "INT. ROOM - DAY\n\n" + unit * (64000 // len(unit))
    ratio = _seconds(large) / max(_seconds(small), 1e-4)
    assert ratio < 64, f"{ratio:.1f}x the time for 16x the input"


def test_the_linear_scanners_mean_what_the_regexes_meant():
    rng = random.Random(11)
    note = re.compile(r"\[\[(.*?)\]\]", re.S)
    for _ in range(20000):
        s = "".join(rng.choice("*_ ab[]/\n") for _ in range(rng.randint(0, 16)))
        for line in s.split("\n"):
            assert _strip_emphasis_line(line) == _EMPHASIS.sub(r"\2", line), repr(line)
        assert _replace_spans(s, "[[", "]]", lambda b: f"<{b}>")[0] == note.sub(lambda m: f"<{m.group(1)}>", s)
