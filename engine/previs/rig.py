"""The mannequin's skeleton: joint positions of a posed figure, pure numpy (no renderer).

`skeleton(f)` turns a FigureState (position, heading, sit, walk phase, gesture, head turn, mouth)
into named joints in world metres (Y up). The Panda mannequin (mannequin.py) hangs its limbs on
these joints, the pose pass projects their COCO-18 subset, and the pose tests read them directly.

Gait: the walk phase is distance travelled (phase = 2 pi * distance / stride length), and each foot
is placed, not swung: in stance (half of each cycle) it stays at its footfall on the ground while the
hips travel over it, in swing it moves ahead along a lifted arc; the knee follows by two-bone IK. A
foot in stance therefore does not slide (tests/engine/test_previs_rig.py); late in stance its heel
lifts about the ball, the toe staying put. The legs have their anthropometric lengths, so the pelvis
cannot ride at standing height over feet a quarter stride ahead and behind: it comes down as far as
the legs need (soft knees at most), the natural bob of a gait, lowest as the weight changes feet.
"""
from __future__ import annotations

import functools
import math

import numpy as np

SEAT_HEIGHT = 0.47
# Segment lengths of a 1.75 m figure from the anthropometric fractions of height H (Drillis & Contini,
# Winter): thigh 0.245 H, shin 0.246 H, ankle 0.039 H over the sole.
THIGH, SHIN = 0.43, 0.43
ANKLE = 0.07
SOFT_KNEE = math.radians(4.0)   # a standing leg is not locked: the knee flexes a few degrees
REACH = math.sqrt(THIGH ** 2 + SHIN ** 2 + 2 * THIGH * SHIN * math.cos(SOFT_KNEE))   # hip to ankle, soft knee
HIP_HEIGHT = ANKLE + REACH      # 0.929: the hip joint ~0.53 H, standing on soft knees
RUN_DROP = 0.09      # m: the most a walker's pelvis dips: a runner's placed feet at double support are
                     # farther apart than legs reach (a run has a flight phase the placement does not model)
FOOT_LIFT = 0.09
HEEL_OFF = math.radians(30.0)   # the trailing foot's heel lifts (about the ball) at the end of stance
TOE = (0.14, -0.05)             # ball of the foot from the ankle (forward, up) of a 1.75 m figure
FOOT_BACK = 0.045               # of the stride: how far behind the hips the footfalls are centred
MARCH_BOB = 0.008   # m (half the dip) of a figure marking time, at a full stride
HELD_HAND, HELD_FWD, HELD_SIDE = 0.87, 0.26, 0.12   # where a held prop sits (framing.HAND, HELD_OUT)
READ_UP, READ_FWD, READ_IN = 0.33, 0.04, 0.1   # how far a read or checked prop comes up from the held place

# COCO-18 (OpenPose order) and the joints they come from.
COCO18 = ("nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist", "r_hip",
          "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear")
