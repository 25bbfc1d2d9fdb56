"""Requests that travel: a bundle carries every input a shot needs (board image, audio file,
reference images, the upstream take's last frame), names models by folder name only, holds no
path of the studio machine and no key material; a worker unpacks it under its own folder, and the
studio's take writer puts results back atomically under studio paths. No Ray needed here."""
from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import EngineError, ErrorKind
from engine.farm.bundle import INPUT, MODEL, pack, pack_result, studio_paths_in, unpack, write_result
from engine.jobs import JobStatus
from studio.commands import SetShotFields
from studio.document import Document
from studio.generate import GenerationService
from studio.prompting import build_request

from .farm_project import make_project


def _wav(path: Path) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(22050)
        w.writeframes(np.zeros(2205, np.int16).tobytes())


def _request_with_everything(tmp_path: Path):
    folder = make_project(tmp_path / "p.shotreel", shots=2)
    doc = Document.open(folder)
    media = folder / "media" / "imports"
    media.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((90, 160, 3), 80, np.uint8)).save(media / "board.png")
    Image.fromarray(np.full((90, 160, 3), 200, np.uint8)).save(media / "mara.png")
    _wav(media / "line.wav")
    shot = [s for _, s in doc.project.shots()][0]
    from engine.cues import AudioCue
    doc.execute(SetShotFields(shot.id, board_image="media/imports/board.png", continuity="reference",
                              audio=(AudioCue(kind="sfx", file="media/imports/line.wav", start=0),)))
    from dataclasses import replace
    from studio.commands import SetBibleEntry
    entry = replace(doc.project.bible_entry("c1"), reference_images=("media/imports/mara.png",))
    doc.execute(SetBibleEntry(entry))
    request = build_request(doc.project, doc.folder, shot.id, backend="diffusion",
                            model=str(tmp_path / "models" / "wan-tiny"))
    return doc, request, entry


