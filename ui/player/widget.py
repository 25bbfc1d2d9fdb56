"""`PlayerWidget`: the preview player the studio docks. It paints decoded frames itself (so tests can
grab it and NLE keys can step, shuttle and reverse), keeps time with the audio callback when there is
a device and with a monotonic clock otherwise.

Threads: the decode thread fills the frame cache and reports the frame the display waits for through a
queued signal; everything below runs on the GUI thread.
"""
from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QMenu, QSizePolicy, QWidget

from .audio_out import AudioClock, AudioMixer, AudioUnavailable
from .cache import DEFAULT_CACHE_BYTES, FrameCache
from .clock import Clock, MonotonicClock
from .decoder import DecodeThread
from .source import PlayList, timecode
from .transport import Transport

ASPECT_MASKS = {"2.39": 2.39, "1.85": 1.85, "16:9": 16 / 9, "4:3": 4 / 3}
ACTION_SAFE, TITLE_SAFE = 0.93, 0.90
BAR_HEIGHT = 24
TICK_MS = 4

# For the help overlay: what each key does in the player.
SHORTCUTS = (
    ("Space", "Play / pause"),
    ("J / K / L", "Shuttle reverse / stop / forward (press again for 2x, 4x, 8x)"),
    ("K+J / K+L", "Step one frame back / forward"),
    ("← / →", "Step one frame (Shift: 10 frames)"),
    ("↑ / ↓", "Previous / next cut"),
    ("Home / End", "First / last frame"),
    ("I / O", "Mark in / out"),
    ("Alt+X", "Clear marks"),
    ("Ctrl+L", "Loop on / off (loops between the marks)"),
    ("F / Esc", "Full screen / leave full screen"),
)

_BG = QColor(0, 0, 0)
_BAR = QColor(24, 24, 26)
_TEXT = QColor(226, 226, 226)
_DIM = QColor(140, 140, 146)
_ACCENT = QColor(90, 160, 255)


