"""Scratch lip-sync: the speaking figure's mouth follows its espeak-ng line in the take's own WAV."""
from __future__ import annotations

import numpy as np

from engine.audio.wav import read_wav
from engine.cues import AudioCue, CameraCue
from engine.previs import make_renderer
from engine.previs.lipsync import frame_envelope
from previs_testkit import render, request

FRAMES = 36


def test_mouth_opening_correlates_with_the_dialogue_envelope(tmp_path):
    line = AudioCue(kind="dialogue", text="No ferry tonight, the sea is far too rough.", character="MARA", start=3)
    req = request(tmp_path, "talk", CameraCue(shot_size="CU"), frames=FRAMES, width=160, height=90, audio=(line,),
                  options={"control_passes": False})
    result = render(req)
    samples, rate = read_wav(result.audio)
    assert rate == 48000
    env = frame_envelope(samples.mean(axis=1).astype(np.float64), FRAMES, req.fps)
    renderer = make_renderer(req)
    mouth = np.array([f.mouth for f in (renderer.figure_states(i)[0] for i in range(FRAMES))])
    assert mouth[:2].max() == 0 and mouth.max() > 0.8          # closed before the line (eased in a frame), open in it
    r = float(np.corrcoef(mouth, env)[0, 1])
    assert r >= 0.6, r
    # and the face shows it: the open-mouth frame differs from a closed one around the mouth
    shut, wide = int(np.argmin(mouth[3:]) + 3) if mouth[3:].min() < 0.1 else 0, int(np.argmax(mouth))
    a, b = renderer.frame(shut).astype(int), renderer.frame(wide).astype(int)
    assert np.abs(a - b).max(axis=2).sum() > 0
