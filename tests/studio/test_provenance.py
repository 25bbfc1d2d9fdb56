"""C2PA signing of takes and exports and offline verification, with real c2pa and real ffmpeg media."""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from engine.fsio import ffmpeg_path
from studio.errors import StudioError, UserError
from studio.identity import load_or_create_identity
from studio.provenance import (
    ALGORITHMIC_MEDIA, COMPOSITE_SYNTHETIC, COMPOSITE_WITH_TRAINED, TRAINED_ALGORITHMIC_MEDIA, TakeIngredient,
    normalize_training_mining, sign_export, sign_take, verify,
)

PROMPT = "INT. KITCHEN - NIGHT. Mara turns toward the window. Slow dolly in, 35 mm."


def _make_clip(path: Path, *, seconds: float = 1.0, extra: list[str] | None = None) -> Path:
    cmd = [ffmpeg_path(), "-v", "error", "-y",
           "-f", "lavfi", "-i", f"testsrc=size=128x72:rate=24:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    cmd += extra if extra is not None else ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                                            "-c:a", "aac", "-shortest", "-movflags", "+faststart"]
    subprocess.run(cmd + [str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("SHOTREEL_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    yield load_or_create_identity()
    mp.undo()


@pytest.fixture(scope="module")
def source_clip(tmp_path_factory) -> Path:
    return _make_clip(tmp_path_factory.mktemp("media") / "source.mp4")


@pytest.fixture
def clip(tmp_path, source_clip) -> Path:
    return Path(shutil.copy(source_clip, tmp_path / "take.mp4"))


def _sign_diffusion(identity, path: Path) -> None:
    sign_take(identity, path, backend="diffusion", model_id="Wan-AI/Wan2.1-T2V-1.3B-Diffusers", model_version="2.1",
              renderer=None, prompt=PROMPT, seed=1234, parameters={"steps": 30, "guidance": 5.0, "frames": 81},
              is_ai_generated=True)


def _sign_previs(identity, path: Path) -> None:
    sign_take(identity, path, backend="previs", model_id=None, model_version=None, renderer="shotreel-previs",
              renderer_version="1.0", prompt="Wide shot of the street", seed=7, parameters={"layers": 3},
              is_ai_generated=False)


@pytest.fixture(scope="module")
def two_takes(tmp_path_factory, identity, source_clip) -> list[Path]:
    folder = tmp_path_factory.mktemp("takes")
    a = Path(shutil.copy(source_clip, folder / "shot010_take1.mp4"))
    b = Path(shutil.copy(source_clip, folder / "shot020_take3.mp4"))
    _sign_diffusion(identity, a)
    _sign_previs(identity, b)
    return [a, b]


def _export(identity, path: Path, takes: list[Path], *, watermark: bool, training=None) -> Path:
    sign_export(identity, path, ingredients=[TakeIngredient(t, title=t.stem) for t in takes], watermark=watermark,
                training_mining=training, title="Scene 1 cut", edits=["conform 24 fps", "crossfade", "audio mix"])
    return path


def _top_boxes(path: Path) -> list[tuple[str, int, int]]:
    data = path.read_bytes()
    boxes, offset = [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        boxes.append((kind.decode("latin-1"), offset, size))
        offset += size if size else len(data)
    return boxes


# ---------------------------------------------------------------------------------------------- takes

def test_diffusion_take_trusted_with_studio_root_valid_without(identity, clip):
    before = clip.read_bytes()
    _sign_diffusion(identity, clip)
    assert clip.read_bytes() != before
    assert not list(clip.parent.glob("*.partial-*"))

    trusted = verify(clip, identity=identity)
    assert trusted.state == "Trusted", trusted.failure_codes
    assert trusted.actions[0]["action"] == "c2pa.created"
    assert trusted.actions[0]["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert trusted.actions[0]["softwareAgent"] == {"name": "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "version": "2.1"}
    assert trusted.prompt == PROMPT
    prompt_ing = [i for i in trusted.ingredients if i.relationship == "inputTo"]
    assert len(prompt_ing) == 1 and prompt_ing[0].format == "text/plain" and prompt_ing[0].prompt == PROMPT
    assert trusted.generation["seed"] == 1234 and trusted.generation["parameters"]["steps"] == 30
    assert trusted.claim_generator.startswith("Shotreel") and trusted.watermarked is False

    untrusted = verify(clip)
    assert untrusted.state == "Valid"
    assert "signingCredential.untrusted" in untrusted.failure_codes
    by_file = verify(clip, anchors_pem=str(identity.root_cert_path))
    assert by_file.state == "Trusted"


def test_previs_take_names_renderer(identity, clip):
    _sign_previs(identity, clip)
    report = verify(clip, anchors_pem=identity.root_pem())
    assert report.state == "Trusted"
    assert report.digital_source_types == [ALGORITHMIC_MEDIA]
    assert report.software_agents == ["shotreel-previs 1.0"]
    assert report.generation["backend"] == "previs" and report.generation["seed"] == 7


def test_signing_keeps_faststart(identity, clip):
    _sign_previs(identity, clip)
    kinds = [kind for kind, _, _ in _top_boxes(clip)]
    assert kinds.index("moov") < kinds.index("mdat")


def test_failed_signing_leaves_file_untouched(identity, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not an mp4 file at all" * 10)
    before = broken.read_bytes()
    with pytest.raises(UserError, match="cannot sign broken.mp4"):
        _sign_previs(identity, broken)
    assert broken.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mp4"]


def test_take_parameters_must_be_json(identity, clip):
    before = clip.read_bytes()
    with pytest.raises(StudioError, match="plain JSON"):
        sign_take(identity, clip, backend="previs", model_id=None, model_version=None, renderer="r", prompt=None,
                  seed=1, parameters={"bad": object()}, is_ai_generated=False)
    assert clip.read_bytes() == before


# ---------------------------------------------------------------------------------------------- exports

def test_export_with_two_takes_trusted_and_watermarked(identity, tmp_path, source_clip, two_takes):
    out = _export(identity, Path(shutil.copy(source_clip, tmp_path / "cut.mp4")), two_takes, watermark=True)
    report = verify(out, identity=identity)
    assert report.state == "Trusted", report.failure_codes
    assert report.title == "Scene 1 cut"
    takes = [i for i in report.ingredients if i.relationship == "componentOf"]
    assert [i.title for i in takes] == ["shot010_take1", "shot020_take3"]
    assert [i.state for i in takes] == ["Trusted", "Trusted"]
    assert takes[0].prompt == PROMPT and takes[0].software_agents == ["Wan-AI/Wan2.1-T2V-1.3B-Diffusers 2.1"]
    assert takes[1].digital_source_types == [ALGORITHMIC_MEDIA]
    names = [a["action"] for a in report.actions]
    assert names == ["c2pa.created", "c2pa.placed", "c2pa.edited", "c2pa.watermarked.unbound"]
    assert report.actions[0]["digitalSourceType"] == COMPOSITE_WITH_TRAINED
    assert len(report.actions[1]["parameters"]["ingredients"]) == 2
    assert report.watermarked is True
    assert report.training_mining == {k: "notAllowed" for k in (
        "cawg.ai_inference", "cawg.ai_generative_training", "cawg.ai_training", "cawg.data_mining")}
    assert "Wan-AI/Wan2.1-T2V-1.3B-Diffusers 2.1" in report.software_agents
    text = "\n".join(report.summary_lines())
    assert "Trusted" in text and "shot010_take1" in text and "visible watermark: yes" in text
    assert json.loads(json.dumps(report.to_dict()))["ingredients"][0]["title"] == "shot010_take1"

    valid = verify(out)
    assert valid.state == "Valid"
    assert [i.state for i in valid.ingredients if i.relationship == "componentOf"] == ["Valid", "Valid"]


def test_export_without_watermark_and_custom_training_mining(identity, tmp_path, source_clip, two_takes):
    out = _export(identity, Path(shutil.copy(source_clip, tmp_path / "cut.mp4")), two_takes[1:] * 2,
                  watermark=False, training={"ai_inference": "allowed", "cawg.data_mining": {"use": "constrained",
                                                                                            "constraint_info": "ask"}})
    report = verify(out, identity=identity)
    assert report.state == "Trusted"
    assert "c2pa.watermarked.unbound" not in [a["action"] for a in report.actions] and not report.watermarked
    assert len([i for i in report.ingredients if i.relationship == "componentOf"]) == 1   # same take placed twice
    assert report.actions[0]["digitalSourceType"] == COMPOSITE_SYNTHETIC   # read from the previs take's manifest
    assert report.training_mining["cawg.ai_inference"] == "allowed"
    assert report.training_mining["cawg.data_mining"] == "constrained"
    assert report.training_mining["cawg.ai_training"] == "notAllowed"


def test_mov_export_is_signed(identity, tmp_path, source_clip, two_takes):
    mov = tmp_path / "cut.mov"
    subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-i", str(source_clip), "-c", "copy", str(mov)], check=True)
    _export(identity, mov, two_takes, watermark=True)
    assert verify(mov, identity=identity).state == "Trusted"


def test_flipped_media_byte_is_invalid(identity, tmp_path, source_clip, two_takes):
    out = _export(identity, Path(shutil.copy(source_clip, tmp_path / "cut.mp4")), two_takes, watermark=True)
    _, offset, size = next(b for b in _top_boxes(out) if b[0] == "mdat")
    with open(out, "r+b") as fh:
        fh.seek(offset + size // 2)
        byte = fh.read(1)
        fh.seek(offset + size // 2)
        fh.write(bytes([byte[0] ^ 0x01]))
    report = verify(out, identity=identity)
    assert report.state == "Invalid"
    assert "assertion.bmffHash.mismatch" in report.failure_codes
    assert "assertion.bmffHash.mismatch" in "\n".join(report.summary_lines())


def test_remuxed_copy_has_no_credentials(identity, tmp_path, source_clip, two_takes):
    out = _export(identity, Path(shutil.copy(source_clip, tmp_path / "cut.mp4")), two_takes, watermark=True)
    remux = tmp_path / "remux.mp4"
    subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-i", str(out), "-c", "copy", "-movflags", "+faststart",
                    str(remux)], check=True)
    report = verify(remux, identity=identity)
    assert report.state == "none"
    assert "no Content Credentials" in report.summary_lines()[0]


def test_unsigned_file_has_no_credentials(source_clip):
    assert verify(source_clip).state == "none"


def test_webm_refused_and_reads_as_none(identity, tmp_path):
    webm = _make_clip(tmp_path / "cut.webm", seconds=0.3,
                      extra=["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus", "-shortest"]) \
        if _has_encoder("libvpx") else _make_clip(tmp_path / "cut.webm", seconds=0.3, extra=["-shortest"])
    before = webm.read_bytes()
    with pytest.raises(UserError, match="WebM files cannot carry C2PA"):
        sign_export(identity, webm, ingredients=[], watermark=True, training_mining=None, title=None, edits=[])
    assert webm.read_bytes() == before
    assert verify(webm).state == "none"
    with pytest.raises(UserError, match="Matroska"):
        sign_export(identity, tmp_path / "cut.mkv", ingredients=[], watermark=True, training_mining=None,
                    title=None, edits=[])


def _has_encoder(name: str) -> bool:
    out = subprocess.run([ffmpeg_path(), "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    return f" {name} " in out


def test_missing_take_and_bad_settings_are_user_errors(identity, clip, tmp_path):
    with pytest.raises(UserError, match="take .*gone.mp4 is missing"):
        sign_export(identity, clip, ingredients=[TakeIngredient(tmp_path / "gone.mp4")], watermark=True,
                    training_mining=None, title=None, edits=[])
    with pytest.raises(UserError, match="unknown training-and-mining entry"):
        normalize_training_mining({"ai_everything": "allowed"})
    with pytest.raises(UserError, match="use must be one of"):
        normalize_training_mining({"ai_training": "maybe"})
    with pytest.raises(UserError, match="does not exist"):
        verify(tmp_path / "nothing.mp4")
    with pytest.raises(UserError, match="not PEM certificates|cannot read"):
        verify(clip, anchors_pem="-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")


def test_gif_animatic_can_be_signed(identity, tmp_path, two_takes):
    # c2pa-rs 0.91 embeds manifests in GIF (measured), so the animatic export carries credentials too
    gif = tmp_path / "animatic.gif"
    subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x36:rate=6:duration=1",
                    str(gif)], check=True)
    _export(identity, gif, two_takes, watermark=True)
    report = verify(gif, identity=identity)
    assert report.state == "Trusted" and report.watermarked
