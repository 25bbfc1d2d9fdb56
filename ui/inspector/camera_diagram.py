"""`CameraDiagramWidget`: a small animated schematic of a camera cue — a top view and a side view of the
camera and its subject, the move played on a loop.

The poses are the engine's own: `engine.previs.framing.solve` places the camera for the shot plan and
its `CameraPath` runs the move (the renderer executes the same path), so the diagram is no second camera
model. The field of view comes from the lens on a 36x24 mm frame. The QTimer runs only while the widget is visible,
so a hidden inspector costs nothing.
"""
from __future__ import annotations

import math
import time
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.cues import Angle, CameraCue, CameraMove
from engine.plan import Person, ShotPlan, Subject
from engine.previs.framing import solve

from .. import theme

LOOP_S = 3.2      # hold 0.5 s, move 2.2 s, hold 0.5 s
_MOVE_FROM, _MOVE_TO = 0.5 / LOOP_S, 2.7 / LOOP_S
_CAM = QColor(236, 196, 90)
_SUBJECT = QColor(120, 180, 240)
_CONE = QColor(236, 196, 90, 46)



def fov_deg(lens_mm: float, sensor_mm: float) -> float:
    return math.degrees(2 * math.atan(sensor_mm / 2 / max(1e-3, lens_mm)))


_DEFAULT_PLAN = ShotPlan(people=(Person(description="figure", is_subject=True),), subject=Subject("person", 0))


@lru_cache(maxsize=64)
def _engine_path(cue: CameraCue, plan: ShotPlan):
    """The engine's own framing and camera path for the cue (engine.previs.framing + camera): the
    diagram draws exactly what the renderer will do, at the studio's 16:9."""
    framing = solve(plan, cue, 1280, 720)
    return framing, framing.path(cue, 72, 24.0, 0)


class CameraPose:
    """Where the camera is at progress t (0..1 of the move), in metres around the subject's mark.
    x: right, y: away from the camera's start (depth), z: up. yaw/pitch in degrees (0 = toward +y).
    Read from the engine's camera path (engine x, y, z = diagram x, z, y)."""

    def __init__(self, cue: CameraCue, t: float, plan: ShotPlan | None = None):
        framing, path = _engine_path(cue, plan or _DEFAULT_PLAN)
        pose = path.pose_at(cue.easing.apply(t), t * LOOP_S)
        x, y, z = pose.position
        self.x, self.y, self.z = x, z, y
        self.yaw, self.pitch, self.lens = pose.yaw, pose.pitch, pose.lens_mm
        aim = framing.aim
        self.distance = math.dist(framing.pose.position, aim)
        self.hfov = fov_deg(self.lens, 36.0)
        self.vfov = fov_deg(self.lens, 24.0)


