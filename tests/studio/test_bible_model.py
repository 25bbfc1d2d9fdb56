"""`shotreel bible add/edit --model FILE`: a user's GLB is checked, copied into the project's media,
and reaches the previs as an absolute path inside the project; a broken one is refused in one line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from studio.cli import main
from studio.document import Document

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from test_previs_assets import box_glb  # noqa: E402  (the GLB the engine test writes)


def test_bible_model_is_copied_in_and_reaches_the_request(tmp_path, capsys):
    proj = str(tmp_path / "p.shotreel")
    assert main(["new", proj]) == 0
    capsys.readouterr()
    (tmp_path / "outside").mkdir()
    glb = box_glb(tmp_path / "outside" / "keeper.glb")
    assert main(["bible", "add", proj, "--kind", "character", "--name", "Keeper", "--model", str(glb), "--json"]) == 0
    rec = json.loads(capsys.readouterr()[0])
    assert rec["model"].startswith("media/models/keeper-") and rec["model"].endswith(".glb")
    copied = Path(proj) / rec["model"]
    assert copied.read_bytes() == glb.read_bytes()
    glb.unlink()                                   # the original may go: the project has its copy
    from studio.prompting import character_spec
    with Document.open(proj) as doc:
        entry = doc.project.bible_by_name("Keeper")
        spec = character_spec(entry, 0, Path(proj))
    assert spec.model == str(copied.resolve()) and spec.model.startswith(str(Path(proj).resolve()))
    bad = tmp_path / "bad.glb"
    bad.write_bytes(b"glTF" + b"\x02\x00\x00\x00" + b"\xff\xff\x00\x00")
    code = main(["bible", "edit", proj, "Keeper", "--model", str(bad)])
    err = capsys.readouterr()[1]
    assert code != 0 and "bad.glb is not a usable 3D model" in err and "Traceback" not in err
    assert len([ln for ln in err.strip().splitlines() if ln.startswith("shotreel")]) <= 2


def test_prop_and_location_models_reach_the_scene_inside_the_project(tmp_path):
    """Prop entries' models (all: the renderer matches the plan's props by name) and the shot's
    location's model travel in SceneSpec.assets as absolute paths inside the project; a request
    round-trips them."""
    from engine.jobs import GenerationRequest
    from studio.model import BibleEntry, BibleKind, Project, Sequence, Shot
    from studio.prompting import build_request, scene_spec
    shot = Shot(id="s0", title="Shot 0", duration=24, prompt="The keeper holds a lantern.")
    project = Project("P", sequences=[Sequence("q1", "INT. LIGHTHOUSE - DUSK", [shot])])
    project.bible.extend([
        BibleEntry("p1", BibleKind.PROP, "Lantern", model="media/models/lantern-1.glb"),
        BibleEntry("p2", BibleKind.PROP, "Rope"),                                   # no model: nothing
        BibleEntry("l1", BibleKind.LOCATION, "Lighthouse", model="media/models/tower-1.glb"),
        BibleEntry("c1", BibleKind.CHARACTER, "Keeper", model="media/models/keeper-1.glb")])
    spec = scene_spec(project, project.sequences[0], shot, tmp_path)
    assert [(a.kind, a.name) for a in spec.assets] == [("prop", "Lantern"), ("location", "Lighthouse")]
    assert all(a.model.startswith(str(tmp_path.resolve())) and a.model.endswith(".glb") for a in spec.assets)
    req = build_request(project, tmp_path, "s0", job_id="tk")
    assert GenerationRequest.from_dict(json.loads(json.dumps(req.to_dict()))).scene.assets == req.scene.assets