# Limb pairs and the OpenPose colours (RGB) they are drawn in.
COCO_LIMBS = ((1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
              (1, 0), (0, 14), (14, 16), (0, 15), (15, 17))
OPENPOSE_COLOURS = ((255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
                    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
                    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def foot_offset(distance: float, stride_len: float, leg_phase: float) -> tuple[float, float]:
    """(forward offset from the hip, lift) of a foot after `distance` metres of walking.

    A cycle is one stride (two steps). leg_phase 0 or 0.5 tells the legs apart. Stance (u < 0.5):
    the foot is at its footfall, which the hip passes at constant rate, so offset = footfall - hip
    falls linearly from +S/4 to -S/4 while the world position holds. Swing: back to +S/4, eased."""
    u = (distance / stride_len + leg_phase) % 1.0
    q = stride_len / 4
    back = FOOT_BACK * stride_len   # the footfalls sit a little behind the hips (the trailing heel lifts)
    if u < 0.5:
        return q - 4 * q * u - back, 0.0
    s = (u - 0.5) * 2
    e = s * s * (3 - 2 * s)
    return -q + 2 * q * e - back, FOOT_LIFT * math.sin(math.pi * s)


def heel_off(distance: float, stride_len: float, leg_phase: float) -> float:
    """0..1, how far the foot has rolled onto its ball (foot_offset's cycle): the heel rises over the
    last part of stance, the toe staying where it stood, and the foot levels again early in the swing."""
    u = (distance / stride_len + leg_phase) % 1.0
    if u < 0.3:
        return 0.0
    if u < 0.5:
        s = (u - 0.3) / 0.2
    elif u < 0.7:
        s = 1.0 - (u - 0.5) / 0.2
    else:
        return 0.0
    return s * s * (3 - 2 * s)


def _flat_foot(distance: float, stride_len: float, leg_phase: float, swing: float, k: float
               ) -> tuple[float, float, float, float]:
    """A foot on level ground in the body's frame: (ankle ahead of the hip, ankle up, toe ahead, toe up),
    `swing` the stride amount (FigureState.stride, less a march). The foot rolls about its ball
    (heel_off): the toe holds its place, the ankle rises with the heel."""
    ahead, lift = foot_offset(distance, stride_len, leg_phase)
    ahead *= swing
    toe_f, toe_u = ahead + TOE[0] * k, ANKLE * k + lift * swing + TOE[1] * k
    a = math.atan2(-TOE[1], TOE[0]) + HEEL_OFF * heel_off(distance, stride_len, leg_phase) * swing
    r = math.hypot(TOE[0], TOE[1]) * k
    return toe_f - r * math.cos(a), toe_u + r * math.sin(a), toe_f, toe_u


def _limit(d: float, stride_len: float, swing: float, k: float) -> float:
    """How high the pelvis can ride over level ground with both legs reaching their feet (soft knees):
    the lower leg's reach. Uncapped, it peaks over a stance foot."""
    out = math.inf
    for leg in (0.0, 0.5):
        fa, fu, _, _ = _flat_foot(d, stride_len, leg, swing, k)
        out = min(out, fu + math.sqrt(max(0.0, (REACH * k) ** 2 - fa * fa)))
    return out


@functools.lru_cache(maxsize=512)
def _step_wave(stride_len: float, swing: float, k: float) -> tuple[float, float, float, float]:
    """(low, high, phase of the low, phase from the low to the high) of a step's limit, the same every
    step (the legs swap), sampled once per gait."""
    step = stride_len / 2
    samples = [_limit(step * i / _GAIT_SAMPLES, stride_len, swing, k) for i in range(_GAIT_SAMPLES)]
    at = samples.index(min(samples)) / _GAIT_SAMPLES
    top = (samples.index(max(samples)) / _GAIT_SAMPLES - at) % 1.0 or 0.5   # mid-stance, after the low
    return min(samples), min(max(samples), HIP_HEIGHT * k), at, top


def _gait_hip(distance: float, stride_len: float, swing: float, k: float) -> float:
    """Pelvis height (over the ground) of a walker: as high as both legs reach their feet on soft knees,
    lowest as the weight passes from foot to foot. The legs' limit has a sharp low there (the body would
    bounce off it), so the pelvis rides a smooth wave that touches that low once a step, peaks at
    mid-stance and stays under the limit throughout."""
    low, high, at, top = _step_wave(stride_len, swing, k)
    floor = HIP_HEIGHT * k - RUN_DROP * k
    # up from the low to mid-stance, down to the next low: two half cosines
    w = (distance / (stride_len / 2) - at) % 1.0
    e = w / top if w < top else 1.0 + (w - top) / (1.0 - top)
    wave = max(low, floor) + (high - max(low, floor)) * (1 - math.cos(math.pi * e)) / 2
    # a run's feet at the changeover are out of reach at any height (the leg takes them in): the wave
    # alone, bottoming at the floor
    return wave if low < floor else min(wave, _limit(distance, stride_len, swing, k), HIP_HEIGHT * k)


_GAIT_SAMPLES = 32


class Stair:
    """A flight's walking line, the one truth of where its treads are (dressing builds the boxes from it,
    the rig plants feet on it). Position s in steps: s = 0 is the ground before the first tread,
    integer s >= 1 the centre of tread s (top at s * rise); off the ends the line runs on level.
    Spiral: round (cx, cz) at radius r, `step_deg` per tread from `start_deg`. Straight: from (cx, cz)
    toward `start_deg` (heading), `going` metres per tread."""

    __slots__ = ("spiral", "cx", "cz", "r", "rise", "step", "start", "steps")

    def __init__(self, spiral: bool, cx: float, cz: float, r: float, rise: float, step: float, start: float,
                 steps: int):
        self.spiral, self.cx, self.cz, self.r, self.rise = bool(spiral), float(cx), float(cz), float(r), float(rise)
        self.step, self.start, self.steps = float(step), float(start), int(steps)

    def as_tuple(self) -> tuple:
        return (1.0 if self.spiral else 0.0, self.cx, self.cz, self.r, self.rise, self.step, self.start,
                float(self.steps))

    @classmethod
    def from_tuple(cls, t) -> "Stair":
        return cls(t[0] > 0.5, t[1], t[2], t[3], t[4], t[5], t[6], int(t[7]))

    def height(self, s: float) -> float:
        """Top of the tread under position s (whole treads: a foot stands on a tread, not a ramp)."""
        return self.rise * min(self.steps, max(0, math.floor(s + 0.5)))

    def line_height(self, s: float) -> float:
        """Height of the walking line at s (smooth: where the body rides)."""
        return self.rise * min(float(self.steps), max(0.0, s))

    def point(self, s: float, side: float = 0.0) -> tuple[np.ndarray, float]:
        """(x, 0, z) of the walking line at s, moved `side` metres to the climber's right; and the
        heading (degrees) of going up there."""
        if self.spiral:
            a = math.radians(self.start + self.step * (s - 1))
            r = self.r - side * math.copysign(1.0, self.step)   # going round with +step the right is inward
            heading = math.degrees(a) + (90.0 if self.step > 0 else -90.0)
            return np.array([self.cx + math.sin(a) * r, 0.0, self.cz + math.cos(a) * r]), heading
        h = math.radians(self.start)
        fwd, right = np.array([math.sin(h), 0.0, math.cos(h)]), np.array([math.cos(h), 0.0, -math.sin(h)])
        return np.array([self.cx, 0.0, self.cz]) + fwd * self.step * s + right * side, self.start


def stair_foot(stair: Stair, p: float, leg: int, stride: float = 1.0) -> tuple[float, bool, float]:
    """Where a foot is on the stair when the body is at position p: (position in steps, in stance,
    fraction of the swing done).
    The right foot (leg 0) lands on even treads, the left (leg 1) on odd ones; a foot stands on its
    tread while the body passes over it (half a step either side), then swings two treads on."""
    u = p - leg + 0.5
    n = math.floor(u / 2)
    s = 2 * n + leg
    w = u - 2 * n
    if w < 1.0:
        return float(s), True, 0.0
    e = (w - 1.0)
    e = e * e * (3 - 2 * e)
    return s + 2 * e * stride, False, e


def _ik(hip: np.ndarray, ankle: np.ndarray, a: float, b: float, bend_dir: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knee of a two-bone leg (lengths a, b) from hip to ankle, bending toward bend_dir. When the
    ankle is out of reach it is pulled in along the line."""
    d = ankle - hip
    dist = float(np.linalg.norm(d))
    reach = a + b - 1e-4
    if dist > reach:
        ankle = hip + d / dist * reach
        d, dist = ankle - hip, reach
    axis = d / max(dist, 1e-9)
    x = (a * a - b * b + dist * dist) / (2 * dist)
    h = math.sqrt(max(0.0, a * a - x * x))
    side = bend_dir - axis * float(np.dot(bend_dir, axis))
    side = _unit(side) if np.linalg.norm(side) > 1e-6 else np.zeros(3)
    return hip + axis * x + side * h, ankle


def skeleton(f) -> dict[str, np.ndarray]:
    """Named joints (world metres) of a FigureState. Proportions of a 1.75 m figure scaled by height."""
    k = f.height / 1.75
    h = math.radians(f.heading)
    fwd = np.array([math.sin(h), 0.0, math.cos(h)])
    right = np.array([math.cos(h), 0.0, -math.sin(h)])
    up = np.array([0.0, 1.0, 0.0])
    base = np.array([f.x, float(getattr(f, "y", 0.0)), f.z])
    stair = Stair.from_tuple(f.stair) if getattr(f, "stair", ()) else None
    sit = min(1.0, max(0.0, f.sit))
    kneel = min(1.0, max(0.0, getattr(f, "kneel", 0.0)))
    stride = min(1.0, max(0.0, f.stride))
    hip_y = (HIP_HEIGHT - (HIP_HEIGHT - SEAT_HEIGHT - 0.05) * sit) * k
    hip_y -= 0.4 * k * kneel * (1 - sit)
    march = min(1.0, max(0.0, getattr(f, "march", 0.0)))
    if march > 0:
        # marking time: the hips go nowhere, so a foot placed along the stride would slide back under
        # them; it lifts and comes down where it stood instead, the body upright with a small bob
        # (lowest as the feet change over, twice a stride)
        hip_y -= march * MARCH_BOB * k * (1 + math.cos(2 * f.walk_phase)) * stride
    lean = math.radians(4 + 14 * f.run) * stride * (1 - march) + math.radians(8) * kneel
    torso = up * math.cos(lean) + fwd * math.sin(lean)
    breathe = 0.006 * k * math.sin(getattr(f, "breath", 0.0))
    stride_len = 2.4 if f.run > 0.5 else 1.4
    stride_len *= k
    distance = f.walk_phase / (2 * math.pi) * stride_len
    # The feet first: where each stands or swings (foot_offset, stair_foot, the one truth), then the
    # pelvis comes down as far as the legs need to reach them.
    feet = {}
    swing = stride * (1 - march)
    for name, side, leg_phase in (("r", 1.0, 0.0), ("l", -1.0, 0.5)):
        ahead, up_, toe_f, toe_u = _flat_foot(distance, stride_len, leg_phase, swing, k) if stride > 0 else \
            (0.0, ANKLE * k, TOE[0] * k, ANKLE * k + TOE[1] * k)
        if stride > 0 and march > 0:   # marking time: the foot lifts where it stood
            lift = foot_offset(distance, stride_len, leg_phase)[1] * stride * march
            up_, toe_u = up_ + lift, toe_u + lift
        foot = base + right * side * 0.1 * k
        ankle, toe = foot + fwd * ahead + up * up_, foot + fwd * toe_f + up * toe_u
        if stair is not None:
            # on a stair each foot stands on a tread (its top) and swings two treads on, over the nosing
            s_at, stance, e = stair_foot(stair, f.stair_pos, 0 if side > 0 else 1, stride)
            _, going_up = stair.point(f.stair_pos)
            facing_up = math.cos(math.radians(f.heading - going_up)) >= 0   # a descender's right is the stair's left
            at, _ = stair.point(s_at, side * 0.1 * k * (1 if facing_up else -1))
            lo, hi = stair.height(math.floor(s_at)), stair.height(math.ceil(s_at))
            frac = s_at - math.floor(s_at)
            y = stair.height(s_at) if stance else lo + (hi - lo) * frac
            clear = 0.0 if stance else (FOOT_LIFT + stair.rise) * math.sin(math.pi * e)
            ankle = np.array([at[0], y + ANKLE * k + clear * stride, at[2]])
            toe = ankle + (fwd * TOE[0] + up * TOE[1]) * k
        feet[name] = (side, ankle, toe)
    if stair is not None:
        # on a stair the pelvis rides at one height over the walking line, half a tread under it (knees
        # bent): the body rises as steadily as the line does. Riding as high as the legs reach made it
        # rise a tread in three frames and then hang for twelve, and the operator booming with the head
        # rode those steps. A foot the legs can't reach (setting off, the back foot a tread down) is
        # reached on tiptoe by the leg's IK.
        hip_y = min(hip_y, HIP_HEIGHT * k - 0.5 * stair.rise - 0.04 * k)
    elif swing > 0:
        hip_y = min(hip_y, _gait_hip(distance, stride_len, swing, k))
    j: dict[str, np.ndarray] = {}
    pelvis = base + up * hip_y
    j["pelvis"] = pelvis
    j["chest"] = pelvis + up * 0.06 * k + torso * (0.25 * k + breathe)
    j["neck"] = pelvis + up * 0.06 * k + torso * (0.50 * k + breathe)
    for name, (side, ankle, toe) in feet.items():
        hip = pelvis + right * side * 0.1 * k
        j[f"{name}_hip"] = hip
        if sit > 0:
            # thighs forward to the seat's edge, shins hanging: blended with the standing leg
            s_knee = hip + fwd * 0.44 * k + up * 0.0
            s_ankle = s_knee - up * (hip_y - 0.06 * k) + fwd * 0.04 * k
        if kneel > 0 and side > 0:   # the right knee goes down, the left foot stays planted ahead
            ankle = ankle - fwd * 0.3 * k * kneel
        knee, reached = _ik(hip, ankle, THIGH * k, SHIN * k, fwd)
        toe = toe + (reached - ankle)   # a foot the leg cannot reach comes in with it
        ankle = reached
        if kneel > 0 and side > 0:
            knee = knee * (1 - kneel) + (base + right * 0.1 * k + up * ANKLE * k + fwd * 0.1 * k) * kneel
            ankle = ankle * (1 - kneel) + (knee - fwd * SHIN * k * 0.95 - up * 0.0) * kneel
            ankle[1] = max(ankle[1], ANKLE * k)
            toe = ankle + (fwd * TOE[0] + up * TOE[1]) * k
        if sit > 0:
            knee = knee * (1 - sit) + s_knee * sit
            ankle = ankle * (1 - sit) + s_ankle * sit
            toe = ankle + (fwd * TOE[0] + up * TOE[1]) * k
        j[f"{name}_knee"], j[f"{name}_ankle"] = knee, ankle
        j[f"{name}_toe"] = toe
        # arms swing against the legs (the right arm with the left leg)
        swing = -side * (0.35 + 0.25 * f.run) * stride * math.sin(f.walk_phase)
        shoulder = j["neck"] - torso * 0.06 * k + right * side * 0.2 * k
        upper = _dir(up, fwd, swing)
        fore = _dir(up, fwd, swing + 0.2 + 0.9 * f.run * stride)
        if side > 0 and f.gesture > 0:
            g = min(1.0, f.gesture)
            raised = _unit(-up * math.cos(2.2) + (right * 0.85 + fwd * 0.3) * math.sin(2.2))
            wave = _unit(up + right * 0.5 * math.sin(f.gesture_phase * 2.0))
            upper, fore = _unit(upper * (1 - g) + raised * g), _unit(fore * (1 - g) + wave * g)
        point = getattr(f, "point", 0.0)
        if side > 0 and point > 0:  # the right arm straight toward where the figure looks
            aim = _unit(_look_dir(f, fwd, right) + up * 0.05)
            upper, fore = _unit(upper * (1 - point) + aim * point), _unit(fore * (1 - point) + aim * point)
        # a raised or pointing right arm lets go of the held prop's grip; it takes it up again as the
        # arm comes down (faded over the last quarter, so lowering a gesture does not snap to the grip)
        carry = getattr(f, "carry", 0.0) * _fade(point) * _fade(f.gesture) if side > 0 else 0.0
        talk = getattr(f, "talk", 0.0)
        if talk > 0 and not (side > 0 and (f.gesture > 0 or point > 0 or carry > 0)):
            # talking hands: the forearm comes up and out with the line (more on the right)
            lift = talk * (0.8 if side > 0 else 0.45)
            fore = _unit(fore * (1 - lift) + _unit(fwd * 0.8 + up * 0.35 + right * side * 0.35) * lift)
        if sit > 0:
            fore = _unit(fore * (1 - sit) + _unit(fwd - up * 0.3) * sit)
        elbow = shoulder + upper * 0.29 * k
        wrist = elbow + fore * 0.26 * k
        hand = wrist + fore * 0.07 * k
        if carry > 0:
            # The right hand holds a prop where the framing solver marks it (framing.HELD_OUT in front,
            # at framing.HAND height): the arm reaches it by two-bone IK, the elbow back and out.
            grip = base + up * (HELD_HAND * k) + fwd * HELD_FWD * k + right * HELD_SIDE * k
            lift = min(1.0, max(0.0, getattr(f, "lift", 0.0)))
            if lift > 0:   # read or checked: up before the chest, in toward the middle, where the bowed head sees it
                grip = grip + (up * READ_UP + fwd * READ_FWD - right * READ_IN) * (lift * k)
            if sit > 0:
                grip = grip + up * (hip_y - HIP_HEIGHT * k) * 0.8
            e, h_ = _ik(shoulder, grip, 0.29 * k, 0.33 * k, _unit(-fwd * 0.6 + right * 0.4 - up * 0.2))
            elbow = elbow * (1 - carry) + e * carry
            hand = hand * (1 - carry) + h_ * carry
            wrist = elbow + (hand - elbow) * (0.26 / 0.33)
        j[f"{name}_shoulder"], j[f"{name}_elbow"], j[f"{name}_wrist"] = shoulder, elbow, wrist
        j[f"{name}_hand"] = hand
    # head: turned by head_yaw / head_pitch (look at), on top of the neck
    look = _look_dir(f, fwd, right)
    head = j["neck"] + torso * 0.13 * k
    j["head"] = head
    hr = _unit(np.cross(up, look))           # head's right
    hu = _unit(np.cross(look, hr))
    j["head_fwd"], j["head_right"], j["head_up"] = look, hr, hu
    j["nose"] = head + look * 0.1 * k - hu * 0.01 * k
    for name, side in (("r", 1.0), ("l", -1.0)):
        j[f"{name}_eye"] = head + look * 0.085 * k + hr * side * 0.034 * k + hu * 0.022 * k
        j[f"{name}_ear"] = head + hr * side * 0.085 * k
    j["mouth"] = head + look * 0.088 * k - hu * 0.045 * k
    j["body_fwd"], j["body_up"] = fwd, up
    fall = min(1.0, max(0.0, getattr(f, "fall", 0.0)))
    if fall > 0:
        _fall(j, base, fwd, right, fall, 0.06 * k)
    return j


_DIRECTIONS = ("head_fwd", "head_right", "head_up", "body_fwd", "body_up")


def _fall(j: dict, base: np.ndarray, fwd: np.ndarray, right: np.ndarray, fall: float, floor: float) -> None:
    """Topple the figure forward about its feet (fall 1 = 90 degrees, face down on the ground), then
    lift it so no joint sinks below `floor` over the figure's ground (a body lies on it)."""
    a = math.pi / 2 * fall * fall   # it goes over slowly, then fast
    c, s_ = math.cos(a), math.sin(a)
    up = np.array([0.0, 1.0, 0.0])

    def rot(v):   # about the right axis: up tips toward fwd
        return v * c + np.cross(right, v) * s_ + right * float(np.dot(right, v)) * (1 - c)
    for name, v in j.items():
        j[name] = rot(v) if name in _DIRECTIONS else base + rot(v - base)
    low = min(float(v[1]) for n, v in j.items() if n not in _DIRECTIONS)
    lift = max(0.0, base[1] + floor - low)
    for name in j:
        if name not in _DIRECTIONS:
            j[name] = j[name] + up * lift


def _fade(v: float, over: float = 0.25) -> float:
    return min(1.0, max(0.0, 1.0 - v / over))


def _dir(up: np.ndarray, fwd: np.ndarray, angle: float) -> np.ndarray:
    """A limb hanging down, swung forward by `angle` radians."""
    return -up * math.cos(angle) + fwd * math.sin(angle)


def _look_dir(f, fwd: np.ndarray, right: np.ndarray) -> np.ndarray:
    yaw = math.radians(getattr(f, "head_yaw", 0.0))
    pitch = math.radians(getattr(f, "head_pitch", 0.0))
    flat = fwd * math.cos(yaw) + right * math.sin(yaw)
    return _unit(flat * math.cos(pitch) + np.array([0.0, 1.0, 0.0]) * math.sin(pitch))


def coco_keypoints(j: dict[str, np.ndarray]) -> np.ndarray:
    """(18, 3) world points in COCO-18 order."""
    return np.array([j[n] for n in COCO18])