class CameraDiagramWidget(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("CameraDiagram")
        self.setMinimumHeight(132)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.cue = CameraCue()
        self.plan: ShotPlan | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(33)
        self.timer.timeout.connect(self.update)
        self._t0 = time.monotonic()
        self.fixed_t: float | None = None  # tests and screenshots can freeze the loop at a progress

    def set_cue(self, cue: CameraCue, plan: ShotPlan | None = None) -> None:
        """The cue (and the shot plan its framing is solved for: people, subject, facing)."""
        if cue != self.cue or plan != self.plan:
            self.cue, self.plan = cue, plan
            self._t0 = time.monotonic()
            self.update()

    def progress(self) -> float:
        if self.fixed_t is not None:
            return self.fixed_t
        phase = ((time.monotonic() - self._t0) % LOOP_S) / LOOP_S
        return min(1.0, max(0.0, (phase - _MOVE_FROM) / (_MOVE_TO - _MOVE_FROM)))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.cue.move is not CameraMove.STATIC:
            self.timer.start()

    def hideEvent(self, event) -> None:
        self.timer.stop()
        super().hideEvent(event)

    def set_animating(self, on: bool) -> None:
        if on and self.isVisible():
            self.timer.start()
        else:
            self.timer.stop()

    def paintEvent(self, event) -> None:
        if self.cue.move is not CameraMove.STATIC and self.isVisible() and not self.timer.isActive():
            self.timer.start()
        elif self.cue.move is CameraMove.STATIC and self.timer.isActive():
            self.timer.stop()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(self.rect(), theme.BASE)
        pose = CameraPose(self.cue, self.progress(), self.plan)
        start = CameraPose(self.cue, 0.0, self.plan)
        end = CameraPose(self.cue, 1.0, self.plan)
        w, h = self.width(), self.height()
        half = (w - 18) / 2
        top = QRectF(6, 6, half, h - 12)
        side = QRectF(12 + half, 6, half, h - 12)
        for rect in (top, side):
            p.setPen(QPen(theme.BORDER, 1))
            p.setBrush(theme.WINDOW)
            p.drawRoundedRect(rect, 4, 4)
        self._paint_top(p, top, pose, start, end)
        self._paint_side(p, side, pose, start, end)
        p.setPen(theme.TEXT_DIM)
        p.drawText(top.adjusted(6, 3, -6, -3), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "TOP")
        p.drawText(side.adjusted(6, 3, -6, -3), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "SIDE")
        p.drawText(side.adjusted(6, 3, -6, -3), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                   f"{pose.lens:.0f} mm")
        p.end()

    @staticmethod
    def _scale(rect: QRectF, extent: float) -> float:
        return min(rect.width(), rect.height()) / max(1.0, extent) * 0.42

    def _paint_top(self, p: QPainter, rect: QRectF, pose: CameraPose, start: CameraPose, end: CameraPose) -> None:
        extent = max(abs(start.y), abs(end.y), abs(start.x) + 0.5, abs(end.x) + 0.5, 1.2)
        k = self._scale(rect, extent)
        cx, cy = rect.center().x(), rect.center().y() - rect.height() * 0.12

        def pt(x: float, y: float) -> QPointF:  # world depth +y is up on screen
            return QPointF(cx + x * k, cy - y * k)

        self._path(p, [pt(c.x, c.y) for c in _samples(self.cue, self.plan)])
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_SUBJECT)
        p.drawEllipse(pt(0, 0), 5, 5)
        self._camera(p, pt(pose.x, pose.y), 90 - pose.yaw, pose.hfov, min(rect.width(), rect.height()) * 0.55)

    def _paint_side(self, p: QPainter, rect: QRectF, pose: CameraPose, start: CameraPose, end: CameraPose) -> None:
        extent = max(abs(start.y), abs(end.y), start.z, end.z, 2.0)
        k = self._scale(rect, extent)
        ground = rect.bottom() - 14
        cx = rect.center().x() + rect.width() * 0.18

        def pt(y: float, z: float) -> QPointF:  # the camera looks right along +y
            return QPointF(cx + y * k, ground - z * k)

        p.setPen(QPen(theme.BORDER, 1))
        p.drawLine(QPointF(rect.left() + 6, ground), QPointF(rect.right() - 6, ground))
        self._path(p, [pt(c.y, c.z) for c in _samples(self.cue, self.plan)])
        # the subject: a 1.75 m figure
        p.setPen(QPen(_SUBJECT, 3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(pt(0, 0), pt(0, 1.45))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_SUBJECT)
        p.drawEllipse(pt(0, 1.62), 4, 4)
        roll = 14.0 if self.cue.angle is Angle.DUTCH else 0.0
        self._camera(p, pt(pose.y, pose.z), -pose.pitch, pose.vfov, min(rect.width(), rect.height()) * 0.55, roll)

    @staticmethod
    def _path(p: QPainter, points: list[QPointF]) -> None:
        if len(points) < 2:
            return
        path = QPainterPath(points[0])
        for point in points[1:]:
            path.lineTo(point)
        p.setPen(QPen(theme.TEXT_DIM, 1, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)

    @staticmethod
    def _camera(p: QPainter, at: QPointF, heading_deg: float, fov: float, reach: float, roll: float = 0.0) -> None:
        """A camera body at `at` looking along screen angle `heading_deg` (0 = right, 90 = up)."""
        p.save()
        p.translate(at)
        p.rotate(-heading_deg)
        half = math.radians(fov / 2)
        cone = QPolygonF([QPointF(0, 0), QPointF(reach * math.cos(half), -reach * math.sin(half)),
                          QPointF(reach * math.cos(half), reach * math.sin(half))])
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_CONE)
        p.drawPolygon(cone)
        p.rotate(roll)
        p.setBrush(_CAM)
        p.drawRoundedRect(QRectF(-11, -6, 14, 12), 2, 2)
        p.drawPolygon(QPolygonF([QPointF(3, -3), QPointF(9, -6), QPointF(9, 6), QPointF(3, 3)]))
        p.restore()


def _samples(cue: CameraCue, plan: ShotPlan | None = None, n: int = 24) -> list[CameraPose]:
    return [CameraPose(cue, i / (n - 1), plan) for i in range(n)]
