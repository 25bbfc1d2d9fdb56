"""The framing solver: where the plan's people and props stand, and where a shot's camera starts.

Pure math over the pinhole in `camera.py` (the one camera model). Every renderer reads the same
`layout(plan)` (so the figures stand where the framing expects them) and `solve(plan, cue, w, h)`:

  layout   the subject on the mark at the origin facing the camera (heading 180) unless the words
           say otherwise (from behind 0, left 270, right 90); two people talking stand face to face,
           cheated 30 degrees toward the lens; groups stand in rows behind their first member; a prop
           that is the subject sits on its table (or in its holder's hand, or on a stand at 0.8 m).
  framing  from the shot size, by the body's own landmarks of the subject's height: ECU a detail
           (the eyes, a hand, the prop), CU the head about half the frame height with headroom,
           MCU chest up, MS waist up, MLS knees up, WS the whole figure, EWS the figure small in the
           place. Two people talking: a two-shot at MS and wider, an over-the-shoulder (the partner's
           shoulder in the foreground) at CU/MCU. The angle (high, low, overhead, dutch) lifts,
           lowers or rolls the camera, which then backs off until the subject box fits again.
  moves    relative to the subject (see camera.CameraPath): a dolly travels a fraction of the
           distance to the face and ends on it, a zoom ends on the face it started on, an orbit
           circles the subject; pans, tilts, trucks and pedestals start on the framing and are
           capped so the subject's box stays inside every frame.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..cues import MOVE_SPAN, Angle, CameraCue, CameraMove, ShotSize
from ..plan import ShotPlan
from .camera import EYE_HEIGHT_M, MIN_CAMERA_HEIGHT_M, SENSOR_WIDTH_MM, CameraPath, CameraPose, look_angles
from .rig import coco_keypoints, skeleton

if TYPE_CHECKING:
    from .figures import FigureState

# Body landmarks as fractions of a figure's height (a 1.75 m mannequin: head centre 1.63 m).
HEAD_CENTRE, HEAD_RADIUS, HEAD_TOP = 1.63 / 1.75, 0.115 / 1.75, 1.745 / 1.75
EYE, CHEST, WAIST, KNEE, HAND = 1.64 / 1.75, 1.22 / 1.75, 0.97 / 1.75, 0.47 / 1.75, 0.85 / 1.75
HEADINGS = {"camera": 180.0, "away": 0.0, "left": 270.0, "right": 90.0}
# A prop's size in metres (the longest side): what its ECU frames.
PROP_SIZES = {"table": 1.2, "desk": 1.3, "bed": 2.0, "bench": 1.6, "car": 4.2, "boat": 5.0, "door": 2.1,
              "window": 1.2, "bicycle": 1.7, "chair": 0.9, "piano": 1.5, "ladder": 2.5, "horse": 2.2, "dog": 0.8,
              "cat": 0.45, "suitcase": 0.7, "crate": 0.8, "barrel": 0.9, "trolley": 1.0, "pram": 1.0,
              "wheelchair": 1.0, "guitar": 1.0, "umbrella": 0.9, "sword": 0.9, "net": 1.5, "rope": 1.0,
              "painting": 0.8, "sign": 0.8, "mirror": 0.6, "shovel": 1.2, "axe": 0.8, "key": 0.08, "ring": 0.03,
              "coin": 0.03, "watch": 0.05, "pen": 0.14, "cigarette": 0.09, "phone": 0.15, "cup": 0.12,
              "mug": 0.12, "glass": 0.14, "letter": 0.25, "envelope": 0.22, "photo": 0.15, "knife": 0.22,
              "gun": 0.22, "parcel": 0.3, "lantern": 0.35, "candle": 0.2, "book": 0.25, "map": 0.5}
FLAT_PROPS = {"letter", "envelope", "map", "photo", "book", "newspaper", "notebook", "painting", "sign", "money",
              "wallet", "coin", "plate", "net"}
TALL_PROPS = {"lantern", "lamp", "candle", "torch", "bottle", "glass", "cup", "mug", "door", "ladder", "umbrella",
              "guitar", "sword", "shovel", "axe", "barrel", "clock", "window", "mirror"}


TABLE_TOP = 0.78      # a table's (desk's) top: what small props stand on
ON_TABLE = 0.5        # props this size or smaller go on the plan's table when it has one
FLOOR_LAMP = 1.5      # a lamp on the floor is a standing lamp (a table lamp is PROP_SIZES' 0.3)
LAMP_POST = 4.2       # a lamp outdoors is a lamp post (dressing.lamp_post) this tall, its head on an arm
LAMP_ARM = 1.5        # how far the post's arm reaches out to the head
UNDER_POST = (0.6, 1.0)    # 'under a lamp': the post off this way to the side and behind the figure (x, z) ...
UNDER_HEAD = -0.5          # ... its head just in front of her (toward the lens): the light falls on her front
TABLE_SLOTS = (0.35, -0.35, 0.12, -0.12)   # x across the table's top for the props standing on it


def prop_dims(kind: str, size: float) -> tuple[float, float, float]:
    """Width, height, depth (m) of a prop's box: flat things lie, tall things stand."""
    if kind in ("table", "desk"):
        return size, TABLE_TOP, 0.7
    if kind == "lamp" and size >= FLOOR_LAMP:
        return 0.4, size, 0.4
    if kind in FLAT_PROPS:
        return size, min(0.04, size * 0.15), size * 0.7
    if kind in TALL_PROPS:
        return size * 0.55, size, size * 0.55
    return size, size * 0.6, size * 0.7