class PlayerWidget(QWidget):
    position_changed = Signal(int)
    rate_changed = Signal(float)
    marks_changed = Signal(object, object)     # (in, out), None when unset
    frame_displayed = Signal(int)              # a new picture is on screen for this timeline frame
    audio_unavailable = Signal(str)            # said once: playing silently on a monotonic clock
    media_error = Signal(str)                  # a proxy or WAV that cannot be played
    fullscreen_changed = Signal(bool)
    _frame_arrived = Signal(int, int, object)  # decode thread -> GUI thread (queued)
    _decode_failed = Signal(str, str)          # decode thread -> GUI thread (queued)

    def __init__(self, parent: QWidget | None = None, *, clock: Clock | None = None, audio: bool = True,
                 cache_bytes: int = DEFAULT_CACHE_BYTES, decode_ahead: int = 48) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90 + BAR_HEIGHT)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

        self._clock: Clock = clock or MonotonicClock()
        self._audio_wanted = clock is None and audio   # an injected clock means no sound device
        self._audio_tried = False
        self.audio_status = "not started"
        self._transport = Transport(lambda: self._clock.elapsed())
        self.cache = FrameCache(cache_bytes)
        self._decode_ahead = decode_ahead
        self._frame_arrived.connect(self._on_frame_arrived, Qt.ConnectionType.QueuedConnection)
        self._decode_failed.connect(self._on_decode_failed, Qt.ConnectionType.QueuedConnection)
        self._decoder = DecodeThread(self.cache, self._frame_arrived.emit, self._decode_failed.emit)
        decoder = self._decoder
        self.destroyed.connect(lambda *_: decoder.stop())
        self._playlist: PlayList | None = None
        self._file_versions: dict[str, tuple[int, int] | None] = {}

        self._image: QImage | None = None
        self._image_array: np.ndarray | None = None    # keeps the QImage's buffer alive
        self._displayed: int | None = None
        self._offline: dict[str, str] = {}
        self._offline_text = ""
        self._last_position = -1
        self._last_rate = 0
        self._last_marks: tuple[int | None, int | None] = (None, None)
        self._last_serial = -1
        self._last_slot = 0
        self._slot_now = (-1, 0)
        self.dropped_frames = 0      # display slots that passed without their own picture
        self.late_frames = 0         # ... of which the decoder had not delivered the frame in time
        self._k_held = False
        self._safe_areas = False
        self._aspect_mask: str | None = None
        self._fullscreen = False
        self._closed = False

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_tick)

    # --- public API -------------------------------------------------------------------------------
    @property
    def position(self) -> int:
        return self._transport.position

    @property
    def rate(self) -> float:
        return float(self._transport.rate)

    @property
    def playlist(self) -> PlayList | None:
        return self._playlist

    @property
    def displayed_frame(self) -> int | None:
        """The timeline frame whose picture is on screen (lags `position` while a frame decodes)."""
        return self._displayed

    @property
    def marks(self) -> tuple[int | None, int | None]:
        return self._transport.mark_in, self._transport.mark_out

    @property
    def loop(self) -> bool:
        return self._transport.loop

    @property
    def clock(self) -> Clock:
        return self._clock

    def set_playlist(self, playlist: PlayList | None) -> None:
        """Play a cut, a shot or a take: paused on its first frame, marks cleared."""
        old = self._playlist
        self._playlist = playlist
        if old is not None and playlist is not None and (old.width, old.height) != (playlist.width,
                                                                                     playlist.height):
            self.cache.clear()
        self._decoder.forget_errors()
        self._forget_changed_files(playlist)
        self._offline.clear()
        self._displayed, self._image, self._image_array = None, None, None
        if playlist is None:
            self._transport.load(0)
        else:
            self._transport.load(playlist.duration, playlist.cuts(), playlist.fps)
        if isinstance(self._clock, AudioClock):
            self._set_mixer()
        self._last_position = -1
        self._sync()
        self.update()

    def _forget_changed_files(self, playlist: PlayList | None) -> None:
        """A proxy rebuilt under the same name must not play from stale cached frames."""
        changed = []
        for seg in playlist.segments if playlist else ():
            try:
                st = os.stat(seg.video_path)
                version = (st.st_mtime_ns, st.st_size)
            except OSError:
                version = None
            if self._file_versions.get(seg.video_path, version) != version:
                changed.append(seg.video_path)
            self._file_versions[seg.video_path] = version
        for path in changed:
            self.cache.discard_path(path)
        if changed:
            self._decoder.reopen(changed)

    def seek(self, frame: int) -> None:
        self._command(self._transport.seek, frame)

    def play(self) -> None:
        self._command(self._transport.play)

    def pause(self) -> None:
        self._command(self._transport.pause)

    def toggle_play(self) -> None:
        self._command(self._transport.toggle)

    def step(self, n: int) -> None:
        self._command(self._transport.step, n)

    def shuttle(self, direction: int) -> None:
        """+1 like L, -1 like J, 0 like K."""
        self._command(self._transport.shuttle, direction)

    def next_cut(self) -> None:
        self._command(self._transport.next_cut)

    def prev_cut(self) -> None:
        self._command(self._transport.prev_cut)

    def home(self) -> None:
        self._command(self._transport.home)

    def end(self) -> None:
        self._command(self._transport.end)

    def set_mark_in(self, frame: int | None = None) -> None:
        self._command(self._transport.set_mark_in, frame)

    def set_mark_out(self, frame: int | None = None) -> None:
        self._command(self._transport.set_mark_out, frame)

    def clear_marks(self) -> None:
        self._command(self._transport.clear_marks)

    def set_loop(self, on: bool) -> None:
        self._command(self._transport.set_loop, on)
        self._refresh_view_actions()
        self.update()

    def set_safe_areas(self, on: bool) -> None:
        self._safe_areas = bool(on)
        self._refresh_view_actions()
        self.update()

    def set_aspect_mask(self, name: str | None) -> None:
        """One of ASPECT_MASKS' names, or None for no mask."""
        if name is not None and name not in ASPECT_MASKS:
            raise ValueError(f"unknown aspect mask {name!r}; choose one of {', '.join(ASPECT_MASKS)}")
        self._aspect_mask = name
        self._refresh_view_actions()
        self.update()

    def is_fullscreen(self) -> bool:
        return self._fullscreen

    def toggle_fullscreen(self) -> None:
        """A docked widget becomes its own full-screen window and goes back into its layout after."""
        self._fullscreen = not self._fullscreen
        if self._fullscreen:
            self.setWindowFlag(Qt.WindowType.Window, True)
            self.showFullScreen()
        else:
            self.setWindowFlag(Qt.WindowType.Window, False)
            self.showNormal()
            self.show()
        self.setFocus()
        self.fullscreen_changed.emit(self._fullscreen)

    def video_rect(self) -> QRect:
        """Where the picture is painted: the largest rectangle of the playlist's aspect above the bar."""
        area = QRect(0, 0, self.width(), max(1, self.height() - BAR_HEIGHT))
        pw, ph = (self._playlist.width, self._playlist.height) if self._playlist else (16, 9)
        scale = min(area.width() / pw, area.height() / ph)
        w, h = max(1, round(pw * scale)), max(1, round(ph * scale))
        return QRect((area.width() - w) // 2, (area.height() - h) // 2, w, h)

    def shutdown(self) -> None:
        """Stop the decode thread and the sound stream; the studio calls this when the player goes."""
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        self._decoder.stop()
        self._clock.close()

    # --- transport plumbing -----------------------------------------------------------------------
    def _command(self, action, *args) -> None:
        if self._closed:
            return
        if self._audio_wanted and not self._audio_tried and action in (
                self._transport.play, self._transport.toggle, self._transport.shuttle):
            self._open_audio()
        action(*args)
        self._sync()

    def _open_audio(self) -> None:
        """First playback: open the sound device; without one, say so once and play silently."""
        self._audio_tried = True
        clock = AudioClock()
        try:
            clock.start()
        except AudioUnavailable as exc:
            self.audio_status = f"playing silently: {exc}"
            self.audio_unavailable.emit(self.audio_status)
            return
        self._clock.close()
        self._clock = clock
        self.audio_status = "audio clock"
        self._set_mixer()

    def _set_mixer(self) -> None:
        mixer = AudioMixer(self._playlist) if self._playlist is not None else None
        self._clock.set_mixer(mixer)
        for message in (mixer.errors if mixer else ()):
            self.media_error.emit(message)

    def _sync(self) -> None:
        """After any transport change: tell the clock, run or stop the tick, emit what changed, show."""
        t = self._transport
        self._clock.follow(*t.anchor, t.rate, t.fps)
        if t.playing and not self._timer.isActive():
            self._timer.start()
        elif not t.playing and self._timer.isActive():
            self._timer.stop()
        rate_changed = t.rate != self._last_rate
        if rate_changed:
            self._last_rate = t.rate
            self.rate_changed.emit(float(t.rate))
        marks = (t.mark_in, t.mark_out)
        if marks != self._last_marks:
            self._last_marks = marks
            self.marks_changed.emit(*marks)
        # A new speed or direction needs a new decode-ahead list even when the playhead has not moved.
        self._position_moved(t.position, t.anchor_serial, 0, force=rate_changed)
        self.update()

    def _on_tick(self) -> None:
        t = self._transport
        was_serial, was_rate = t.anchor_serial, t.rate
        tick = t.advance()
        if tick.anchor_serial != was_serial or t.rate != was_rate:   # wrapped or stopped at the end
            self._clock.follow(*t.anchor, t.rate, t.fps)
        if t.rate != was_rate:
            self._sync()
            return
        self._position_moved(tick.position, tick.anchor_serial, tick.slot)

    def _position_moved(self, position: int, serial: int, slot: int, force: bool = False) -> None:
        self._slot_now = (serial, slot)
        if position == self._last_position and not force:
            return
        if position == self._last_position:
            self._want(position)
            return
        self._last_position = position
        self.position_changed.emit(position)
        if self._playlist is None:
            return
        src = self._playlist.source_at(position)
        if src is None:
            self._display(position, None)
        elif src[0] in self._offline:
            self._display(position, None, self._offline[src[0]])
        else:
            cached = self.cache.get(src)
            if cached is not None:
                self._display(position, cached)
            else:
                if self._transport.playing:
                    self.late_frames += 1
                self._show_latest_before(position)
        self._want(position)

    def _want(self, position: int) -> None:
        if self._playlist is None:
            return
        ahead = min(self._decode_ahead, max(1, self.cache.capacity_for(self._frame_bytes()) // 2))
        waiting = None if self._displayed == position else position
        self._decoder.want(self._playlist, self._transport.upcoming(ahead), notify=waiting)

    def _on_frame_arrived(self, serial: int, frame: int, array) -> None:
        if self._closed or frame == self._displayed:
            return
        if frame == self._transport.position or self._is_late_but_newer(frame):
            self._display(frame, array)

    def _is_late_but_newer(self, frame: int) -> bool:
        """While playing behind the clock, a frame between the one on screen and the playhead is still
        worth showing: the picture keeps moving (with drops counted) instead of freezing."""
        t, shown = self._transport, self._displayed
        if not t.rate or shown is None:
            return False
        return shown < frame < t.position if t.rate > 0 else t.position < frame < shown

    def _show_latest_before(self, position: int) -> None:
        for k in range(1, 5):
            frame = position - k * self._transport.rate
            if not self._is_late_but_newer(frame):
                return
            src = self._playlist.source_at(frame)
            cached = self.cache.get(src) if src is not None else None
            if cached is not None:
                self._display(frame, cached)
                return

    def _on_decode_failed(self, path: str, message: str) -> None:
        if self._closed:
            return
        self._offline[path] = message
        self.media_error.emit(message)
        position = self._transport.position
        src = self._playlist.source_at(position) if self._playlist else None
        if src is not None and src[0] == path:
            self._display(position, None, message)
        src = self._playlist.source_at(self._transport.position) if self._playlist else None
        if src is not None and src[0] == path:
            self._display(self._transport.position, None, message)

    def _display(self, frame: int, array: np.ndarray | None, offline: str = "") -> None:
        if array is None:
            self._image = self._image_array = None
        else:
            h, w = array.shape[:2]
            self._image_array = array
            self._image = QImage(array.data, w, h, array.strides[0], QImage.Format.Format_RGB888)
        self._offline_text = offline
        self._count_drops()
        self._displayed = frame
        self.update()
        self.frame_displayed.emit(frame)

    def _count_drops(self) -> None:
        serial, slot = self._slot_now
        if self._transport.playing and serial == self._last_serial and slot > self._last_slot + 1:
            self.dropped_frames += slot - self._last_slot - 1
        self._last_serial, self._last_slot = serial, slot

    def _frame_bytes(self) -> int:
        return self._playlist.width * self._playlist.height * 3 if self._playlist else 1

    # --- Qt events --------------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        key, mods = event.key(), event.modifiers()
        K = Qt.Key
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        alt = bool(mods & Qt.KeyboardModifier.AltModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        repeat_ok = key in (K.Key_Left, K.Key_Right, K.Key_Up, K.Key_Down)
        if event.isAutoRepeat() and not repeat_ok:
            event.accept()
            return
        if key == K.Key_L and ctrl:
            self.set_loop(not self.loop)
        elif key == K.Key_X and alt:
            self.clear_marks()
        elif key == K.Key_Space:
            self.toggle_play()
        elif key == K.Key_K:
            self._k_held = True
            self.shuttle(0)
        elif key == K.Key_J:
            self.step(-1) if self._k_held else self.shuttle(-1)
        elif key == K.Key_L:
            self.step(1) if self._k_held else self.shuttle(1)
        elif key in (K.Key_Left, K.Key_Right):
            self.step((10 if shift else 1) * (-1 if key == K.Key_Left else 1))
        elif key == K.Key_Up:
            self.prev_cut()
        elif key == K.Key_Down:
            self.next_cut()
        elif key == K.Key_Home:
            self.home()
        elif key == K.Key_End:
            self.end()
        elif key == K.Key_I:
            self.set_mark_in()
        elif key == K.Key_O:
            self.set_mark_out()
        elif key == K.Key_F:
            self.toggle_fullscreen()
        elif key == K.Key_Escape and self._fullscreen:
            self.toggle_fullscreen()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_K and not event.isAutoRepeat():
            self._k_held = False
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        self._k_held = False
        super().focusOutEvent(event)

    def closeEvent(self, event) -> None:
        if self._fullscreen:            # closing the full-screen window returns to the dock
            self.toggle_fullscreen()
            event.ignore()
            return
        self.shutdown()
        super().closeEvent(event)

    def view_actions(self) -> list[QAction]:
        """Loop, safe areas, the aspect mask submenu and full screen: one set of actions for the
        right-click menu and the window's View menu (their checks always show the player's state).
        The keys are shown in the labels; the player's own key handling stays the one that acts."""
        if getattr(self, "_view_actions", None) is None:
            loop = QAction("Loop\tCtrl+L", self, checkable=True)
            loop.toggled.connect(lambda on: on != self.loop and self.set_loop(on))
            safe = QAction("Safe Areas", self, checkable=True)
            safe.toggled.connect(lambda on: on != self._safe_areas and self.set_safe_areas(on))
            masks = QMenu("Aspect Mask", self)
            group = QActionGroup(masks)
            self._mask_actions = {}
            for name in (None, *ASPECT_MASKS):
                action = QAction(name or "None", masks, checkable=True)
                action.triggered.connect(lambda _=False, n=name: self.set_aspect_mask(n))
                group.addAction(action)
                masks.addAction(action)
                self._mask_actions[name] = action
            full = QAction("Full Screen\tF", self)
            full.triggered.connect(self.toggle_fullscreen)
            masks.aboutToShow.connect(self._refresh_view_actions)
            self._view_actions = [loop, safe, masks.menuAction(), full]
        self._refresh_view_actions()
        return list(self._view_actions)

    def _refresh_view_actions(self) -> None:
        if getattr(self, "_view_actions", None) is None:
            return
        loop, safe = self._view_actions[0], self._view_actions[1]
        for action, on in ((loop, self.loop), (safe, self._safe_areas)):
            if action.isChecked() != on:
                action.blockSignals(True)
                action.setChecked(on)
                action.blockSignals(False)
        self._mask_actions[self._aspect_mask].setChecked(True)

    def contextMenuEvent(self, event) -> None:
        menu = QMenu(self)
        actions = self.view_actions()
        menu.addActions(actions[:3])
        menu.addSeparator()
        menu.addAction(actions[3])
        menu.exec(event.globalPos())

    # --- painting ---------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), _BG)
        vr = self.video_rect()
        if self._image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(vr, self._image)
        elif self._offline_text:
            p.setPen(_DIM)
            p.drawText(vr, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       "MEDIA OFFLINE\n" + self._offline_text)
        self._paint_overlays(p, vr)
        self._paint_bar(p)
        p.end()

    def _paint_overlays(self, p: QPainter, vr: QRect) -> None:
        if self._aspect_mask:
            target = ASPECT_MASKS[self._aspect_mask]
            frame = vr.width() / vr.height()
            shade = QColor(0, 0, 0, 200)
            if target > frame:        # wider than the frame: bars top and bottom
                bar = round((vr.height() - vr.width() / target) / 2)
                p.fillRect(QRect(vr.x(), vr.y(), vr.width(), bar), shade)
                p.fillRect(QRect(vr.x(), vr.bottom() + 1 - bar, vr.width(), bar), shade)
            elif target < frame:      # narrower: bars left and right
                bar = round((vr.width() - vr.height() * target) / 2)
                p.fillRect(QRect(vr.x(), vr.y(), bar, vr.height()), shade)
                p.fillRect(QRect(vr.right() + 1 - bar, vr.y(), bar, vr.height()), shade)
        if self._safe_areas:
            for fraction, alpha in ((ACTION_SAFE, 150), (TITLE_SAFE, 110)):
                p.setPen(QPen(QColor(255, 255, 255, alpha), 1, Qt.PenStyle.DashLine))
                w, h = vr.width() * fraction, vr.height() * fraction
                p.drawRect(QRectF(vr.x() + (vr.width() - w) / 2, vr.y() + (vr.height() - h) / 2, w, h))

    def _paint_bar(self, p: QPainter) -> None:
        bar = QRect(0, self.height() - BAR_HEIGHT, self.width(), BAR_HEIGHT)
        p.fillRect(bar, _BAR)
        t, pl = self._transport, self._playlist
        if pl is not None and t.duration > 1:      # a thin progress line with the marked range
            span = bar.width() / t.duration
            if t.mark_in is not None or t.mark_out is not None:
                lo = t.mark_in or 0
                hi = t.mark_out if t.mark_out is not None else t.last_frame
                p.fillRect(QRectF(lo * span, bar.y(), (hi - lo + 1) * span, 2), _DIM)
            p.fillRect(QRectF(t.position * span, bar.y(), max(2.0, span), 2), _ACCENT)
        font = self._bar_font()
        p.setFont(font)
        for rect, text, align, dim in self.bar_texts():
            p.setPen(_DIM if dim else _TEXT)
            p.drawText(rect, align, text)

    def _bar_font(self) -> QFont:
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPixelSize(13)
        return font

    def bar_texts(self) -> list[tuple[QRectF, str, Qt.AlignmentFlag, bool]]:
        """The status row's texts and where each is drawn: timecode left, marks/loop/rate right, the shot's
        label in the room left between them (centred when it fits, elided when not), so nothing overlaps
        however narrow the viewer or long the shot title. (rect, text, alignment, dim)."""
        t, pl = self._transport, self._playlist
        fm = QFontMetrics(self._bar_font())
        bar = QRectF(8, self.height() - BAR_HEIGHT + 2, self.width() - 16, BAR_HEIGHT - 2)
        fps = pl.fps if pl else Fraction(24)
        status = []
        if t.mark_in is not None:
            status.append("I " + timecode(t.mark_in, fps))
        if t.mark_out is not None:
            status.append("O " + timecode(t.mark_out, fps))
        if t.loop:
            status.append("LOOP")
        status.append(_rate_text(t.rate))
        left, right = timecode(t.position, fps), "  ".join(status)
        gap = fm.horizontalAdvance("  ")
        left_w, right_w = fm.horizontalAdvance(left), fm.horizontalAdvance(right)
        v = Qt.AlignmentFlag.AlignVCenter
        texts = [(QRectF(bar.left(), bar.top(), left_w + 1, bar.height()), left, v | Qt.AlignmentFlag.AlignLeft,
                  False),
                 (QRectF(bar.right() - right_w - 1, bar.top(), right_w + 1, bar.height()), right,
                  v | Qt.AlignmentFlag.AlignRight, False)]
        seg = pl.segment_at(t.position) if pl else None
        if seg is not None and seg.label:
            room_l, room_r = bar.left() + left_w + gap, bar.right() - right_w - gap
            if room_r - room_l > fm.horizontalAdvance("…") + 4:
                label = fm.elidedText(seg.label, Qt.TextElideMode.ElideRight, int(room_r - room_l))
                width = fm.horizontalAdvance(label) + 1
                x = min(max(bar.center().x() - width / 2, room_l), room_r - width)  # centred, kept in the room
                texts.append((QRectF(x, bar.top(), width, bar.height()), label, v | Qt.AlignmentFlag.AlignLeft,
                              True))
        return texts


def _rate_text(rate: int) -> str:
    if rate == 0:
        return "❚❚"
    return f"{'▶' if rate > 0 else '◀'} {abs(rate)}x"
