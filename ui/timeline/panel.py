"""`TimelinePanel`: the cut on a time axis — shots sized by their length in the cut, a lane per audio cue
kind, playhead, zoom, snapping and trim handles.

Who uses it: the main window docks it (`TimelinePanel(doc, selection)`), mirrors the shared selection,
and may connect `playhead_moved` / `set_playhead` to the viewer. The seam checker (issue 7) calls
`set_seam_flags({shot_id: reason})` to mark suspicious cuts. Edits are studio commands run through
`doc.execute`; a refused edit is shown in the toolbar (red) and changes nothing.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollBar, QToolBar, QVBoxLayout, QWidget

from engine.cues import CueError
from studio.commands import Change, ChangeKind
from studio.consent import withdrawn_takes
from studio.errors import UserError

from .. import theme
from ..labels import plural
from .media import TimelineMedia
from ..selection import ShotSelection
from .canvas import HEADER_W, TimelineCanvas
from .layout import TimelineLayout, build_layout

log = logging.getLogger(__name__)

_LAYOUT_CHANGES = {ChangeKind.PROJECT, ChangeKind.SEQUENCE, ChangeKind.SHOT_ADDED, ChangeKind.SHOT_REMOVED,
                   ChangeKind.SHOT_CHANGED, ChangeKind.SHOTS_MOVED, ChangeKind.TAKE_RECORDED, ChangeKind.TAKE_CHANGED}


class TimelinePanel(QWidget):
    playhead_moved = Signal(int)   # the user moved the playhead (timeline frames = the viewer's frames)
    edit_failed = Signal(str)      # a refused edit's message (also shown in the toolbar)
    cue_selected = Signal(str, str)  # shot id, cue id of the sound clicked ('', '' when none)

    def __init__(self, doc, selection: ShotSelection, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("TimelinePanel")
        self.doc = doc
        self.selection = selection
        self.canvas = TimelineCanvas(self)
        self.canvas.execute = self.execute
        self.media = TimelineMedia(self._resolve_cue, self)  # thumbnails + waveforms, decoded off the GUI thread
        self.media.changed.connect(self.canvas.invalidate)
        self.canvas.media = self.media
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal, self)
        self.toolbar = QToolBar(self)
        self.toolbar.setIconSize(QSize(16, 16))
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, icon, keys, slot, checkable in (
                ("zoom_out", "Zoom Out", "mdi6.magnify-minus-outline", "-", lambda: self.canvas.zoom_by(1 / 1.5), False),
                ("zoom_in", "Zoom In", "mdi6.magnify-plus-outline", "=", lambda: self.canvas.zoom_by(1.5), False),
                ("fit", "Fit Cut", "mdi6.arrow-expand-horizontal", "\\", self.canvas.fit, False),
                ("snap", "Snapping", "mdi6.magnet", "S", self._toggle_snap, True)):
            action = QAction(theme.icon(icon), text, self)
            action.setToolTip(f"{text} ({keys})")
            action.setCheckable(checkable)
            action.triggered.connect(slot)
            self.actions_by_name[name] = action
            self.toolbar.addAction(action)
        self.actions_by_name["snap"].setChecked(True)
        self.toolbar.addSeparator()
        self.info = QLabel(self)
        self.info.setObjectName("panelHint")
        self.toolbar.addWidget(self.info)
        self.message = QLabel(self)
        self.message.setStyleSheet(f"color: {theme.DANGER.name()}; padding-left: 12px;")
        self.toolbar.addWidget(self.message)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.canvas, 1)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(HEADER_W, 0, 0, 0)
        bottom.addWidget(self.scrollbar)
        layout.addLayout(bottom)

        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.setInterval(8000)
        self._message_timer.timeout.connect(self.message.clear)
        self._relayout_timer = QTimer(self)
        self._relayout_timer.setSingleShot(True)
        self._relayout_timer.setInterval(0)  # coalesce the several Changes of one command into one layout
        self._relayout_timer.timeout.connect(self._relayout)
        self._pending_ids: set[str] = set()
        self._pending_full = False

        self.canvas.view_changed.connect(self._sync_scrollbar)
        self.canvas.shot_clicked.connect(self._shot_clicked)
        self.canvas.playhead_moved.connect(self.playhead_moved)
        self.canvas.cue_selected.connect(self.cue_selected)
        self.scrollbar.valueChanged.connect(lambda v: self.canvas.set_scroll(v))
        self.selection.changed.connect(self._selection_changed)
        self._unsubscribe = doc.subscribe(self._on_change)
        self.refresh()
        self._selection_changed(self.selection.ids())

    # ---- public -----------------------------------------------------------------------------------
    def detach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self._relayout_timer.stop()
        self.media.shutdown()
        try:  # the selection outlives this panel (the window keeps it across projects)
            self.selection.changed.disconnect(self._selection_changed)
        except (RuntimeError, TypeError):
            pass

    @property
    def layout_data(self) -> TimelineLayout:
        return self.canvas.layout_data

    def refresh(self) -> None:
        """Rebuild the layout from the document now (changes normally trigger it on the next loop turn)."""
        self._relayout_timer.stop()
        self._pending_ids.clear()
        self._pending_full = False
        self.canvas.set_layout(build_layout(self.doc.project, self.doc.folder))
        self._mark_withdrawn()
        self._update_info()

    def _mark_withdrawn(self) -> None:
        project = self.doc.project
        takes = withdrawn_takes(project, self.doc.folder)
        self.canvas.set_withdrawn({s.id: takes[s.selected_take] for _, s in project.shots()
                                   if s.selected_take in takes})

    def _relayout(self) -> None:
        """Apply the document changes seen since the last layout: only the edited shots' cues when no clip
        moved (a cue drag, a prompt edit), else the whole cut."""
        self._relayout_timer.stop()
        ids, full = set(self._pending_ids), self._pending_full
        self._pending_ids.clear()
        self._pending_full = False
        if not full and not ids:
            return
        if not full and self.canvas.layout_data.update_shots(self.doc.project, ids):
            self.canvas.set_layout(self.canvas.layout_data)
            self._mark_withdrawn()
            return
        self.refresh()

    def set_playhead(self, frame: int) -> None:
        """Follow the viewer (its position is in the same cut frames)."""
        self.canvas.set_playhead(frame)

    def select_cue(self, shot_id: str, cue_id: str) -> None:
        """Highlight one sound (the inspector's list calls this); '' clears."""
        key = (shot_id, cue_id) if shot_id and cue_id else None
        if key != self.canvas.selected_cue:
            self.canvas.selected_cue = key
            self.canvas.invalidate()

    def _resolve_cue(self, item):
        """The cue as the renderer needs it (imported sound files as absolute paths)."""
        from studio.prompting import absolute_audio
        shot = self.doc.project.shot(item.shot_id)
        return {c.cue_id: c for c in absolute_audio(self.doc.project, shot, self.doc.folder)}.get(item.cue_id,
                                                                                                    item.cue)

    def set_marks(self, mark_in, mark_out) -> None:
        """Show the viewer's in/out marks (the window connects the player's marks_changed here)."""
        self.canvas.set_marks(mark_in, mark_out)

    def set_seam_flags(self, flags: dict[str, str]) -> None:
        """Mark the cut INTO each flagged shot (shot id -> why, shown as a tooltip); {} clears them."""
        self.canvas.set_seam_flags(flags)

    def execute(self, command, whole_gesture: bool = False) -> bool:
        """Run a command; a refusal is shown inline and leaves the document as it was. A whole gesture
        (a drag, ended by the release) is its own undo step; nudges in a row merge."""
        try:
            self.doc.execute(command)
        except (UserError, CueError, ValueError) as exc:
            self.show_message(str(exc))
            self.edit_failed.emit(str(exc))
            return False
        if whole_gesture:
            self.doc.end_gesture()
        self.message.clear()
        self._relayout()  # show the result at once (the drag preview ends now)
        return True

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)
        self._message_timer.start()

    # ---- wiring -----------------------------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        if change.kind is ChangeKind.BIBLE:  # a revocation: clips whose take shows the likeness turn red
            self._mark_withdrawn()
            return
        if change.kind is ChangeKind.SHOT_CHANGED:
            self._pending_ids.update(change.ids)
        elif change.kind in _LAYOUT_CHANGES:
            self._pending_full = True
        else:
            return
        self._relayout_timer.start()

    def _toggle_snap(self, on: bool | None = None) -> None:
        self.canvas.set_snapping(self.actions_by_name["snap"].isChecked())
        self._update_info()

    def _sync_scrollbar(self) -> None:
        bar = self.scrollbar
        bar.blockSignals(True)
        bar.setRange(0, int(self.canvas.max_scroll()))
        bar.setPageStep(max(1, self.canvas.width() - HEADER_W))
        bar.setSingleStep(40)
        bar.setValue(int(self.canvas.scroll))
        bar.blockSignals(False)
        snap = self.actions_by_name.get("snap")
        if snap is not None and snap.isChecked() != self.canvas.snapping:
            snap.setChecked(self.canvas.snapping)

    def _update_info(self) -> None:
        layout = self.canvas.layout_data
        from studio.timebase import format_timecode
        self.info.setText(f"  {plural(len(layout.clips), 'shot')} · {format_timecode(layout.duration, layout.fps)}")

    def _shot_clicked(self, shot_id: str, modifiers) -> None:
        ids = self.selection.ids()
        if modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            if shot_id in ids and len(ids) > 1:
                ids.remove(shot_id)
            elif shot_id not in ids:
                ids.append(shot_id)
            self.selection.set(ids)
        else:
            self.selection.set([shot_id])

    def _selection_changed(self, ids: list[str]) -> None:
        self.canvas.set_selection(ids)
        current = self.selection.current()
        clip = self.canvas.layout_data.clip_of(current) if current else None
        if clip is not None:
            self.canvas.ensure_visible(clip.start)
