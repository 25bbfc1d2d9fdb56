"""Imported sound files (wav, mp3, flac, m4a, ogg, ...) decoded with PyAV to 48 kHz stereo float."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import EngineError, ErrorKind
from . import dsp

MAX_SECONDS = 60 * 60  # a cue longer than an hour is a mistake, not a sound


def decode_file(path: str | os.PathLike, sr: int = dsp.SR, max_samples: int | None = None) -> np.ndarray:
    """The file's first audio stream as float64 (n, 2) at `sr` (mono is copied to both sides).

    max_samples stops decoding early (a cue only needs what fits in the shot).
    """
    import av  # PyAV; imported here so the synthesizers work even where it is absent

    path = Path(path)
    if not path.is_file():
        raise EngineError(ErrorKind.BAD_INPUT, f"the sound file {path} does not exist",
                          "Re-link the file in the shot's audio cues, or remove the cue.")
    limit = max_samples if max_samples is not None else MAX_SECONDS * sr
    chunks: list[np.ndarray] = []
    got = 0
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise EngineError(ErrorKind.BAD_INPUT, f"{path.name} has no audio stream")
            stream = container.streams.audio[0]
            # Mono stays mono through the resampler and is copied to both sides afterwards at full
            # level (swresample's mono->stereo upmix would drop it by 3 dB).
            mono = stream.codec_context.layout.nb_channels == 1
            resampler = av.AudioResampler(format="fltp", layout="mono" if mono else "stereo", rate=sr)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().T.astype(np.float64))
                    got += chunks[-1].shape[0]
                if got >= limit:
                    break
            else:
                for out in resampler.resample(None):  # flush what the resampler still holds
                    chunks.append(out.to_ndarray().T.astype(np.float64))
    except EngineError:
        raise
    except Exception as exc:  # PyAV raises several InvalidDataError/ValueError flavours
        raise EngineError(ErrorKind.BAD_INPUT, f"cannot decode the sound file {path.name}: {exc}",
                          "Convert it to WAV, MP3 or FLAC, or pick another file.", details=str(path)) from exc
    if not chunks:
        raise EngineError(ErrorKind.BAD_INPUT, f"the sound file {path.name} holds no audio")
    audio = np.concatenate(chunks)[:limit]
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    return np.ascontiguousarray(audio)