def test_a_bundle_holds_no_studio_path_and_no_key_material(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOTREEL_CONFIG_DIR", str(tmp_path / "config"))
    from studio.identity import load_or_create_identity
    identity = load_or_create_identity()
    doc, request, _ = _request_with_everything(tmp_path)
    try:
        bundle = pack(request)
        wire = bundle.wire()
        text = json.dumps(wire["request"])
        assert studio_paths_in(wire["request"], [str(tmp_path), "/"]) == []
        assert str(tmp_path) not in text and "/root" not in text
        assert wire["request"]["model"] == MODEL + "wan-tiny"
        refs = [v for v in text.split('"') if v.startswith(INPUT)]
        assert len(set(refs)) == 3              # board, reference image, audio file
        assert set(wire["inputs"]) == {r[len(INPUT):] for r in refs}
        assert "sources" not in wire and all(isinstance(v, bytes) for v in wire["inputs"].values())
        key = identity.key_path.read_bytes()
        blob = text.encode() + b"".join(wire["inputs"].values())
        assert key not in blob and b"PRIVATE KEY" not in blob
        assert not any(key[40:80] in data for data in wire["inputs"].values())
    finally:
        doc.close()


def test_a_worker_resolves_inputs_and_models_in_its_own_folders(tmp_path):
    doc, request, _ = _request_with_everything(tmp_path)
    doc.close()
    wire = pack(request).wire()
    worker = tmp_path / "worker"
    models = worker / "models"
    (models / "wan-tiny").mkdir(parents=True)
    local = unpack(wire, worker / "job", [models], worker="gpu-box-2")
    assert local.model == str((models / "wan-tiny").resolve())
    assert local.output_dir == str(worker / "job" / "out")
    assert Path(local.scene.board_image).read_bytes() == Path(request.scene.board_image).read_bytes()
    assert Path(local.scene.board_image).is_relative_to(worker)
    assert Path(local.audio[0].file).is_relative_to(worker)
    assert Path(local.conditioning.references[0]).is_relative_to(worker)
    with pytest.raises(EngineError) as missing:
        unpack(wire, worker / "job2", [worker / "elsewhere"], worker="gpu-box-2")
    assert missing.value.kind is ErrorKind.MODEL_MISSING
    assert "worker gpu-box-2 has no model 'wan-tiny'" in str(missing.value)


def test_the_take_writer_puts_results_back_atomically_under_studio_paths(tmp_path, monkeypatch):
    from engine.previs.backend import PrevisBackend
    from engine.jobs import CancelToken
    doc, request, _ = _request_with_everything(tmp_path)
    request = request.with_(backend="previs", model="")
    bundle = pack(request)
    local = unpack(bundle.wire(), tmp_path / "worker", [])
    result = PrevisBackend().generate(local, lambda p: None, CancelToken())
    payload = pack_result(result, local, bundle.wire()["request"])
    assert str(tmp_path / "worker") not in json.dumps(payload["result"])
    written = write_result(payload, request, bundle.sources)
    doc.close()
    assert written.status is JobStatus.DONE
    out = Path(request.output_dir)
    assert Path(written.video).parent == out and Path(written.video).is_file()
    meta = json.loads(Path(written.metadata_file).read_text())
    assert meta["request"]["scene"]["board_image"] == request.scene.board_image
    assert not any(".partial-" in p.name for p in out.rglob("*"))
    # a failing write (a file name escaping the take folder) leaves nothing behind
    bad = {"result": payload["result"], "files": {"ok.bin": b"x", "../escape.bin": b"y"}}
    with pytest.raises(EngineError):
        write_result(bad, request.with_(output_dir=str(tmp_path / "other")), bundle.sources)
    assert not (tmp_path / "other" / "ok.bin").exists() and not (tmp_path / "escape.bin").exists()


def test_chained_requests_wait_for_their_upstream_job_on_a_chaining_runner(tmp_path):
    """GenerationService hands a runner that runs chains itself (the farm) the whole chain at once."""
    folder = make_project(tmp_path / "p.shotreel", shots=3)
    submitted = []

    class ChainRunner:
        chains = True

        def __init__(self):
            self.records = []

        def submit(self, request, priority=0):
            from engine.runner import JobRecord
            self.records.append(JobRecord(request.job_id, request))
            submitted.append(request)
            return request.job_id

        def jobs(self):
            return list(self.records)
    with Document.open(folder) as doc:
        service = GenerationService(doc, ChainRunner())
        ids = [s.id for _, s in doc.project.shots()]
        service.queue_shots(ids)
        assert service.deferred_shots() == []
    assert [r.conditioning.from_job for r in submitted] == [None, submitted[0].job_id, submitted[1].job_id]
    assert submitted[1].conditioning.first_frame is None and submitted[1].scene.start_state is None


def test_a_remix_travels_as_typed_fields_and_renders_the_same_on_a_worker(tmp_path):
    """An extend planned at the studio: its operation, parent request and frames are typed fields of
    the request (no free options entries), the bundle carries them with no studio path, and the
    worker's take is frame-identical to a local render of the same request."""
    import queue

    from engine.frames import read_frames
    from engine.jobs import CancelToken, GenerationRequest
    from engine.previs.backend import PrevisBackend
    from engine.runner import Runner
    from studio import remix
    folder = make_project(tmp_path / "p.shotreel", shots=1)
    with Document.open(folder) as doc:
        events: queue.Queue = queue.Queue()

        class Listen:
            def on_finished(self, result):
                events.put(result)
        runner = Runner(store=doc.job_store, listeners=[Listen()])
        service = GenerationService(doc, runner)
        try:
            service.queue_shots([s.id for _, s in doc.project.shots()])
            take = service.handle_finished(events.get(timeout=120))
        finally:
            runner.shutdown()
        (request,) = remix.plan_extend(doc, take.id, 6, "forward")
    assert request.remix.render_op == "extend" and request.remix.parent_take_id == take.id
    assert request.remix.from_frame == 11 and request.remix.extend_frames == 6
    assert not {"previs_op", "parent", "from_frame", "parent_take_id"} & set(request.options)
    assert GenerationRequest.from_dict(json.loads(json.dumps(request.to_dict()))) == request
    bundle = pack(request)
    wire = bundle.wire()
    assert wire["request"]["remix"]["render_op"] == "extend"
    assert studio_paths_in(wire["request"], [str(tmp_path), "/"]) == []
    local = unpack(wire, tmp_path / "worker", [])
    remote = write_result(pack_result(PrevisBackend().generate(local, lambda p: None, CancelToken()), local,
                                      wire["request"]), request, bundle.sources)
    here = PrevisBackend().generate(request.with_(output_dir=str(tmp_path / "here")), lambda p: None, CancelToken())
    assert remote.frames == here.frames == 18
    a = read_frames(remote.video, range(18))
    b = read_frames(here.video, range(18))
    assert all(np.array_equal(a[i], b[i]) for i in range(18))


def test_requests_stored_before_typed_remix_fields_still_read_their_options():
    from engine.jobs import GenerationRequest
    old = GenerationRequest(job_id="old", output_dir="/x", options={"previs_op": "variation", "variation": 0.3,
                                                                     "parent_take_id": "tk1", "steps": 4})
    assert old.remix_options() == {"previs_op": "variation", "variation": 0.3, "parent_take_id": "tk1"}
    assert old.plain().options == {} and old.plain().remix_options() == {}
    assert "remix" not in GenerationRequest(job_id="new", output_dir="/x").to_dict()   # JSON unchanged


def test_previs_reads_remix_operations_only_through_remix_options():
    """The remix fields are typed (request.remix); a reader of `options['previs_op']` & co. would see
    none of them and silently render a plain take. Guards merges of engine/previs."""
    import re
    root = Path(__file__).resolve().parents[2] / "engine" / "previs"
    keys = "previs_op|parent|from_frame|direction|extend_frames|blend_from|blend_to|variation"
    pattern = re.compile(rf"request\.options(\.get\(|\[)\s*[\"']({keys})[\"']|request\.with_\(options=\{{\}}\)"
                         r"|=\s*request\.options\s*$")
    bad = [f"{p.name}:{i}: {line.strip()}" for p in sorted(root.rglob("*.py"))
           for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert bad == [], "use request.remix_options() / request.plain():\n" + "\n".join(bad)


def test_which_farm_a_generate_uses():
    from studio.farm import farm_address_for
    on = {"farm": {"enabled": True, "address": "10.0.0.5:6379"}}
    off = {"farm": {"enabled": False, "address": "10.0.0.5:6379"}}
    assert farm_address_for({}) is None and farm_address_for(off) is None
    assert farm_address_for(on) == "10.0.0.5:6379"
    assert farm_address_for(off, "") == "10.0.0.5:6379"          # bare --farm: the project's address
    assert farm_address_for({}, "") == ""                          # ... else this machine's farm
    assert farm_address_for(on, "127.0.0.1:7000") == "127.0.0.1:7000"
