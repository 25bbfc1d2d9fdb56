"""The remix dialog and its hooks: variations from the takes panel land as children of their parent in
the lineage tree (real previs jobs on a real Runner), re-cut is one undo step, a diffusion model that
cannot do an operation is named with the models that can and OK is disabled, and the main window's
Check Seams / Regenerate Stale actions flag the timeline and re-chain stale shots."""
from __future__ import annotations

import json
import queue
import shutil
import struct
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from engine.cues import CameraCue, MotionCue
from engine.runner import Runner
from studio.cli.generate_cmds import generate_shots
from studio.commands import AddShot, ChooseTake, SetShotFields
from studio.continuity import stale_shots
from studio.document import Document
from studio.generate import GenerationService
from studio.model import Shot, Take
from tests.ui.ui_fixtures import *  # noqa: F403
from ui.dialogs.remix import RemixDialog
from ui.selection import ShotSelection
from ui.takes import TakesPanel
from ui.takes.model import TakeIdRole


class _Engine:
    def __init__(self, doc: Document):
        self.events: queue.Queue = queue.Queue()
        self.runner = Runner(listeners=[self])
        self.service = GenerationService(doc, self.runner)

    def on_finished(self, result) -> None:
        self.events.put(result)

    def drain(self) -> list:
        takes = []
        while not self.service.idle or not self.events.empty():
            take = self.service.handle_finished(self.events.get(timeout=60))
            assert take is not None
            takes.append(take)
        return takes


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """Three chained shots rendered once per module; each test opens its own copy of the folder."""
    folder = tmp_path_factory.mktemp("remix") / "r.shotreel"
    with pytest.MonkeyPatch.context() as mp, Document.create(folder, fps=24, width=192, height=108) as doc:
        mp.setenv("SHOTREEL_CONFIG_DIR", str(folder.parent / "config"))  # as studio_env does
        seq = doc.project.sequences[0].id
        for i in range(3):
            doc.execute(AddShot(seq, Shot.create(title=f"Shot {i + 1}", duration=12, seed=i + 1,
                                                 camera=CameraCue(move="pan", amount=0.3),
                                                 motion=(MotionCue(action="walks", screen_direction="right"),),
                                                 continuity="previous")))
        takes, failures = generate_shots(doc, [s.id for _, s in doc.project.shots()], sign=False)
        assert len(takes) == 3 and not failures
    return folder


@pytest.fixture()
def project(tmp_path, studio_env, rendered):
    shutil.copytree(rendered, tmp_path / "r.shotreel")
    doc = Document.open(tmp_path / "r.shotreel")
    engine = _Engine(doc)
    yield doc, engine
    engine.runner.shutdown()
    doc.close()


def test_variations_from_the_takes_panel_show_as_children(qtbot, project):
    doc, engine = project
    shot = [s for _, s in doc.project.shots()][1]
    selection = ShotSelection()
    panel = TakesPanel(doc, selection)
    qtbot.addWidget(panel)
    panel.generation = engine.service
    selection.set([shot.id])
    assert not panel.actions_by_name["variations"].isEnabled()
    panel.select_takes([shot.selected_take])
    assert all(panel.actions_by_name[n].isEnabled() for n in ("variations", "remix", "extend", "loop", "blend"))
    dialog = panel.open_remix("variations")
    qtbot.addWidget(dialog)
    assert dialog.operation() == "variations" and dialog.pages.currentIndex() == 0
    dialog.fields["variations.count"].setValue(2)
    dialog.accept()
    assert len(dialog.job_ids) == 2
    made = engine.drain()
    assert {t.operation for t in made} == {"variation"}
    root = panel.model.index_of(shot.selected_take)
    children = {panel.model.index(r, 0, root).data(TakeIdRole) for r in range(panel.model.rowCount(root))}
    assert children == {t.id for t in made}
    assert panel.model.index(0, 1, root).data() == "variation"
    panel.detach()


