"""`ViewerPanel`: the player docked as the program monitor, playing the whole cut.

The cut comes from `studio.playlist.build_edit_list` (the same edit list the export renders) and is
turned into the player's `PlayList`: each entry's take proxy over its range; a crossfade's overlap
plays the incoming shot (the player shows one picture at a time); shots without a take are black
gaps of their planned length, so the viewer's timeline matches the storyboard. Selecting a shot seeks
to its first frame. The playlist is rebuilt (debounced) when the document changes the cut.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QLabel, QMenu, QVBoxLayout, QWidget

from studio.commands import Change, ChangeKind
from studio.playlist import EditList, build_edit_list

from .player.passes import PASS_TITLES, PASSES, with_pass
from .player.source import PlayList, PlaySegment
from .player.widget import PlayerWidget
from .labels import plural, take_label
from .selection import ShotSelection

_CUT_CHANGES = {ChangeKind.PROJECT, ChangeKind.SEQUENCE, ChangeKind.SHOT_ADDED, ChangeKind.SHOT_REMOVED,
                ChangeKind.SHOT_CHANGED, ChangeKind.SHOTS_MOVED, ChangeKind.TAKE_RECORDED, ChangeKind.TAKE_CHANGED}


def cut_playlist(edit: EditList) -> PlayList:
    segments = []
    entries = list(edit.entries)
    for i, entry in enumerate(entries):
        if entry.is_slate:
            continue
        video = entry.proxy or entry.media
        if not video:
            continue
        source_out = entry.source_out
        nxt = entries[i + 1] if i + 1 < len(entries) else None
        if nxt is not None and nxt.record_in < entry.record_out:  # crossfade: the incoming shot wins
            source_out -= entry.record_out - nxt.record_in
        if source_out <= entry.source_in:
            continue
        segments.append(PlaySegment(video, entry.audio or None, entry.source_in, source_out, entry.record_in,
                                    entry.label))
    return PlayList(tuple(segments), edit.fps, edit.width, edit.height)


class ViewerPanel(QWidget):
    edit_list_changed = Signal(object)  # the EditList now playing

    def __init__(self, doc, selection: ShotSelection, parent: QWidget | None = None, *, audio: bool = True):
        super().__init__(parent)
        self.setObjectName("ViewerPanel")
        self.doc = doc
        self.selection = selection
        self.player = PlayerWidget(self, audio=audio)
        self.info = QLabel(self)
        self.info.setObjectName("panelHint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.player, 1)
        layout.addWidget(self.info)
        self.edit_list: EditList | None = None
        self.control_pass: str | None = None   # depth / mask / pose shown instead of (or over) the picture
        self.pass_over = False
        self._base_playlist: PlayList | None = None
        self._pass_actions: list | None = None
        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(120)
        self._rebuild_timer.timeout.connect(self.rebuild)
        self._unsubscribe = doc.subscribe(self._on_change)
        self.selection.changed.connect(self._selection_changed)
        self.rebuild()

    def detach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self._rebuild_timer.stop()
        self.player.shutdown()

    def _on_change(self, change: Change) -> None:
        if change.kind in _CUT_CHANGES:
            self._rebuild_timer.start()

    def rebuild(self) -> None:
        """Rebuild the cut's playlist, keeping the playhead where it was."""
        try:
            edit = build_edit_list(self.doc.project, folder=self.doc.folder)
            playlist = cut_playlist(edit)
        except Exception as exc:  # a broken take file must not take the viewer down: say what is wrong
            self.info.setText(f"  The cut cannot play: {exc}")
            self.player.set_playlist(None)
            self.edit_list = None
            return
        position = self.player.position
        # the same cut rebuilt (a new take, an edit): the user's in/out marks stay (a new playlist clears them)
        marks = self.player.marks if self.edit_list is not None else (None, None)
        self.edit_list = edit
        # the player's timeline ends with the last shot that has a take (gaps before it stay black)
        self._show(playlist if playlist.segments else None)
        if playlist.segments:
            last = max(0, playlist.duration - 1)
            self.player.seek(min(position, last))
            if marks[0] is not None and marks[0] <= last:
                self.player.set_mark_in(marks[0])
            if marks[1] is not None:
                self.player.set_mark_out(min(marks[1], last))
        missing = len(edit.missing)
        shots = len(edit.entries)
        text = f"  {plural(shots, 'shot')} · {edit.timecode(edit.duration)}"
        if missing:
            text += f" · {missing} without a take (black in the viewer)"
        if self.control_pass:
            text += f" · {PASS_TITLES[self.control_pass]} pass" + (" over the picture" if self.pass_over else "")
        self.info.setText(text)
        self.edit_list_changed.emit(edit)

    def seek_to_shot(self, shot_id: str) -> bool:
        if self.edit_list is None or self.player.playlist is None:
            return False
        for entry in self.edit_list.entries:
            if entry.shot_id == shot_id:
                self.player.seek(min(entry.record_in, max(0, self.player.playlist.duration - 1)))
                return True
        return False

    def _selection_changed(self, ids: list[str]) -> None:
        current = self.selection.current()
        if current and self.player.rate == 0:  # never yank the playhead during playback
            self.seek_to_shot(current)

    def play_take(self, take_id: str) -> None:
        """Play one take whole (the takes panel's double-click); selecting a shot returns to the cut."""
        from .takes.panel import take_playlist
        take = self.doc.project.takes.get(take_id)
        playlist = take_playlist(self.doc, take) if take else None
        if playlist is not None:
            self._show(playlist)
            self.info.setText(f"  {take_label(self.doc.project, take)} — select a shot to return to the cut")
            self.player.setFocus(Qt.FocusReason.OtherFocusReason)

    # ---- control passes ---------------------------------------------------------------------------
    def _show(self, playlist: PlayList | None) -> None:
        self._base_playlist = playlist
        self.player.set_playlist(with_pass(playlist, self.control_pass, self.pass_over))

    def set_control_pass(self, name: str | None, over: bool | None = None) -> None:
        """Show the takes' control pass `name` (depth, mask, pose; None: the picture) instead of the
        picture, or over it; the playhead stays where it is."""
        if name is not None and name not in PASSES:
            raise ValueError(f"no control pass {name!r}")
        self.control_pass = name
        if over is not None:
            self.pass_over = bool(over)
        position, marks = self.player.position, self.player.marks
        self.player.set_playlist(with_pass(self._base_playlist, self.control_pass, self.pass_over))
        if self.player.playlist is not None and self.player.playlist.duration:
            self.player.seek(min(position, self.player.playlist.duration - 1))
            if marks[0] is not None:
                self.player.set_mark_in(marks[0])
            if marks[1] is not None:
                self.player.set_mark_out(marks[1])
        self._refresh_pass_actions()

    def pass_actions(self) -> list[QAction]:
        """The View menu's 'Control Pass' submenu: Picture, Depth, Mask, Pose, and 'Over the Picture'."""
        if self._pass_actions is None:
            menu = QMenu("Control Pass", self)
            group = QActionGroup(menu)
            self._pass_items = {}
            for name in (None, *PASSES):
                action = QAction(PASS_TITLES[name] if name else "Picture", menu, checkable=True)
                action.triggered.connect(lambda _=False, n=name: self.set_control_pass(n))
                group.addAction(action)
                menu.addAction(action)
                self._pass_items[name] = action
            menu.addSeparator()
            over = QAction("Over the Picture", menu, checkable=True)
            over.setToolTip("Draw the pass over the picture instead of in its place")
            over.toggled.connect(lambda on: on != self.pass_over and self.set_control_pass(self.control_pass, on))
            menu.addAction(over)
            self._pass_over_action = over
            self._pass_menu = menu
            self._pass_actions = [menu.menuAction()]
        self._refresh_pass_actions()
        return list(self._pass_actions)

    def _refresh_pass_actions(self) -> None:
        if self._pass_actions is None:
            return
        self._pass_items[self.control_pass].setChecked(True)
        if self._pass_over_action.isChecked() != self.pass_over:
            self._pass_over_action.blockSignals(True)
            self._pass_over_action.setChecked(self.pass_over)
            self._pass_over_action.blockSignals(False)
