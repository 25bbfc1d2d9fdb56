"""C2PA signing cost on a ~100 MB MP4, against an atomic copy of the same file (temporary sibling, fsync,
rename): the floor, since signing in place rewrites the file once that way. c2pa itself hashes the media
(SHA-256) while writing and again to verify after signing. Also verify time and an export signed with 12 take ingredients.

    python -m tests.bench.bench_signing
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from engine.fsio import atomic_path, ffmpeg_path


def _emit(name: str, value: float, unit: str, target: float, ok: bool) -> None:
    print(json.dumps({"bench": name, "value": round(value, 4), "unit": unit, "target": target, "ok": bool(ok)}),
          flush=True)


def _big_mp4(path: Path, megabytes: int = 100) -> Path:
    """Noisy MJPEG frames in MP4: ~100 MB in a few seconds of encoding (H.264 of that size would take minutes)."""
    subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=1280x720:rate=24,noise=alls=60:allf=t", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000", "-c:v", "mjpeg", "-q:v", "2", "-c:a", "aac",
                    "-fs", str(megabytes * 1_000_000), "-movflags", "+faststart", str(path)], check=True)
    return path


def _best(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    from studio.identity import load_or_create_identity
    from studio.provenance import TakeIngredient, sign_export, sign_take, verify

    with tempfile.TemporaryDirectory(prefix="shotreel-bench-sign-") as tmp:
        folder = Path(tmp)
        os.environ["SHOTREEL_CONFIG_DIR"] = str(folder / "config")
        identity = load_or_create_identity()
        big = _big_mp4(folder / "big.mp4")
        size_mb = big.stat().st_size / 1e6

        def atomic_copy():
            with atomic_path(folder / "copy.mp4") as tmp:
                shutil.copyfile(big, tmp)

        copy_s = _best(atomic_copy)

        def sign_once():
            target = folder / "signed.mp4"
            shutil.copyfile(big, target)
            t0 = time.perf_counter()
            sign_take(identity, target, backend="previs", model_id=None, model_version=None, renderer="previs",
                      prompt="bench", seed=1, parameters={}, is_ai_generated=False)
            return time.perf_counter() - t0

        sign_s = min(sign_once() for _ in range(3))
        verify_s = _best(lambda: verify(folder / "signed.mp4", identity=identity))
        assert verify(folder / "signed.mp4", identity=identity).state == "Trusted"

        # export with 12 small signed takes as ingredients (each take's manifest is validated and copied in)
        small = folder / "small.mp4"
        subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=24:d=5",
                        "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart", str(small)], check=True)
        takes = []
        for i in range(12):
            take = folder / f"take{i:02d}.mp4"
            shutil.copyfile(small, take)
            sign_take(identity, take, backend="previs", model_id=None, model_version=None, renderer="previs",
                      prompt=f"shot {i}", seed=i, parameters={}, is_ai_generated=False)
            takes.append(TakeIngredient(take))
        shutil.copyfile(big, folder / "export.mp4")
        t0 = time.perf_counter()
        sign_export(identity, folder / "export.mp4", ingredients=takes, watermark=True, training_mining=None,
                    title="bench", edits=["cut"])
        export_s = time.perf_counter() - t0

    _emit("signing_file_mb", size_mb, "MB", 100, size_mb >= 90)
    _emit("signing_copy_floor_s", copy_s, "s", 0, True)
    _emit("signing_take_100mb_s", sign_s, "s", 1.0, sign_s <= 1.0)
    _emit("signing_vs_copy_ratio", sign_s / copy_s, "x", 5.0, sign_s / copy_s <= 5.0)
    _emit("verify_100mb_s", verify_s, "s", 1.0, verify_s <= 1.0)
    _emit("signing_export_12_takes_100mb_s", export_s, "s", 1.5, export_s <= 1.5)


if __name__ == "__main__":
    main()
