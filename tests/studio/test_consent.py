"""Likeness consent with teeth, end to end on real previs takes, real ffmpeg exports and real C2PA:
refusals for scope, expiry and revocation at generation and at export, every route a shot can use a
person by, takes marked after a revocation, `bible uses`, the manifest assertion read back, evidence copied.

One project is rendered once per module (2 previs shots of 8 frames at 160x90, signed) and copied per test."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.runner import Runner
from studio.cli import main as cli_main
from studio.commands import AddBibleEntry, AddShot, RemoveShot, SetShotFields
from studio.consent import (ROUTE_IMAGE, ROUTE_LORA, ROUTE_NAME, ROUTE_REF, ConsentError, build_record, likeness_uses,
                            load_exports, shot_likenesses, withdrawn_takes)
from studio.consent_commands import RevokeConsent, SetConsent
from studio.document import Document
from studio.export import export_and_sign, export_video
from studio.generate import GenerationService
from studio.model import BibleEntry, ConsentRecord, Shot
from studio.watermark import WatermarkSettings

OFF = WatermarkSettings(enabled=False)


def _record(scope=("previs",), until="", when="2026-01-01") -> ConsentRecord:
    return ConsentRecord("Jane Actor", when, scope, id="cs_jane", to="Harbour Films", until=until)


def _build(path: Path) -> Document:
    doc = Document.create(path, fps=24, width=160, height=90)
    seq = doc.project.sequences[0].id
    doc.execute(AddBibleEntry(BibleEntry("ch_mara", "character", "Mara", real_person=True)))
    doc.execute(AddBibleEntry(BibleEntry("ch_tom", "character", "Tom")))
    doc.execute(AddShot(seq, Shot("s1", "Arrival", "Mara steps off the ferry", duration=8, bible_refs=("ch_mara",),
                                  continuity="none")))
    doc.execute(AddShot(seq, Shot("s2", "Dock", "Tom waits on the dock", duration=8, bible_refs=("ch_tom",),
                                  continuity="none")))
    return doc


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """Both shots rendered and signed while Mara's consent covered previs and export."""
    path = tmp_path_factory.mktemp("consent") / "p.shotreel"
    with _build(path) as doc:
        doc.execute(SetConsent("ch_mara", _record(("previs", "export"))))
    assert cli_main(["generate", str(path)]) == 0
    return path


@pytest.fixture()
def project(rendered: Path, tmp_path: Path) -> Path:
    target = tmp_path / "p.shotreel"
    shutil.copytree(rendered, target)
    return target


def _queue(doc: Document, shot_id: str, backend: str | None = None, **options) -> None:
    runner = Runner()
    try:
        GenerationService(doc, runner).queue_shots([shot_id], backend=backend, options=options or None)
    finally:
        runner.shutdown()


# ---- the record ---------------------------------------------------------------------------------

def test_legacy_record_loads_with_a_stable_id_and_grants_nothing(tmp_path):
    old = {"id": "ch_x", "kind": "character", "name": "Old", "real_person": True,
           "consent": {"who": "Old Actor", "when": "2026-11-01", "scope": "previs for project X only",
                       "evidence_file": ""}}
    first, again = BibleEntry.from_dict(old), BibleEntry.from_dict(old)
    assert first.consent.id == again.consent.id and first.consent.id.startswith("cs_")
    assert first.consent.scope == () and first.consent.terms == "previs for project X only"
    assert first.consent.digest == again.consent.digest
    from studio.consent import refusal
    assert "covers no uses" in refusal(first, ("previs",), "2026-12-01")
    # a record whose scope edit changes hashes differently; the revocation does not change the grant's hash
    rec = _record()
    assert rec.with_(scope=("previs", "export")).digest != rec.digest
    assert rec.with_(revoked="2026-12-01T00:00:00+00:00").digest == rec.digest
    with pytest.raises(Exception, match="not a use"):
        ConsentRecord("A", "2026-01-01", ["previs", "telepathy"])