def test_recut_and_loop_through_the_dialog(qtbot, project):
    doc, engine = project
    shot = [s for _, s in doc.project.shots()][0]
    dialog = RemixDialog(doc, shot.selected_take, generation=engine.service, operation="recut")
    qtbot.addWidget(dialog)
    dialog.fields["recut.in"].setValue(3)
    dialog.fields["recut.out"].setValue(9)
    dialog.accept()
    assert (doc.project.shot(shot.id).trim_in, doc.project.shot(shot.id).trim_out) == (3, 9)
    doc.undo()
    assert doc.project.shot(shot.id).trim_in == 0
    dialog = RemixDialog(doc, shot.selected_take, generation=engine.service, operation="loop")
    qtbot.addWidget(dialog)
    dialog.fields["loop.frames"].setValue(12)
    dialog.accept()
    (loop,) = engine.drain()
    assert loop.operation == "loop" and loop.parent_take_id == shot.selected_take
    dialog = RemixDialog(doc, shot.selected_take, operation="colour_match")
    qtbot.addWidget(dialog)
    assert "no previous shot" in dialog.status.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog = RemixDialog(doc, shot.selected_take, generation=engine.service, operation="blend")
    qtbot.addWidget(dialog)
    following = [s for _, s in doc.project.shots()][1]
    assert dialog.fields["blend.to"].currentData() == following.selected_take
    dialog.fields["blend.frames"].setValue(6)
    dialog.accept()
    (blend,) = engine.drain()
    shots = [s for _, s in doc.project.shots()]
    assert len(shots) == 4 and shots[1].selected_take == blend.id and blend.frames == 6
    # a refused plan keeps the dialog open with the reason
    dialog = RemixDialog(doc, shot.selected_take, operation="remix")
    qtbot.addWidget(dialog)
    dialog.fields["remix.prompt"].setText("at night")
    dialog.accept()
    assert dialog.result() == 0 and "draws cues" in dialog.status.text()


def _cogvideox_folder(root: Path) -> Path:
    """A CogVideoX text-to-video folder the registry accepts (configs + a real safetensors header)."""
    (root / "transformer").mkdir(parents=True)
    (root / "model_index.json").write_text(json.dumps({"_class_name": "CogVideoXPipeline",
                                                       "transformer": ["diffusers", "CogVideoXTransformer3DModel"]}))
    (root / "transformer" / "config.json").write_text(json.dumps({"_class_name": "CogVideoXTransformer3DModel"}))
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    (root / "transformer" / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bytes(4))
    return root


def test_dialog_says_when_the_model_cannot(qtbot, project, tmp_path):
    doc, _ = project
    from studio.prompting import build_request
    from studio.takes import relative_request
    shot = [s for _, s in doc.project.shots()][0]
    model = _cogvideox_folder(tmp_path / "cog")
    doc.execute(SetShotFields(shot.id, backend="diffusion", model=str(model)))
    request = build_request(doc.project, doc.folder, shot.id, job_id="tk_cog")
    video = doc.project.take(shot.selected_take).files["video"]
    doc.record_take(Take("tk_cog", shot.id, "diffusion", model_id=str(model), frames=12,
                         params=relative_request(doc.folder, request), files={"video": video}))
    dialog = RemixDialog(doc, "tk_cog", operation="loop")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert "cannot do first and last frame" in dialog.status.text() and not ok.isEnabled()
    assert "WanImageToVideoPipeline" in dialog.status.text()
    dialog.set_operation("remix")          # CogVideoX does video-to-video
    assert dialog.status.text() == "" and ok.isEnabled()
    dialog.set_operation("extend")
    dialog.fields["extend.direction"].setCurrentText("backward")
    assert "keyframes" in dialog.status.text() and not ok.isEnabled()


def test_main_window_check_seams_and_regenerate_stale(qtbot, project, app_settings):
    doc, engine = project
    from ui.main_window import MainWindow
    window = MainWindow(doc, settings=app_settings, runner=engine.runner, generation=engine.service, audio=False,
                        modal_errors=False)
    qtbot.addWidget(window)
    def check_seams() -> dict:
        task = window.check_seams()
        with qtbot.waitSignal(task.finished, timeout=30000):
            pass
        return task.result
    assert check_seams() == {}, "a clean chain has no flagged seams"
    shots = [s for _, s in doc.project.shots()]
    # choose a variation upstream: the two shots after it go stale; regenerate re-chains them
    from studio import remix
    (variation,) = remix.submit(engine.service, remix.plan_variations(doc, shots[0].selected_take, 1))
    engine.drain()
    doc.execute(ChooseTake(variation))
    assert set(stale_shots(doc.project)) == {shots[1].id, shots[2].id}
    jobs = window.regenerate_stale()
    assert len(jobs) == 2  # the second waits for the first
    engine.drain()
    assert stale_shots(doc.project) == {}
    timeline = window.panels.get("TimelineDock")
    if timeline is not None and hasattr(timeline, "canvas"):
        timeline.set_seam_flags({shots[1].id: "test"})
        # The variation's seed comes from its random take id, and it may change the lens, so the cut after
        # it can be a real (flagged) jump: compare with what the check measured, not with "no flags".
        measured = check_seams()
        assert "test" not in timeline.canvas.seam_flags.values(), "the check replaces old flags"
        assert timeline.canvas.seam_flags == measured
    window.close()