HELD_OUT = 0.28       # a held prop: this far in front of the figure
HELD_HEIGHT = 1.05 / 1.75   # held at the hip: a medium shot sees it, a close-up does not
FIT_MARGIN = 0.04     # the subject box keeps this fraction of the frame from every edge
CATCH_UP_S = 0.4      # seconds a continued shot's operator takes to re-frame a subject left on the edge
BODY_GIRTH = 0.12      # m about a 1.75 m figure's joints that its mannequin fills (the trunk 0.115 deep)
TALK_VERBS = {"talk", "argue", "embrace"}


@dataclass(frozen=True)
class Mark:
    """Where one figure of the plan stands (a group's members each get a mark)."""
    person: int
    member: int
    x: float
    z: float
    heading: float
    height: float
    colour: str
    name: str

    def head(self) -> np.ndarray:
        return np.array([self.x, self.height * HEAD_CENTRE, self.z])

    def head_box(self) -> np.ndarray:
        r = self.height * HEAD_RADIUS
        return _box(self.head(), (r, r, r))


@dataclass(frozen=True)
class PropMark:
    prop: int
    x: float
    y: float          # the prop's centre height
    z: float
    size: float
    heading: float = 0.0   # which way the prop faces (degrees, as a Mark's): a lamp post's arm reaches this way


@dataclass(frozen=True)
class Layout:
    marks: tuple[Mark, ...]
    props: tuple[PropMark, ...]
    talking: tuple[int, int] | None = None   # two people in conversation (person indices)

    def mark_of(self, person: int) -> Mark | None:
        return next((m for m in self.marks if m.person == person and m.member == 0), None)


@dataclass(frozen=True)
class Framing:
    pose: CameraPose          # the shot's start pose
    aim: tuple                # the point the frame centres on (moves hold it)
    focus: tuple              # the subject's face (or detail): dollies and zooms end on it
    box: tuple                # (8, 3) corners that must stay in frame: the subject's head, or the detail
    kind: str                 # single | group | two_shot | over_the_shoulder | insert | empty
    span: float               # the move's span after the subject-keeping cap (MOVE_SPAN units)
    layout: Layout

    def shifted(self, offset) -> "Framing":
        """The same framing moved on the ground by `offset` (x, 0, z): a continued shot whose subject
        stands where the previous take left it, not on its mark."""
        d = np.asarray(offset, dtype=np.float64)
        if not np.any(d):
            return self
        move = lambda p: tuple(float(v) for v in np.asarray(p, dtype=np.float64) + d)  # noqa: E731
        return replace(self, pose=replace(self.pose, position=move(self.pose.position)), aim=move(self.aim),
                       focus=move(self.focus), box=tuple(move(c) for c in self.box))

    def turned(self, degrees: float, about) -> "Framing":
        """The same framing swung `degrees` (heading convention: + toward +X) around the vertical axis
        through `about`: a continued shot's subject faces where the previous take left it facing."""
        if abs(degrees) < 1e-9:
            return self
        a = math.radians(degrees)
        c = np.asarray(about, dtype=np.float64)

        def swing(p):
            d = np.asarray(p, dtype=np.float64) - c
            return tuple(float(v) for v in c + [d[0] * math.cos(a) + d[2] * math.sin(a), d[1],
                                                -d[0] * math.sin(a) + d[2] * math.cos(a)])
        pose = replace(self.pose, position=swing(self.pose.position), yaw=self.pose.yaw + degrees)
        return replace(self, pose=pose, aim=swing(self.aim), focus=swing(self.focus),
                       box=tuple(swing(b) for b in self.box))

    def path(self, cue: CameraCue, frames: int, fps: float, seed: int, start: CameraPose | None = None) -> CameraPath:
        return CameraPath(cue, start or self.pose, np.array(self.aim), frames, fps, seed, focus=np.array(self.focus),
                          span=self.span)