def test_a_project_saved_with_an_old_consent_record_opens(tmp_path):
    """The record lives in the bible entry's JSON: no migration; an old free-text record opens unchanged
    in meaning (its words kept as terms) and is refused until its uses are set."""
    import sqlite3
    path = tmp_path / "p.shotreel"
    _build(path).close()
    old = {"id": "ch_mara", "kind": "character", "name": "Mara", "real_person": True, "reference_images": [],
           "consent": {"who": "Jane Actor", "when": "2026-11-01", "scope": "previs for this film only",
                       "evidence_file": ""}}
    with sqlite3.connect(path / "project.db") as conn:
        conn.execute("UPDATE bible SET data = ? WHERE id = 'ch_mara'", (json.dumps(old),))
    with Document.open(path) as doc:
        consent = doc.project.bible_entry("ch_mara").consent
        assert consent.terms == "previs for this film only" and consent.scope == ()
        with pytest.raises(ConsentError, match="covers no uses .*previs for this film only"):
            _queue(doc, "s1")


def test_evidence_outside_the_project_is_copied_never_referenced(tmp_path):
    with _build(tmp_path / "p.shotreel") as doc:
        release = tmp_path / "outside" / "Signed release.pdf"
        release.parent.mkdir()
        release.write_bytes(b"%PDF-1.4 signed by Jane")
        entry = doc.project.bible_entry("ch_mara")
        record = build_record(doc.project, doc.folder, entry, scope="previs,export", evidence=str(release))
        assert record.evidence_file.startswith("media/consent/") and not Path(record.evidence_file).is_absolute()
        copied = doc.folder / record.evidence_file
        assert copied.read_bytes() == release.read_bytes()
        import hashlib
        assert record.evidence_sha256 == hashlib.sha256(release.read_bytes()).hexdigest()
        release.unlink()  # the project no longer depends on the outside file
        doc.execute(SetConsent("ch_mara", record))
        assert (doc.folder / doc.project.bible_entry("ch_mara").consent.evidence_file).is_file()
        # the CLI too, and a file already in the project stays where it is
        inside = doc.folder / "media" / "imports" / "release2.txt"
        inside.parent.mkdir(parents=True, exist_ok=True)
        inside.write_text("second release")
    assert cli_main(["bible", "consent", str(tmp_path / "p.shotreel"), "Mara", "--evidence", str(inside),
                     "--scope", "all", "--json"]) == 0
    with Document.open(tmp_path / "p.shotreel") as doc:
        consent = doc.project.bible_entry("ch_mara").consent
        assert consent.evidence_file == "media/imports/release2.txt" and consent.scope == (
            "previs", "diffusion", "reference", "export")
        assert consent.id == record.id  # editing a record in force keeps its id


# ---- generation -----------------------------------------------------------------------------------

def test_generation_refuses_outside_scope_after_expiry_and_after_revocation(project):
    with Document.open(project) as doc:
        _queue(doc, "s1")  # previs is in scope: queued
        with pytest.raises(ConsentError, match=r"shot 1 'Arrival': consent for Mara does not cover diffusion "
                                               r"generation \(it covers previs, export\)"):
            _queue(doc, "s1", backend="diffusion")
        doc.execute(SetConsent("ch_mara", _record(("previs",), until="2026-01-31")))
        with pytest.raises(ConsentError, match="consent for Mara expired on 2026-01-31"):
            _queue(doc, "s1")
        doc.undo()
        doc.execute(RevokeConsent("ch_mara", "withdrew from the production"))
        with pytest.raises(ConsentError, match="was revoked on .*: withdrew from the production"):
            _queue(doc, "s1")
        doc.undo()
        _queue(doc, "s1")  # undo restores the consent: allowed again
        doc.execute(SetConsent("ch_mara", _record(("previs",)).with_(id="cs_new")))
        doc.execute(SetShotFields("s1", bible_refs=()))
        doc.execute(AddBibleEntry(BibleEntry("ch_x", "character", "Nobody", real_person=True)))
        doc.execute(SetShotFields("s2", prompt="Tom waits. Nobody arrives."))
        with pytest.raises(ConsentError, match="Nobody is a real person with no consent record .*name in the shot"):
            _queue(doc, "s2")


