"""Two takes side by side, in sync: two `PlayerWidget`s driven by ONE position.

The compare widget owns the position (a slider, a play button, a timer reading a monotonic clock) and
seeks both players to it, so they can never drift apart; each player only decodes and paints. The
shorter take holds its last frame while the longer one plays on.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from ..player.source import PlayList, timecode
from ..player.widget import PlayerWidget
from .. import theme


class TakeCompareWidget(QWidget):
    position_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.players = (PlayerWidget(self, audio=False), PlayerWidget(self, audio=False))
        self.labels = (QLabel(self), QLabel(self))
        for player in self.players:  # keys go to this widget, which drives both
            player.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._lists: tuple[PlayList | None, PlayList | None] = (None, None)
        self._position = 0
        self._duration = 0
        self._fps = 24.0
        self._play_origin: tuple[float, int] | None = None

        row = QHBoxLayout()
        row.setSpacing(4)
        for player, label in zip(self.players, self.labels):
            col = QVBoxLayout()
            col.setSpacing(2)
            label.setObjectName("panelHint")
            col.addWidget(label)
            col.addWidget(player, 1)
            row.addLayout(col, 1)

        self.play_button = QToolButton(self)
        self.play_button.setIcon(theme.icon("mdi6.play"))
        self.play_button.setIconSize(QSize(18, 18))
        self.play_button.setToolTip("Play both (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.valueChanged.connect(self._slider_moved)
        self.time_label = QLabel("00:00:00:00", self)
        bar = QHBoxLayout()
        bar.addWidget(self.play_button)
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.time_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row, 1)
        layout.addLayout(bar)

        self._timer = QTimer(self)
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)

    # ---- public --------------------------------------------------------------------------------
    @property
    def position(self) -> int:
        return self._position

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def set_playlists(self, a: PlayList, b: PlayList, labels: tuple[str, str] = ("", "")) -> None:
        self.pause()
        self._lists = (a, b)
        for player, playlist, label, text in zip(self.players, self._lists, self.labels, labels):
            player.set_playlist(playlist)
            label.setText(text)
        self._duration = max(a.duration, b.duration)
        self._fps = float(a.fps)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, self._duration - 1))
        self.slider.blockSignals(False)
        self.set_position(0)

    def set_position(self, frame: int) -> None:
        """Seek both players to `frame` (the shorter take holds its last frame)."""
        frame = max(0, min(int(frame), max(0, self._duration - 1)))
        self._position = frame
        for player, playlist in zip(self.players, self._lists):
            if playlist is not None and playlist.duration:
                player.seek(min(frame, playlist.duration - 1))
        self.slider.blockSignals(True)
        self.slider.setValue(frame)
        self.slider.blockSignals(False)
        self.time_label.setText(timecode(frame, self._lists[0].fps if self._lists[0] else 24))
        self.position_changed.emit(frame)

    def play(self) -> None:
        if self._duration <= 1:
            return
        start = 0 if self._position >= self._duration - 1 else self._position
        self._play_origin = (time.monotonic(), start)
        self._timer.start()
        self.play_button.setIcon(theme.icon("mdi6.pause"))

    def pause(self) -> None:
        self._timer.stop()
        self._play_origin = None
        self.play_button.setIcon(theme.icon("mdi6.play"))

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def step(self, frames: int) -> None:
        self.pause()
        self.set_position(self._position + frames)

    def shutdown(self) -> None:
        self.pause()
        for player in self.players:
            player.shutdown()

    # ---- internals -------------------------------------------------------------------------------
    def _tick(self) -> None:
        if self._play_origin is None:
            return
        started, first = self._play_origin
        frame = first + int((time.monotonic() - started) * self._fps)
        if frame >= self._duration - 1:
            self.set_position(self._duration - 1)
            self.pause()
        elif frame != self._position:
            self.set_position(frame)

    def _slider_moved(self, value: int) -> None:
        self.pause()
        self.set_position(value)

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space:
            self.toggle_play()
        elif key == Qt.Key.Key_Left:
            self.step(-1)
        elif key == Qt.Key.Key_Right:
            self.step(1)
        else:
            super().keyPressEvent(event)