def _box(centre, half) -> np.ndarray:
    c = np.asarray(centre, float)
    h = np.asarray(half, float)
    return np.array([c + h * [sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])


def _talking(plan: ShotPlan) -> tuple[int, int] | None:
    for a in plan.actions:
        if a.verb in TALK_VERBS or a.relation == "at_each_other":
            if a.target_person is not None and a.target_person != a.actor:
                return a.actor, a.target_person
    if len(plan.people) == 2 and any(a.verb in TALK_VERBS for a in plan.actions):
        return 0, 1
    return None


def _group_talks(plan: ShotPlan, person: int) -> bool:
    return any(a.actor == person and (a.verb in TALK_VERBS or a.relation == "at_each_other")
               and a.target_person in (None, person) for a in plan.actions)


def layout(plan: ShotPlan) -> Layout:
    """Marks for every figure and prop of the plan (deterministic: the plan alone decides)."""
    subject = plan.subject
    lead = subject.index if subject.kind == "person" else 0
    order = ([lead] + [i for i in range(len(plan.people)) if i != lead]) if plan.people else []
    talking = _talking(plan)
    prop_subject = subject.kind == "prop"
    marks: list[Mark] = []
    for slot, pi in enumerate(order):
        p = plan.people[pi]
        heading = HEADINGS[p.facing]
        if talking and pi in talking and p.facing == "camera":
            # Face to face across the mark, cheated 30 degrees toward the lens; the lead on the left.
            first = pi == (lead if lead in talking else talking[0])
            x, z = (-0.55, 0.0) if first else (0.55, 0.0)
            heading = 120.0 if first else 240.0
        elif slot == 0:
            x, z = 0.0, 0.0
        else:
            side = (slot + 1) // 2 * (1 if slot % 2 else -1)
            x, z = 1.3 * side, 0.6 * abs(side)
            if p.facing == "camera":
                heading = 180.0 - 20.0 * side
        if prop_subject:
            z += 1.0  # people stand behind the prop the shot is about
        colour = p.main_colour("top") or p.colour
        pair = p.count > 1 and _group_talks(plan, pi) and p.facing == "camera"
        for member in range(min(p.count, 24)):
            row, col = divmod(member, 4)
            mx = x + (0 if member == 0 else ((col - 1.5) * 0.7 if row else (col * 0.75 * (1 if col % 2 else -1))))
            mz = z + row * 0.9
            h = heading
            if pair and member < 2:  # 'two men argue': the first two face each other across the mark
                mx, mz, h = (x - 0.55, z, 120.0) if member == 0 else (x + 0.55, z, 240.0)
            marks.append(Mark(pi, member, float(mx), float(mz), float(h), p.height_m, colour,
                              p.name if member == 0 else ""))
    props: list[PropMark] = []
    table = next((i for i, pr in enumerate(plan.props) if pr.kind in ("table", "desk")), None)
    table_z = 0.0 if prop_subject else 0.9
    free = on_table = 0
    for i, pr in enumerate(plan.props):
        size = PROP_SIZES.get(pr.kind, 0.3)
        holder = next((m for m in marks if m.person == pr.held_by and m.member == 0), None) \
            if pr.held_by is not None else None
        if holder is not None:
            h = math.radians(holder.heading)
            fwd = np.array([math.sin(h), 0.0, math.cos(h)])
            right = np.array([math.cos(h), 0.0, -math.sin(h)])
            # Held out in front, at the right hand's side.
            pos = np.array([holder.x, holder.height * HELD_HEIGHT, holder.z]) + fwd * HELD_OUT + right * 0.3
            props.append(PropMark(i, float(pos[0]), float(pos[1]), float(pos[2]), size))
        elif i == table:
            props.append(PropMark(i, 0.0, TABLE_TOP / 2, table_z, size))
        elif pr.kind == "lamp" and not plan.place.interior:
            props.append(_lamp_post(plan, i, marks, free + 1))
            free += 1
        elif prop_subject and i == subject.index:
            # on the table's middle, or on the floor at the mark: every prop stands on a surface
            base = TABLE_TOP if table is not None else 0.0
            size = _on_floor_size(pr.kind, size, base)
            props.append(PropMark(i, 0.0, base + prop_dims(pr.kind, size)[1] / 2, table_z if base else 0.0, size))
        elif table is not None and size <= ON_TABLE and on_table < len(TABLE_SLOTS):
            # small things stand on the table's top, side by side
            x = TABLE_SLOTS[on_table]
            on_table += 1
            props.append(PropMark(i, x, TABLE_TOP + prop_dims(pr.kind, size)[1] / 2, table_z, size))
        else:
            free += 1
            side = 1 if free % 2 else -1
            # Beside and behind the mark, clear of the figures' paths, on the floor.
            size = _on_floor_size(pr.kind, size, 0.0)
            props.append(PropMark(i, float(side * (0.9 + 0.5 * (free // 2))), prop_dims(pr.kind, size)[1] / 2,
                                  1.3 + min(size, 3.0) * 0.5, size))
    return Layout(tuple(marks), tuple(props), talking)


def _lamp_post(plan: ShotPlan, i: int, marks: list[Mark], free: int) -> PropMark:
    """An exterior lamp: a post whose head hangs over the figure that stands 'under' it (the post to
    one side and behind, clear of her from the lens), else over the ground beside and behind the mark."""
    under = next((m for m in marks if m.member == 0 and any(
        a.relation == "under" and a.target_prop == i and a.actor == m.person for a in plan.actions)), None)
    side = 1 if free % 2 else -1
    if under is not None:
        hx, hz = under.x, under.z + UNDER_HEAD
        px, pz = hx + side * UNDER_POST[0], hz + UNDER_POST[1]
        reach = math.hypot(px - hx, pz - hz)
        dx, dz = (hx - px) / reach, (hz - pz) / reach
        px, pz = hx - dx * LAMP_ARM, hz - dz * LAMP_ARM   # the arm's length out from the post
    else:
        px, pz = side * (2.0 + 0.5 * (free // 2)), 2.6
        dx, dz = -float(side), 0.0                      # the arm reaches toward the mark's side
    return PropMark(i, float(px), LAMP_POST / 2, float(pz), LAMP_POST, math.degrees(math.atan2(dx, dz)))


def _on_floor_size(kind: str, size: float, base: float) -> float:
    """A lamp with no table under it is a standing lamp; every other prop keeps its size."""
    return FLOOR_LAMP if kind == "lamp" and base == 0.0 else size


# -- framing --------------------------------------------------------------------------------------
def _frame_band(size: ShotSize, height: float) -> tuple[float, float]:
    """(frame height at the subject in metres, the height the frame centres on) for a standing figure."""
    top = height * HEAD_TOP
    if size is ShotSize.ECU:
        return height * 0.1, height * EYE
    if size is ShotSize.CU:
        fh = height * HEAD_RADIUS * 2 / 0.5           # the head fills half the frame
        return fh, top + 0.12 * fh - fh / 2
    bottoms = {ShotSize.MCU: CHEST, ShotSize.MS: WAIST, ShotSize.MLS: KNEE}
    if size in bottoms:
        fh = (top - height * bottoms[size]) / 0.9      # 10% headroom
        return fh, top + 0.1 * fh - fh / 2
    if size is ShotSize.WS:
        fh = top / 0.62
        return fh, top + 0.2 * fh - fh / 2
    fh = max(9.0, height * 5.2)                          # EWS: the figure a fifth of the frame or less
    return fh, EYE_HEIGHT_M


def _distance(fh: float, lens_mm: float, width: int, height: int) -> float:
    sensor_h = SENSOR_WIDTH_MM * height / width
    return fh * lens_mm / sensor_h


def project(pose: CameraPose, points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pixel coordinates (N, 2) of world points through the pinhole; NaN behind the camera."""
    R, C = pose.world_to_camera()
    cam = (np.asarray(points, float) - C) @ R.T
    f = pose.focal_px(width)
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = np.stack([f * cam[:, 0] / cam[:, 2] + width / 2, f * cam[:, 1] / cam[:, 2] + height / 2], -1)
    uv[cam[:, 2] <= 1e-6] = np.nan
    return uv


def box_in_frame(pose: CameraPose, box: np.ndarray, width: int, height: int, margin: float = 0.0) -> bool:
    uv = project(pose, box, width, height)
    if np.isnan(uv).any():
        return False
    mx, my = margin * width, margin * height
    return bool((uv[:, 0] >= mx).all() and (uv[:, 0] <= width - mx).all() and (uv[:, 1] >= my).all()
                and (uv[:, 1] <= height - my).all())


def box_height_fraction(pose: CameraPose, box: np.ndarray, width: int, height: int) -> float:
    uv = project(pose, box, width, height)
    return float((np.nanmax(uv[:, 1]) - np.nanmin(uv[:, 1])) / height)


def _elevation(cue: CameraCue, centre: float, dist: float, wide: bool) -> float:
    if cue.angle is Angle.HIGH:
        return 25.0
    if cue.angle is Angle.LOW:
        # Below the subject looking up, never under the floor.
        return -math.degrees(math.asin(min(0.6, max(0.0, centre - 0.3) / max(dist, 1e-6)))) if centre > 0.35 \
            else -5.0
    if cue.angle is Angle.OVERHEAD:
        return 80.0
    eye = EYE_HEIGHT_M if wide else centre
    return math.degrees(math.asin(max(-0.9, min(0.9, (eye - centre) / dist))))


def _place(cue: CameraCue, target: np.ndarray, dist: float, wide: bool, side: np.ndarray | None = None
           ) -> CameraPose:
    e = math.radians(_elevation(cue, float(target[1]), dist, wide))
    back = np.array([0.0, 0.0, -1.0]) if side is None else side
    pos = target + dist * (math.cos(e) * back + np.array([0.0, math.sin(e), 0.0]))
    pos[1] = max(MIN_CAMERA_HEIGHT_M, pos[1])
    yaw, pitch = look_angles(pos, target)
    return CameraPose(tuple(float(v) for v in pos), yaw, pitch, 12.0 if cue.angle is Angle.DUTCH else 0.0,
                      cue.lens_mm)


def _fit(cue: CameraCue, target: np.ndarray, dist: float, wide: bool, boxes: list[np.ndarray], width: int,
         height: int, side: np.ndarray | None = None) -> tuple[CameraPose, float]:
    """Back the camera off (along its own line) until every box sits inside the frame."""
    pose = _place(cue, target, dist, wide, side)
    for _ in range(40):
        if all(box_in_frame(pose, b, width, height, FIT_MARGIN) for b in boxes):
            break
        dist *= 1.07
        pose = _place(cue, target, dist, wide, side)
    return pose, dist


def solve(plan: ShotPlan | None, cue: CameraCue, width: int, height: int) -> Framing:
    """The start framing of a fresh shot."""
    plan = plan or ShotPlan()
    lay = layout(plan)
    size = cue.shot_size
    wide = size in (ShotSize.MLS, ShotSize.WS, ShotSize.EWS)
    subject = plan.subject
    if subject.kind == "prop":
        pm = lay.props[subject.index]
        centre = np.array([pm.x, pm.y, pm.z])
        dims = prop_dims(plan.props[subject.index].kind, pm.size)
        box = _box(centre, tuple(d / 2 for d in dims))
        fh = {ShotSize.ECU: pm.size * 1.6, ShotSize.CU: pm.size * 2.4, ShotSize.MCU: pm.size * 3.5}.get(
            size, max(pm.size * 4.0, _frame_band(size, 1.75)[0]))
        dist = _distance(fh, cue.lens_mm, width, height)
        pose, dist = _fit(cue, centre, dist, wide, [box], width, height)
        return _with_move(Framing(pose, tuple(centre), tuple(centre), tuple(map(tuple, box)), "insert", 0.0, lay),
                          cue, width, height, plan)
    lead = lay.mark_of(subject.index) if subject.kind == "person" else None
    if lead is None:  # nobody: frame the empty mark as a 1.75 m figure would be framed
        fh, cy = _frame_band(size, 1.75)
        target = np.array([0.0, cy, 0.0])
        dist = _distance(fh, cue.lens_mm, width, height)
        pose = _place(cue, target, dist, wide)
        focus = np.array([0.0, 1.75 * HEAD_CENTRE, 0.0])
        box = _box(focus, (0.1, 0.1, 0.1))
        return _with_move(Framing(pose, tuple(target), tuple(focus), tuple(map(tuple, box)), "empty", 0.0, lay),
                          cue, width, height, plan)
    h = lead.height
    fh, cy = _frame_band(size, h)
    head = lead.head()
    box = lead.head_box()
    focus = head
    x, z = lead.x, lead.z
    kind = "single"
    side = None
    if size is ShotSize.ECU:
        part = subject.part
        if part == "hand":
            held = next((pm for pm in lay.props if plan.props[pm.prop].held_by == subject.index), None)
            if held is not None:
                centre = np.array([held.x, held.y, held.z])
            else:
                hd = math.radians(lead.heading)
                right = np.array([math.cos(hd), 0.0, -math.sin(hd)])
                centre = np.array([x, h * HAND, z]) + right * 0.25 * h / 1.75
            box = _box(centre, (0.06, 0.05, 0.06))
            fh, cy = 0.22 * h / 1.75, float(centre[1])
            x, z = float(centre[0]), float(centre[2])
            focus = centre
        else:  # the eyes
            hd = math.radians(lead.heading)
            fwd = np.array([math.sin(hd), 0.0, math.cos(hd)])
            eyes = np.array([x, h * EYE, z]) + fwd * 0.09 * h / 1.75
            box = _box(eyes, (0.05 * h / 1.75, 0.018 * h / 1.75, 0.02))
            focus = eyes
            x, z = float(eyes[0]), float(eyes[2])
        kind = "insert" if part == "hand" else "single"
    boxes = [box]
    target = np.array([x, cy, z])
    partner = None
    if lay.talking and subject.index in lay.talking and size is not ShotSize.ECU:
        other = lay.talking[1] if lay.talking[0] == subject.index else lay.talking[0]
        partner = lay.mark_of(other)
    elif plan.people[subject.index].count > 1 and _group_talks(plan, subject.index) and size is not ShotSize.ECU:
        partner = next((m for m in lay.marks if m.person == subject.index and m.member == 1), None)
    if partner is not None and size in (ShotSize.CU, ShotSize.MCU):
        # Over the shoulder: the camera behind the partner's shoulder, looking at the subject's face.
        kind = "over_the_shoulder"
        to_partner = np.array([partner.x - x, 0.0, partner.z - z])
        to_partner /= max(1e-9, np.linalg.norm(to_partner))
        around = np.array([-to_partner[2], 0.0, to_partner[0]])        # perpendicular, toward the lens side
        if around[2] > 0:
            around = -around
        side = to_partner * 0.93 + around * 0.37
        side /= np.linalg.norm(side)
    elif partner is not None:
        kind = "two_shot"
        ph = partner.head_box()
        boxes.append(ph)
        target = np.array([(x + partner.x) / 2, cy, (z + partner.z) / 2])
        need = (abs(partner.x - x) + 0.8) * height / width / 0.8
        fh = max(fh, need)
    elif plan.people[subject.index].count > 1 and wide:
        kind = "group"
        members = [m for m in lay.marks if m.person == subject.index]
        boxes += [m.head_box() for m in members]
        xs = [m.x for m in members]
        target = np.array([(min(xs) + max(xs)) / 2, cy, z])
        fh = max(fh, (max(xs) - min(xs) + 1.0) * height / width / 0.8)
    dist = _distance(fh, cue.lens_mm, width, height)
    pose, dist = _fit(cue, target, dist, wide, boxes, width, height, side)
    return _with_move(Framing(pose, tuple(target), tuple(focus), tuple(map(tuple, box)), kind, 0.0, lay),
                      cue, width, height, plan)


def _with_move(fr: Framing, cue: CameraCue, width: int, height: int, plan: ShotPlan | None = None) -> Framing:
    """Cap the move so the subject box stays in frame (the path is then a pure function of the start).
    A sweep the subject walks along with (a pan right on a figure walking right) is not capped."""
    move = cue.move
    span = MOVE_SPAN[move][0] * cue.amount
    box = np.array(fr.box)
    pose = fr.pose
    follows = plan is not None and follow_direction(plan) == cue.direction.value
    if move in (CameraMove.PAN, CameraMove.TILT, CameraMove.TRUCK, CameraMove.PEDESTAL) and span > 0 and not follows:
        # The move starts on the framing (so a walker the pan follows keeps its lead room) and is
        # capped where the subject box would reach the frame edge.
        span = _largest(lambda s: _sweep_fits(fr, cue, s, box, width, height), span)
    elif move in (CameraMove.DOLLY_IN, CameraMove.ZOOM_IN) and span > 0:
        trial = replace(fr, span=span)
        span = _largest(lambda s: _end_fits(replace(trial, span=s), cue, box, width, height), span)
    return replace(fr, pose=pose, span=float(span))


def _largest(ok, span: float, steps: int = 24) -> float:
    """The largest s in [0, span] with ok(s), by bisection (ok is monotone: a smaller move fits better)."""
    if ok(span):
        return span
    lo, hi = 0.0, span
    for _ in range(steps):
        mid = (lo + hi) / 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _sweep_fits(fr: Framing, cue: CameraCue, span: float, box, width, height) -> bool:
    path = CameraPath(cue, fr.pose, np.array(fr.aim), 2, 24.0, 0, focus=np.array(fr.focus), span=span)
    return all(box_in_frame(path.pose_at(s, 0.0), box, width, height, 0.0) for s in (0.0, 0.5, 1.0))


def _end_fits(fr: Framing, cue: CameraCue, box, width, height) -> bool:
    path = fr.path(cue, 2, 24.0, 0)
    for s in (0.5, 1.0):
        pose = path.pose_at(s, 0.0)
        if not box_in_frame(pose, box, width, height, 0.02) or box_height_fraction(pose, box, width, height) > 0.7:
            return False
    return True


def follow(pose: CameraPose, aim: np.ndarray, offset: np.ndarray, dead_deg: tuple[float, float] = (0.0, 0.0)
           ) -> CameraPose:
    """The operator keeps a moving subject: turn the camera by how much the aim point moved as seen from
    the lens (relative, so an offset of zero leaves the pose exactly as it was). `dead_deg` (yaw, pitch):
    the subject may drift this far from where it was framed before the camera turns (a steadier frame,
    and less for the encoder to chase)."""
    if not np.any(offset):
        return pose
    pos = np.asarray(pose.position, dtype=np.float64)
    yaw0, pitch0 = look_angles(pos, aim)
    yaw1, pitch1 = look_angles(pos, np.asarray(aim) + offset)
    turn = (yaw1 - yaw0 + 180.0) % 360.0 - 180.0
    tilt = pitch1 - pitch0
    turn = math.copysign(max(0.0, abs(turn) - dead_deg[0]), turn)
    tilt = math.copysign(max(0.0, abs(tilt) - dead_deg[1]), tilt)
    return replace(pose, yaw=pose.yaw + turn, pitch=max(-89.0, min(89.0, pose.pitch + tilt)))


def _corners(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.array([(x, y, z) for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])


def subject_boxes(states: list[FigureState]) -> tuple[np.ndarray, np.ndarray]:
    """Corners of the subject's head box and body box (its joints, BODY_GIRTH about them) over a whole
    loop, relative to where it stands: the box a keeping operator frames does not twitch with each
    arm swing and footfall, so neither does the camera."""
    heads, bodies = [], []
    for f in states:
        j = skeleton(f)
        at = np.array([f.x, f.y, f.z])
        r = f.height * HEAD_RADIUS
        heads += [j["head"] - at - r, j["head"] - at + r]
        girth = np.array([1.0, 0.0, 1.0]) * BODY_GIRTH * f.height / 1.75
        joints = np.vstack([coco_keypoints(j), j["r_hand"], j["l_hand"]]) - at
        bodies += [joints.min(axis=0) - girth, joints.max(axis=0) + girth]
    return tuple(_corners(np.min(v, axis=0), np.max(v, axis=0)) for v in (heads, bodies))


def keep_in_frame(pose: CameraPose, subject: FigureState, boxes: tuple[np.ndarray, np.ndarray], width: int,
                  height: int, margin: float = FIT_MARGIN, share: float = 1.0) -> CameraPose:
    """The operator keeps a subject in frame (a loop's, a walker's): the least turn (follow, its dead
    zone the frame less the subject's size) that holds its body box or, where that is wider than the
    frame, its head box `margin` (of the frame) in from the frame's sides, and its head box from the
    top and bottom. A subject already inside is left exactly as it was; a size that cannot fit at all
    (an extreme close-up's head) is not chased. `boxes`: subject_boxes. `share`: the part of that turn
    made (an operator catching up, catch_up)."""
    at = np.array([subject.x, subject.y, subject.z])
    head, body = (at + b for b in boxes)
    pos = np.asarray(pose.position, dtype=np.float64)
    f = pose.focal_px(width)
    half = [math.degrees(math.atan((0.5 - margin) * side / f)) for side in (width, height)]
    centre, dead = [0.0, 0.0], [180.0, 180.0]
    for k, choices in ((0, (np.vstack([body, head]), head)), (1, (head,))):
        for points in choices:
            # the points' angles off the lens axis, yaw (k = 0) or pitch (1)
            rel = [_wrap_deg(look_angles(pos, p)[k] - (pose.yaw, pose.pitch)[k]) for p in points]
            size = (max(rel) - min(rel)) / 2
            if size < half[k]:
                centre[k], dead[k] = (max(rel) + min(rel)) / 2, half[k] - size
                break
    # follow turns by how far the middle of the subject is off the lens axis, less the dead zone
    dist = float(np.linalg.norm(head.mean(axis=0) - pos))
    axis = pos + pose.basis()[2] * dist
    middle = pos + replace(pose, yaw=pose.yaw + centre[0], pitch=pose.pitch + centre[1], roll=0.0).basis()[2] * dist
    kept = follow(pose, axis, middle - axis, (dead[0], dead[1]))
    if share >= 1.0:
        return kept
    return replace(pose, yaw=pose.yaw + share * _wrap_deg(kept.yaw - pose.yaw),
                   pitch=pose.pitch + share * (kept.pitch - pose.pitch))


def catch_up(t: float) -> float:
    """The share of the keep an operator has made `t` seconds into a continued shot that starts on
    the last take's frame (its subject perhaps on the edge): none at 0 (no jump on the cut), all by
    CATCH_UP_S, smoothly (smoothstep)."""
    u = min(1.0, max(0.0, t / CATCH_UP_S))
    return u * u * (3.0 - 2.0 * u)


def _wrap_deg(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


def follow_direction(plan: ShotPlan | None) -> str:
    """The screen direction the subject moves ('left', 'right', 'up', 'down' or ''): what a pan or
    tilt with no direction of its own follows."""
    if plan is None:
        return ""
    actor = plan.subject.index if plan.subject.kind == "person" else 0
    for a in plan.actions:
        if a.actor == actor and a.direction in ("left", "right", "up", "down"):
            return a.direction
    return ""


__all__ = ["follow", "keep_in_frame", "catch_up", "subject_boxes", "prop_dims", "Mark", "PropMark", "Layout", "Framing",
           "layout", "solve", "project", "box_in_frame", "box_height_fraction", "follow_direction", "PROP_SIZES",
           "HEADINGS"]