def test_every_route_to_a_likeness_is_caught(project):
    with Document.open(project) as doc:
        face = doc.folder / "media" / "imports" / "mara_face.png"
        face.parent.mkdir(parents=True, exist_ok=True)
        face.write_bytes(b"\x89PNG fake but hashed")
        lora = doc.folder / "media" / "loras" / "mara.safetensors"
        lora.parent.mkdir(parents=True, exist_ok=True)
        lora.write_bytes(b"lora weights")
        entry = doc.project.bible_entry("ch_mara")
        from studio.commands import SetBibleEntry
        doc.execute(SetBibleEntry(entry.with_(reference_images=("media/imports/mara_face.png",),
                                              loras=("media/loras/mara.safetensors",))))
        # s2 never references Mara: only a renamed copy of her face as its board, a LoRA, or her name
        copy = doc.folder / "media" / "imports" / "board_7.png"
        shutil.copyfile(face, copy)
        doc.execute(SetShotFields("s2", board_image="media/imports/board_7.png"))
        shot = doc.project.shot("s2")
        assert shot_likenesses(doc.project, doc.folder, shot) == {"ch_mara": {ROUTE_IMAGE}}
        with pytest.raises(ConsentError, match="does not cover reference images and LoRAs .*reference image"):
            _queue(doc, "s2")
        doc.execute(SetShotFields("s2", board_image="", prompt="Tom waits; MARA's ferry is late"))
        assert shot_likenesses(doc.project, doc.folder, doc.project.shot("s2")) == {"ch_mara": {ROUTE_NAME}}
        doc.execute(SetShotFields("s2", prompt="Tom waits for Marathon runners"))  # a word, not the name
        assert shot_likenesses(doc.project, doc.folder, doc.project.shot("s2")) == {}
        with pytest.raises(ConsentError, match=ROUTE_LORA):
            _queue(doc, "s2", loras=[{"path": str(lora), "weight": 0.8}])
        assert shot_likenesses(doc.project, doc.folder, doc.project.shot("s1")) == {"ch_mara": {ROUTE_REF, ROUTE_NAME}}


# ---- takes and export -------------------------------------------------------------------------------

def test_takes_are_marked_after_revocation_and_the_export_refuses_them(project, tmp_path):
    with Document.open(project) as doc:
        take_id = doc.project.shot("s1").selected_take
        take = doc.project.take(take_id)
        assert take.params["options"]["likeness"][0]["consent_id"] == "cs_jane"
        assert withdrawn_takes(doc.project, doc.folder) == {}
        out = tmp_path / "cut.mp4"
        result = export_video(doc.project, doc.folder, out, watermark=OFF)
        assert [n["consent_id"] for n in result.likenesses] == ["cs_jane"]
        doc.execute(RevokeConsent("ch_mara", "changed her mind"))
        marked = withdrawn_takes(doc.project, doc.folder)
        assert list(marked) == [take_id] and marked[take_id].startswith("likeness withdrawn")
        with pytest.raises(ConsentError) as err:
            export_video(doc.project, doc.folder, tmp_path / "again.mp4", watermark=OFF)
        message = str(err.value)
        assert "shot 1 'Arrival'" in message and "likeness withdrawn" in message
        assert "replace the take" in message and "remove the shot" in message and "\n" not in message
        assert not (tmp_path / "again.mp4").exists()
        doc.undo()
        assert withdrawn_takes(doc.project, doc.folder) == {}
        # a new grant after a revocation is a new record: takes made under the old one stay withdrawn
        doc.execute(RevokeConsent("ch_mara"))
        entry = doc.project.bible_entry("ch_mara")
        doc.execute(SetConsent("ch_mara", build_record(doc.project, doc.folder, entry, scope="previs,export")))
        assert doc.project.bible_entry("ch_mara").consent.id != "cs_jane"
        assert "replaced" in withdrawn_takes(doc.project, doc.folder)[take_id]


