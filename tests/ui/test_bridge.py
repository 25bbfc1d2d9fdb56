"""EngineBridge: events from a worker thread arrive as signals on the GUI thread, progress coalesced."""
from __future__ import annotations

import threading

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from engine.errors import EngineError, ErrorKind
from engine.jobs import GenerationResult, JobStatus, Progress
from ui.bridge import EngineBridge, preview_image


def test_worker_thread_events_arrive_on_the_gui_thread(qtbot):
    bridge = EngineBridge()
    gui = QApplication.instance().thread()
    seen: list[tuple] = []
    bridge.progress.connect(lambda *args: seen.append(("progress", QThread.currentThread() is gui, args)))
    bridge.job_state.connect(lambda *args: seen.append(("state", QThread.currentThread() is gui, args)))
    bridge.job_finished.connect(lambda r: seen.append(("finished", QThread.currentThread() is gui, r)))
    rgb = bytes([255, 0, 0]) * (8 * 4)

    def worker():
        bridge.on_state("j1", JobStatus.RUNNING)
        for step in range(1, 201):  # a burst: coalesced into a few deliveries
            bridge.on_progress(Progress("j1", "rendering", step, 200, eta_s=(200 - step) / 100,
                                        preview=(rgb, 8, 4) if step == 50 else None))
        bridge.on_state("j1", "done")
        bridge.on_finished(GenerationResult("j1", JobStatus.DONE, frames=200))

    thread = threading.Thread(target=worker)
    with qtbot.waitSignal(bridge.job_finished, timeout=5000):
        thread.start()
        thread.join()
    kinds = [k for k, _, _ in seen]
    assert all(on_gui for _, on_gui, _ in seen)
    assert kinds[0] == "state" and kinds[-2:] == ["state", "finished"]
    progress = [args for k, _, args in seen if k == "progress"]
    assert 1 <= len(progress) < 200  # coalesced
    job_id, stage, current, total, eta, image = progress[-1]
    assert (job_id, stage, current, total) == ("j1", "rendering", 200, 200) and eta == 0
    assert image is not None and image.pixelColor(0, 0).red() == 255  # the preview survived coalescing
    assert seen[-1][2].status is JobStatus.DONE


def test_failed_result_carries_its_error(qtbot):
    bridge = EngineBridge()
    error = EngineError(ErrorKind.DISK_FULL, "no space left on /projects")
    with qtbot.waitSignal(bridge.job_finished, timeout=2000) as blocker:
        threading.Thread(target=lambda: bridge.on_finished(GenerationResult("j2", JobStatus.FAILED,
                                                                            error=error))).start()
    assert blocker.args[0].error.kind is ErrorKind.DISK_FULL


def test_preview_image_rejects_malformed_frames():
    assert preview_image(None) is None
    assert preview_image((b"\x00" * 5, 4, 4)) is None
    image = preview_image((bytes(range(48)), 4, 4))
    assert image is not None and (image.width(), image.height()) == (4, 4)
