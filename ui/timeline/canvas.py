"""`TimelineCanvas`: the painted timeline — ruler, a video lane of shots, one lane per audio cue kind.

Painting reads only the prepared `TimelineLayout` and the visible frame range (two bisections), so a
1,000-shot cut repaints in a few milliseconds at any zoom. Mouse edits are previewed locally while
dragging and become ONE studio command on release (`SetAudioCue` for a moved or trimmed cue, `SetTrim`
for a shot's in/out): the document, the store and the undo stack see one step per gesture. The rules
(how far a trim or cue may go, which command a gesture makes) live in `studio.timeline_edits`.

Who uses it: `TimelinePanel` (toolbar, scroll bar, document and selection wiring) and the benchmark.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPixmap, QStaticText
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from studio import timeline_edits as edits
from studio.commands import RemoveAudioCue
from studio.timebase import format_duration, format_timecode

# geometry and colours re-exported: the panel, the inspector and the tests import them from here
from .geometry import (CANVAS_H, DRAG_START_PX, EDGE_PX, HEADER_W, LANE_GAP, LANE_H, LANE_TOP,  # noqa: F401
                       MAX_PPF, MIN_PPF, RULER_H, SNAP_PX, VIDEO_H, VIDEO_TOP, lane_top)
from .hits import TimelineHits
from .layout import LANES, Clip, CueItem, TimelineLayout
from .paint import _MARK, LANE_COLORS, LANE_TITLES, TimelinePainting  # noqa: F401
from .view import TimelineView

# (keys, what) for the help overlay; the canvas handles these when it has focus
SHORTCUTS = (
    ("Click / drag ruler", "Move the playhead (snaps to cuts)"),
    ("Drag a sound", "Move it (snaps to cuts and the playhead within 8 px)"),
    ("Drag a sound's edge", "Trim its start or length"),
    ("Drag a shot's edge", "Trim the take's in / out point"),
    ("Alt+← / Alt+→", "Nudge the picked sound one frame"),
    ("Delete", "Remove the picked sound"),
    ("= / -", "Zoom in / out"),
    ("Ctrl+wheel", "Zoom around the mouse"),
    ("\\", "Fit the whole cut"),
    ("S", "Snapping on / off"),
)


@dataclass
class _Drag:
    kind: str            # playhead | cue_move | cue_left | cue_right | trim_in | trim_out
    press_x: float
    clip: Clip | None = None
    item: CueItem | None = None
    active: bool = False
    start: int = 0       # preview: shot-relative cue start, or trim in (take frames)
    end: int = 0         # preview: shot-relative cue end, or trim out (take frames, 0 = end)
    snapped: int | None = None  # timeline frame the preview snapped to (drawn as a guide)


class TimelineCanvas(TimelinePainting, TimelineHits, TimelineView, QWidget):
    """The widget: state, mouse and keys. Its view transform, hit-testing and painting are the mixins
    `ui.timeline.view.TimelineView`, `.hits.TimelineHits`, `.paint.TimelinePainting`."""

    shot_clicked = Signal(str, object)   # shot id, Qt.KeyboardModifiers
    playhead_moved = Signal(int)         # the user moved the playhead (ruler click or scrub)
    view_changed = Signal()              # zoom, scroll range or layout changed (the scroll bar follows)
    cue_selected = Signal(str, str)      # shot id, cue id ('' when none)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("TimelineCanvas")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(CANVAS_H)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.layout_data = TimelineLayout().finish()
        self.ppf = 4.0                   # pixels per frame
        self.scroll = 0.0                # pixels scrolled from frame 0
        self.playhead = 0
        self.snapping = True
        self.snap_px = SNAP_PX
        self.selected: set[str] = set()
        self.selected_cue: tuple[str, str] | None = None
        self.seam_flags: dict[str, str] = {}
        self.withdrawn: dict[str, str] = {}   # shot id -> why its take's likeness is withdrawn (studio.consent)
        self.marks: tuple[int | None, int | None] = (None, None)  # the viewer's in / out (inclusive frames)
        self.media = None  # ui.timeline.media.TimelineMedia: thumbnails and waveforms (None: plain boxes)
        self.execute: Callable[..., bool] = lambda command, whole_gesture=False: False  # set by the panel
        self._drag: _Drag | None = None
        self._fitted = False
        self._base: QPixmap | None = None  # everything but the playhead, painted once per change
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 0.5))
        self._small = font
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        self._fm_small = QFontMetrics(self._small)
        self._fm_bold = QFontMetrics(self._bold)
        self._static: dict[tuple[str, bool], QStaticText] = {}  # laid-out labels: drawText re-shapes each time

    # ---- state set by the panel -------------------------------------------------------------------
    def set_layout(self, layout: TimelineLayout) -> None:
        self.layout_data = layout
        if not self._fitted and layout.clips and self.width() > HEADER_W + 40:
            self.fit()
        self._clamp_scroll()
        self.view_changed.emit()
        self.invalidate()

    def set_selection(self, ids) -> None:
        self.selected = set(ids)
        self.invalidate()

    def set_playhead(self, frame: int) -> None:
        frame = max(0, int(frame))
        if frame != self.playhead:
            self.playhead = frame
            self.update()  # the cached picture stays: only the playhead moves

    def set_withdrawn(self, shots: dict[str, str]) -> None:
        """Clips whose take shows a withdrawn likeness: a red band and the words on the clip."""
        if shots != self.withdrawn:
            self.withdrawn = dict(shots)
            self.invalidate()

    def set_seam_flags(self, flags: dict[str, str]) -> None:
        self.seam_flags = {str(k): str(v) for k, v in (flags or {}).items()}
        self.invalidate()

    def set_marks(self, mark_in: int | None, mark_out: int | None) -> None:
        """The viewer's in/out marks (the same cut frames), drawn as a band on the ruler and two lines."""
        marks = (mark_in, mark_out)
        if marks != self.marks:
            self.marks = marks
            self.invalidate()

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self.invalidate()

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.invalidate()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._base = None
        if not self._fitted and self.layout_data.clips and self.width() > HEADER_W + 40:
            self.fit()
        self._clamp_scroll()
        self.view_changed.emit()

    # ---- mouse ------------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        x, y = event.position().x(), event.position().y()
        if x < HEADER_W:
            return
        if y < RULER_H:
            self._drag = _Drag("playhead", x, active=True)
            self._scrub(x)
            return
        if VIDEO_TOP <= y < VIDEO_TOP + VIDEO_H:
            clip = self.layout_data.clip_at(self.frame_at(x))
            edge = self._trim_edge(x)
            if edge is not None:
                kind, clip = edge
                self._drag = _Drag(kind, x, clip=clip, start=clip.trim_in, end=clip.trim_out)
            if clip is not None:
                self.shot_clicked.emit(clip.shot_id, event.modifiers())
            return
        item = self.cue_at(x, y)
        if item is not None:
            clip = self.layout_data.clips[item.clip_index]
            edge = self.cue_edge(item, x)
            kind = f"cue_{edge}" if edge else "cue_move"
            start = item.cue.start
            self._drag = _Drag(kind, x, clip=clip, item=item, start=start,
                               end=start + (item.end - (clip.origin + start)))
            self.selected_cue = (item.shot_id, item.cue_id)
            if item.shot_id not in self.selected:  # the shot first: the inspector then shows its sounds
                self.shot_clicked.emit(item.shot_id, Qt.KeyboardModifier.NoModifier)
            self.cue_selected.emit(item.shot_id, item.cue_id)
            self.invalidate()
        elif self.selected_cue is not None:
            self.selected_cue = None
            self.cue_selected.emit("", "")
            self.invalidate()

    def mouseMoveEvent(self, event) -> None:
        x, y = event.position().x(), event.position().y()
        drag = self._drag
        if drag is None:
            self._update_cursor(x, y)
            return
        if drag.kind == "playhead":
            self._scrub(x)
            return
        if not drag.active and abs(x - drag.press_x) < DRAG_START_PX:
            return
        drag.active = True
        delta = (x - drag.press_x) / self.ppf
        if drag.item is not None:
            self._preview_cue(drag, delta)
        else:
            self._preview_trim(drag, delta)
        self.invalidate()

    def _preview_cue(self, drag: _Drag, delta: float) -> None:
        item, clip = drag.item, drag.clip
        cue = item.cue
        origin = clip.origin
        start0 = cue.start
        end0 = start0 + (item.end - (origin + start0)) if not cue.duration else start0 + cue.duration
        drag.snapped = None
        if drag.kind == "cue_move":
            length = end0 - start0
            raw = origin + start0 + delta
            s_frame, s_target = self.snap(raw)
            e_frame, e_target = self.snap(raw + length)
            if s_target is not None and (e_target is None or abs(s_frame - raw) <= abs(e_frame - raw - length)):
                new_start, drag.snapped = s_frame - origin, s_target
            elif e_target is not None:
                new_start, drag.snapped = e_frame - length - origin, e_target
            else:
                new_start = int(round(raw)) - origin
            new_start = edits.cue_moved_to(new_start, clip.shot.duration)
            drag.start, drag.end = new_start, new_start + length
        elif drag.kind == "cue_right":
            frame, drag.snapped = self.snap(origin + end0 + delta)
            drag.start, drag.end = start0, edits.cue_end_to(start0, frame - origin)
        else:  # cue_left: the end stays, the start moves
            frame, drag.snapped = self.snap(origin + start0 + delta)
            drag.start, drag.end = edits.cue_start_to(frame - origin, end0, clip.shot.duration), end0

    def _preview_trim(self, drag: _Drag, delta: float) -> None:
        clip = drag.clip
        scale = clip.take_scale
        drag.snapped = None
        if drag.kind == "trim_in":
            frame, drag.snapped = self.snap(clip.start + delta)
            d_take = int(round((frame - clip.start) / scale))
            drag.start, drag.end = edits.trim_in_to(clip.trim_in, clip.trim_out, clip.take_frames, d_take)
        else:
            frame, drag.snapped = self.snap(clip.end + delta)
            d_take = int(round((frame - clip.end) / scale))
            drag.start, drag.end = edits.trim_out_to(clip.trim_in, clip.trim_out, clip.take_frames, d_take)

    def mouseReleaseEvent(self, event) -> None:
        drag, self._drag = self._drag, None
        if drag is None:
            return
        if drag.kind == "playhead" or not drag.active:
            self.invalidate()
            return
        if drag.item is not None:
            command = edits.cue_edit(drag.clip.shot_id, drag.item.cue, drag.kind.removeprefix("cue_"),
                                     drag.start, drag.end)
        else:
            clip = drag.clip
            command = edits.trim_edit(clip.shot_id, clip.trim_in, clip.trim_out, drag.start, drag.end)
        if command is not None:
            self.execute(command, whole_gesture=True)
        self.invalidate()

    def _scrub(self, x: float) -> None:
        frame, _ = self.snap(self.frame_at(x)) if self.snapping else (int(round(self.frame_at(x))), None)
        frame = max(0, min(frame, max(0, self.layout_data.duration - 1)))
        if frame != self.playhead:
            self.playhead = frame
            self.playhead_moved.emit(frame)
            self.update()  # the cached picture stays: only the playhead moves

    def _update_cursor(self, x: float, y: float) -> None:
        shape = Qt.CursorShape.ArrowCursor
        if x >= HEADER_W:
            if VIDEO_TOP <= y < VIDEO_TOP + VIDEO_H and self._trim_edge(x) is not None:
                shape = Qt.CursorShape.SizeHorCursor
            else:
                item = self.cue_at(x, y)
                if item is not None:
                    near_edge = self.cue_edge(item, x) is not None
                    shape = Qt.CursorShape.SizeHorCursor if near_edge else Qt.CursorShape.OpenHandCursor
        if self.cursor().shape() != shape:
            self.setCursor(shape)

    def wheelEvent(self, event) -> None:
        dy = event.angleDelta().y() or event.angleDelta().x()
        if not dy:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(1.25 ** (dy / 120), event.position().x())
        else:
            self.set_scroll(self.scroll - dy / 120 * 80)
        event.accept()

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selected_cue:
            shot_id, cue_id = self.selected_cue
            if self.execute(RemoveAudioCue(shot_id, cue_id)):
                self.selected_cue = None
                self.cue_selected.emit("", "")
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.5)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / 1.5)
        elif key == Qt.Key.Key_Backslash:
            self.fit()
        elif key == Qt.Key.Key_S:
            self.set_snapping(not self.snapping)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and self.selected_cue \
                and event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self.nudge_cue(-1 if key == Qt.Key.Key_Left else 1)
        else:
            super().keyPressEvent(event)

    def nudge_cue(self, frames: int) -> bool:
        """Move the selected sound by whole frames (Alt+←/→); repeated nudges are one undo step."""
        if not self.selected_cue:
            return False
        item = self.layout_data.cue(*self.selected_cue)
        if item is None:
            return False
        clip = self.layout_data.clips[item.clip_index]
        command = edits.nudge_cue(item.shot_id, item.cue, frames, clip.shot.duration)
        return self.execute(command) if command is not None else False

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(event.pos().x(), event.pos().y())  # a QHelpEvent
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def tooltip_at(self, x: float, y: float) -> str:
        fps = self.layout_data.fps
        if VIDEO_TOP <= y < VIDEO_TOP + VIDEO_H:
            clip = self.layout_data.clip_at(self.frame_at(x))
            if clip is None:
                return ""
            flag = self.seam_flags.get(clip.shot_id)
            lines = [f"{clip.number}. {clip.title}".strip(), f"{format_timecode(clip.start, fps)} · "
                     f"{format_duration(clip.length, fps)}"]
            if clip.has_take:
                lines.append(f"Take in {clip.trim_in}, out {clip.trim_out or clip.take_frames} "
                             f"of {clip.take_frames} frames (drag the edges to trim)")
            else:
                lines.append("No take yet: the slate shows the planned duration")
            if clip.shot_id in self.withdrawn:
                lines.append(f"⚠ {self.withdrawn[clip.shot_id]}: replace the take or remove the shot to export")
            if flag:
                lines.append(f"⚠ {flag}")
            return "\n".join(lines)
        if y < RULER_H:
            clip = self.layout_data.clip_at(self.frame_at(x))
            if clip is not None and clip.shot_id in self.seam_flags and abs(self.x_of(clip.start) - x) < 9:
                return self.seam_flags[clip.shot_id]
            return ""
        item = self.cue_at(x, y)
        if item is None:
            return ""
        length = "natural length" if item.natural else format_duration(item.cue.duration, fps)
        return f"{LANE_TITLES[LANES[item.lane]]}: {item.label}\nStarts at frame {item.cue.start} of the shot · {length}"