def test_export_refuses_outside_scope_and_after_expiry(project, tmp_path):
    with Document.open(project) as doc:
        doc.execute(SetConsent("ch_mara", _record(("previs",))))
        with pytest.raises(ConsentError, match=r"consent for Mara does not cover export and distribution "
                                               r"\(it covers previs\) — shot 1 'Arrival'\. "
                                               r"Way out: record consent that covers export"):
            export_video(doc.project, doc.folder, tmp_path / "a.mp4", watermark=OFF)
        doc.execute(SetConsent("ch_mara", _record(("previs", "export"), until="2026-02-01")))
        with pytest.raises(ConsentError, match="expired on 2026-02-01"):
            export_video(doc.project, doc.folder, tmp_path / "a.mp4", watermark=OFF)
        doc.execute(RemoveShot("s1"))  # the way out: without Mara's shot the cut exports
        result = export_video(doc.project, doc.folder, tmp_path / "a.mp4", watermark=OFF)
        assert result.likenesses == () and (tmp_path / "a.mp4").is_file()


def test_manifests_carry_the_consent_assertion_and_bible_uses_is_complete(project, tmp_path, capsys):
    import c2pa
    from studio.identity import load_or_create_identity
    from studio.provenance import LIKENESS_LABEL, verify
    with Document.open(project) as doc:
        take = doc.project.take(doc.project.shot("s1").selected_take)
        other = doc.project.take(doc.project.shot("s2").selected_take)
        record = doc.project.bible_entry("ch_mara").consent
        take_file, other_file = doc.abspath(take.files["video"]), doc.abspath(other.files["video"])
        out = tmp_path / "signed.mp4"
        export_and_sign(doc.project, doc.folder, out, identity=load_or_create_identity(), watermark=OFF)
    for path, expect in ((take_file, True), (out, True), (other_file, False)):
        with c2pa.Reader(str(path)) as reader:
            store = json.loads(reader.json())
        active = store["manifests"][store["active_manifest"]]
        found = [a["data"] for a in active["assertions"] if a["label"] == LIKENESS_LABEL]
        if not expect:
            assert found == []
            continue
        (note,) = found[0]["likenesses"]
        assert note == {"character": "Mara", "consent_id": "cs_jane", "consent_hash": record.digest,
                        "scope": ["previs", "export"]}  # nothing else: no person's name, no evidence
    report = verify(out)
    assert report.likenesses[0]["consent_id"] == "cs_jane"
    assert any(line.startswith("  consented likeness: Mara — consent cs_jane") for line in report.summary_lines())
    assert cli_main(["verify", str(take_file), "--trust-own"]) == 0
    assert "consented likeness: Mara" in capsys.readouterr().out

    assert cli_main(["bible", "uses", str(project), "Mara", "--json"]) == 0
    uses = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [s["shot_id"] for s in uses["shots"]] == ["s1"] and uses["shots"][0]["via"] == sorted([ROUTE_REF, ROUTE_NAME])
    assert [t["take_id"] for t in uses["takes"]] == [take.id]
    assert [Path(x["path"]).name for x in uses["exports"]] == ["signed.mp4"]
    assert uses["consent"]["hash"] == record.digest
    # Tom's take and a shot naming Mara in its action are listed / not listed as they should be
    with Document.open(project) as doc:
        doc.execute(SetShotFields("s2", prompt="Tom waits; Mara is late"))
        uses = likeness_uses(doc.project, doc.folder, "Mara")
        assert [(s["shot_id"], s["via"]) for s in uses.shots] == [("s1", sorted([ROUTE_REF, ROUTE_NAME])), ("s2", [ROUTE_NAME])]
        assert [t["take_id"] for t in uses.takes] == [take.id]  # Tom's take recorded it used no likeness
        assert len(load_exports(doc.folder)) == 1
    assert cli_main(["bible", "revoke", str(project), "Mara", "--reason", "no longer"]) == 0
    assert "1 take(s) now marked 'likeness withdrawn'" in capsys.readouterr().out
    assert cli_main(["bible", "uses", str(project), "Mara"]) == 0
    text = capsys.readouterr().out
    assert "REVOKED" in text and "[likeness withdrawn]" in text and "signed.mp4" in text
    assert cli_main(["undo", str(project)]) == 0  # the revocation is in the history
    with Document.open(project) as doc:
        assert not doc.project.bible_entry("ch_mara").consent.revoked


def test_cli_errors_are_one_line(project, capsys):
    assert cli_main(["bible", "consent", str(project), "Tom", "--scope", "previs,teleport"]) == 1
    err = capsys.readouterr().err
    assert "'teleport' is not a use" in err and "Traceback" not in err
    assert cli_main(["bible", "revoke", str(project), "Tom"]) == 1
    assert "Tom has no consent record to revoke" in capsys.readouterr().err
    assert cli_main(["bible", "consent", str(project), "Tom", "--scope", "previs", "--until", "2025-01-01",
                     "--date", "2026-01-01"]) == 1
    assert "before it was given" in capsys.readouterr().err


def test_a_take_continuing_a_withdrawn_likeness_and_timeline_exports_are_refused(project, tmp_path):
    """The next shot chained from Mara's take starts from a frame that shows her: refused after the
    revocation even though it never names her; an OTIO export of the cut is refused like a movie."""
    from studio.interchange import export_file
    with Document.open(project) as doc:
        doc.execute(SetShotFields("s2", continuity="previous"))
        _queue(doc, "s2")  # consent in force: continuing from her take is fine
        written = export_file(doc.project, doc.folder, tmp_path / "cut.otio")
        assert load_exports(doc.folder)[-1]["path"] == str(Path(written).resolve())
        assert load_exports(doc.folder)[-1]["likenesses"][0]["consent_id"] == "cs_jane"
        doc.execute(RevokeConsent("ch_mara"))
        with pytest.raises(ConsentError, match=r"shot 2 'Dock': consent for Mara was revoked .*source take"):
            _queue(doc, "s2")
        with pytest.raises(ConsentError, match="likeness withdrawn: .*Way out: replace the take"):
            export_file(doc.project, doc.folder, tmp_path / "again.otio")
        assert not (tmp_path / "again.otio").exists()


def test_a_batch_with_refused_shots_queues_nothing_and_names_them_all(project):
    with Document.open(project) as doc:
        doc.execute(AddBibleEntry(BibleEntry("ch_x", "character", "Nobody", real_person=True)))
        doc.execute(SetShotFields("s2", prompt="Tom waits. Nobody arrives."))
        runner = Runner()
        try:
            service = GenerationService(doc, runner)
            with pytest.raises(ConsentError, match=r"^cannot generate shot 2 'Dock': Nobody is a real person"):
                service.queue_shots(["s1", "s2"])  # s1 alone would be allowed
            doc.execute(RevokeConsent("ch_mara"))
            with pytest.raises(ConsentError) as err:
                service.queue_shots(["s1", "s2"])
            assert str(err.value).startswith("2 shots cannot be generated, nothing was queued — shot 1 'Arrival': "
                                             "consent for Mara was revoked")
            assert "shot 2 'Dock': Nobody is a real person" in str(err.value)
            assert runner.jobs() == [] and service.idle
        finally:
            runner.shutdown()
