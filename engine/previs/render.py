"""Frame renderers: the 3D blocking set (Panda3D, stage.py) and the board-image parallax animatic.

Both take a GenerationRequest, render frame i on demand (`frame(i)` is pure: the same request and i
give the same pixels, BGR uint8) and report the world state at the last frame (`end_state()`), which
the next shot's `SceneSpec.start_state` feeds back for exact continuity.

end_state (plain JSON, owned by this renderer; the studio stores and passes it back untouched):
  blocking: {"renderer", "mode": "blocking", "frame", "camera": {position [x, y, z] m, yaw, pitch, roll
            deg, lens_mm}, "aim_height", "subject", "figures": [FigureState dicts: name, x, z, heading,
            sit, walk_phase, stride, run, gesture, gesture_phase, seat, ...], "world": {set_seed, kind,
            time_of_day, interior}}
  board:    {"renderer", "mode": "board", "frame", "board": path, "camera": {...}, "canonical": {...}}
A blocking state given to a board shot (or the reverse) is ignored: the two worlds do not connect.
"""
from __future__ import annotations

import math
import re
from typing import Any, Optional

import cv2
import numpy as np

from ..cues import CameraMove, MotionCue, ShotSize
from ..errors import EngineError, ErrorKind
from ..jobs import GenerationRequest
from ..plan import short_move
from dataclasses import replace

from . import geom, sets, stage
from .camera import (CameraPath, CameraPose, dolly_zoom, initial_pose, orbited, out_of_ring, subject_distance,
                     turned_about)
from .dressing import spiral_reach
from .figures import FigureState, FigureTrack, default_figures
from .framing import catch_up, follow, keep_in_frame, layout, prop_dims, solve, subject_boxes
from .mannequin import Look, Mannequin, _material, figure_model, hex_rgb
from .props import DEFAULT_COLOURS, pool_node, practical, prop_node
from .projection import Pinhole
from .rig import COCO_LIMBS, OPENPOSE_COLOURS, Stair, coco_keypoints, skeleton
from .scene import PRACTICALS, World
from .shadows import GroundShadows, cast_light

RENDERER_VERSION = "previs-2.1"  # 2.0: Panda3D renders the set, the mannequins and the plan's props (stage.py); 2.1: cast shadows


def timecode(frame: int, fps: float) -> str:
    nominal = max(1, int(round(fps)))
    ff = frame % nominal
    secs = frame // nominal
    return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}:{ff:02d}"


def draw_burn_in(img: np.ndarray, text: str, frame: int, fps: float) -> None:
    h = img.shape[0]
    scale = max(0.35, h / 720 * 0.7)
    thick = max(1, int(round(h / 400)))
    label = f"{text}  {timecode(frame, fps)}".strip()
    (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    pad = max(3, h // 90)
    x0, y0 = pad, h - pad - th - base - pad
    cv2.rectangle(img, (x0, y0), (x0 + tw + 2 * pad, h - pad), (0, 0, 0), -1)
    cv2.putText(img, label, (x0 + pad, h - pad - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick,
                cv2.LINE_AA)


TREAD_CLEAR = 0.15   # the operator's room outside a spiral's treads (the lens and his shoulders)

_PALETTE = ("#c0504d", "#4f81bd", "#9bbb59", "#f79646", "#8064a2", "#4bacc6", "#d4a017", "#7f7f7f")
_PROP_COLOUR = "#8a6a4a"


def plan_figures(plan, characters) -> list[FigureState]:
    """The plan's people on the framing solver's marks, in their garment (or bible) colour."""
    by_name = {c.name.lower(): c for c in characters}
    out = []
    for m in layout(plan).marks:
        person = plan.people[m.person]
        spec = by_name.get(person.name.lower()) if person.name else None
        colour = m.colour or (spec.color if spec is not None else "") or _PALETTE[m.person % len(_PALETTE)]
        # Named people carry their label (and their motion cues); described ones draw unlabelled.
        out.append(FigureState(person.name if m.member == 0 else "", colour, m.height, x=m.x, z=m.z,
                               heading=m.heading))
    return out


def _continued(marked: list[FigureState], saved: dict[str, FigureState]) -> list[FigureState]:
    """A chained shot's figures: those the previous take left stand where it left them; one it did not
    have comes onto its plan mark moved as far as they moved off theirs, so the plan's blocking holds
    between them (on its bare mark it could stand inside one of them)."""
    stayed = [(saved[f.name], f) for f in marked if f.name in saved]
    if not stayed:
        return marked
    dx = float(np.mean([s.x - f.x for s, f in stayed]))
    dz = float(np.mean([s.z - f.z for s, f in stayed]))
    return [saved[f.name] if f.name in saved else replace(f, x=f.x + dx, z=f.z + dz) for f in marked]


def effective_scene(request: GenerationRequest):
    """The scene a take renders: the plan is resolved by the studio, so its light and interior win
    over the heading's words."""
    plan = request.plan
    if plan is None:
        return request.scene
    return replace(request.scene, time_of_day=plan.light, interior=plan.place.interior)


def world_key(request: GenerationRequest) -> tuple:
    """What a take's set depends on (renderers of one operation share a set with the same key)."""
    scene, plan = effective_scene(request), request.plan
    kind = (plan.place.kind, plan.weather) if plan is not None else ()
    return (scene.heading, scene.location, scene.interior, scene.time_of_day, scene.style, scene.set_seed, kind)


def plan_looks(plan, characters) -> list[Look]:
    """Each plan figure's build, age and garments (in the layout's mark order)."""
    by_name = {c.name.lower(): c for c in characters}
    out = []
    for m in layout(plan).marks:
        p = plan.people[m.person]
        spec = by_name.get(p.name.lower()) if p.name else None
        top = m.colour or (spec.color if spec is not None else "") or _PALETTE[m.person % len(_PALETTE)]
        kinds = {g.kind for g in p.garments}
        garments = tuple(sorted({"coat" for k in kinds if k in COAT_WORDS} | {"dress" for k in kinds if k in DRESS_WORDS}
                                | {"suit" for k in kinds if k == "suit"} | {"hat" for k in kinds if k in HAT_WORDS}))
        lower = p.main_colour("bottom") if any(g.region == "bottom" for g in p.garments) else ""
        hat = next((g.colour for g in p.garments if g.region == "head" and g.colour), "")
        out.append(Look(colour=hex_rgb(top), lower=hex_rgb(lower) if lower else None,
                        model=(getattr(spec, "model", "") or "") if spec is not None and m.member == 0 else "",
                        build={"thin": "slim", "slim": "slim", "heavy": "heavy", "stout": "heavy", "fat": "heavy",
                               "big": "heavy"}.get(p.build, "average"),
                        age=p.age or "adult", garments=garments, hat_colour=hex_rgb(hat) if hat else None))
    return out


COAT_WORDS = {"coat", "overcoat", "raincoat", "trench coat", "oilskin", "cloak", "cape", "robe", "parka", "habit"}
DRESS_WORDS = {"dress", "gown", "skirt"}
HAT_WORDS = {"hat", "cap", "helmet", "hood", "beret"}


def plan_poses(plan, figures: list[FigureState]) -> list[FigureState]:
    """The plan's actions as poses held through the shot (a motion cue still moves the figure):
    sit, kneel, point, wave, hold/carry, read, look up/down/at, talk."""
    marks = layout(plan).marks
    out = []
    for f, m in zip(figures, marks):
        acts = [a for a in plan.actions if a.actor == m.person]
        changes: dict[str, Any] = {}
        for a in acts:
            v = a.verb
            if v in ("sit", "eat", "write", "drive") and m.member == 0:
                changes.update(sit=1.0, seat=True)
            elif v in ("kneel", "mend", "hide"):
                changes["kneel"] = 1.0
            elif v == "point":
                changes["point"] = 1.0
            elif v == "wave":
                changes["gesture"] = 0.9
            elif v in ("hold", "carry", "read"):
                changes["carry"] = 1.0
                if v == "read":   # brought up before the chest, the head bowed to it
                    changes.update(head_pitch=-28.0, lift=1.0)
            elif v == "look_up":
                changes["head_pitch"] = 25.0
            elif v == "look_down":
                changes["head_pitch"] = -25.0
            elif v == "sleep":
                changes.update(sit=1.0, seat=True, head_pitch=-30.0)
            if a.target_person is not None and a.target_person != m.person:
                target = next((t for t in marks if t.person == a.target_person and t.member == 0), None)
                if target is not None:
                    changes["head_yaw"] = look_yaw(f, (target.x, target.z))
        held = any(pr.held_by == m.person for pr in plan.props) and m.member == 0
        if held:
            changes["carry"] = 1.0
        if acts:
            changes["expression"] = expression_of(" ".join(a.words for a in acts))
        out.append(replace(f, **changes) if changes else f)
    return out


def plan_props(plan, shift=np.zeros(3), turn: float = 0.0, about=(0.0, 0.0)) -> list[dict]:
    """The plan's props on the framing solver's marks: kind, colour, box, heading, and who holds it
    (the holder's index among the figures, or None); `shift`/`turn` about `about` move them with a
    subject a chained shot finds off its mark (as framing.shifted/turned move the camera)."""
    lay = layout(plan)
    lead = {m.person: k for k, m in enumerate(lay.marks) if m.member == 0}
    a = math.radians(turn)
    centre = np.array([about[0], 0.0, about[1]])
    out = []
    for pm in lay.props:
        prop = plan.props[pm.prop]
        colour = hex_rgb(prop.colour) if prop.colour else DEFAULT_COLOURS.get(prop.kind, (138, 106, 74))
        p = np.array([pm.x, pm.y, pm.z]) + shift - centre
        p = centre + np.array([p[0] * math.cos(a) + p[2] * math.sin(a), p[1], -p[0] * math.sin(a) + p[2] * math.cos(a)])
        out.append({"kind": prop.kind, "colour": colour, "dims": prop_dims(prop.kind, pm.size), "turn": turn + pm.heading,
                    "at": tuple(float(v) for v in p),
                    "holder": lead.get(prop.held_by) if prop.held_by is not None else None})
    return out


# The plan's verbs that move a whole figure when no motion cue drives it: "a woman walks her dog along
# the harbour" crosses the frame, "he runs" runs, "she turns" turns. The screen direction is the
# action's own (left, right, towards, away) or, for a walk with none, across to the right.
_IMPLIED_DIRECTIONS = {"left": "left", "right": "right", "towards": "toward", "away": "away"}


def plan_motion(plan, count: int) -> list[Optional[MotionCue]]:
    """Each figure's motion implied by its own words (a MotionCue, or None), in mark order. A walk or
    run toward another person of the shot is left to the cues: crossing the frame would walk through
    them. Only a group's first member moves (the others hold their marks round it)."""
    marks = layout(plan).marks[:count]
    out: list[Optional[MotionCue]] = []
    for m in marks:
        cue = None
        for a in (a for a in plan.actions if a.actor == m.person and m.member == 0):
            if a.verb in ("walk", "run") and a.target_person is None:
                direction = _IMPLIED_DIRECTIONS.get(a.direction, "")
                if not direction and a.relation == "away_from":
                    direction = "away"
                kind = "run" if a.verb == "run" else {"toward": "approach", "away": "recede"}.get(direction, "cross")
                cue = MotionCue(action=a.words or a.verb, kind=kind, screen_direction=direction or "right")
            elif a.verb == "turn":
                cue = MotionCue(action=a.words or a.verb, kind="turn")
            if cue is not None:
                break
        out.append(cue)
    return out + [None] * (count - len(out))


def talk_beats(plan, count: int, frames: int, fps: float) -> dict[int, np.ndarray]:
    """Talking hands for figures whose words say they talk or argue but who have no line to speak
    (no dialogue envelope to follow): a beat of phrases, livelier in an argument; by mark index."""
    out: dict[int, np.ndarray] = {}
    t = np.arange(frames) / max(1.0, float(fps))
    for k, m in enumerate(layout(plan).marks[:count]):
        verbs = {a.verb for a in plan.actions if a.actor == m.person}
        if not verbs & {"talk", "argue"}:
            continue
        hot = "argue" in verbs
        phase = 1.7 * k + 0.9 * m.member          # two speakers do not move in step
        beat = 0.5 + 0.5 * np.sin(2 * math.pi * (0.9 if hot else 0.6) * t + phase)
        phrase = np.clip(np.sin(2 * math.pi * 0.23 * t + phase * 0.5) * 1.5 + 0.3, 0.0, 1.0)
        ramp = np.clip(t / 0.4, 0.0, 1.0)          # from rest into the first phrase
        out[k] = (0.85 if hot else 0.55) * beat * phrase * ramp
    return out


def plan_targets(plan, figures: list[FigureState], props: list[dict]) -> list[tuple[Optional[tuple[float, float]],
                                                                                 Optional[int]]]:
    """Per figure (mark order), the ground point its action goes for or turns from, and the figure
    there (None for a prop): the holder of the prop it goes for ('lunges for the parcel' Mara holds),
    else the prop where it lies; the person it acts on; for a move away from no one named, the nearest
    other figure. (None, None): nothing to go for."""
    lay = layout(plan)
    marks = lay.marks[:len(figures)]
    lead = {m.person: k for k, m in enumerate(marks) if m.member == 0}

    def at(k):
        return (figures[k].x, figures[k].z)

    out: list = []
    for k, m in enumerate(marks):
        goal, who = None, None
        for a in (a for a in plan.actions if a.actor == m.person and m.member == 0):
            if a.target_prop is not None:
                holder = plan.props[a.target_prop].held_by
                if holder is not None and holder != m.person and holder in lead:
                    who = lead[holder]
                else:
                    spot = next((p["at"] for pm, p in zip(lay.props, props) if pm.prop == a.target_prop),
                                None)
                    goal = (spot[0], spot[2]) if spot is not None else None
            elif a.target_person is not None and a.target_person != m.person and a.target_person in lead:
                who = lead[a.target_person]
            elif a.relation == "away_from" or short_move(a.words):
                others = [j for j in range(len(marks)) if j != k]
                if others:
                    who = min(others, key=lambda j: math.dist(at(j), at(k)))
            if who is not None:
                goal = at(who)
            if goal is not None:
                break
        out.append((goal, who))
    return out + [(None, None)] * (len(figures) - len(out))


# A gesture cue's arms from the figure's own verbs: talk hands, a point, a wave, or the plan's pose
# (holding, reading, checking a watch: plan_poses gives the hand and the look down; a wave would undo it).
_POSE_VERBS = {"read", "hold", "carry", "eat", "write", "mend", "look_down", "look_up", "look_at", "sleep"}


def gesture_of(plan, count: int) -> list[str]:
    """Per figure (mark order), what its gesture cue does with the arms (figures.GESTURES)."""
    out = []
    for m in layout(plan).marks[:count]:
        verbs = [a.verb for a in plan.actions if a.actor == m.person]
        if any(v in ("talk", "argue") for v in verbs):
            out.append("talk")
        elif "point" in verbs:
            out.append("point")
        elif "wave" in verbs or not any(v in _POSE_VERBS for v in verbs):
            out.append("wave")
        else:
            out.append("pose")
    return out + ["wave"] * (count - len(out))


STAIR_VERBS = ("climb", "descend", "fall")


def plan_acts(plan, count: int) -> list[str]:
    """Each figure's whole-body act from the plan ('climb', 'descend', 'fall' or ''), in mark order."""
    out = []
    for m in layout(plan).marks[:count]:
        verbs = [a.verb for a in plan.actions if a.actor == m.person and a.verb in STAIR_VERBS]
        out.append(verbs[0] if verbs else "")
    return out + [""] * (count - len(out))


def prop_asset(assets, kind: str):
    """The bible prop entry (AssetSpec) whose name is the plan prop's kind ('lantern', 'The old
    lantern', 'lanterns'), or None."""
    for a in assets:
        if a.kind != "prop" or not a.model:
            continue
        words = re.findall(r"[a-z]+", a.name.lower())
        if kind in words or kind in (w.rstrip("s") for w in words) or a.name.lower().strip() == kind:
            return a
    return None


def look_yaw(f: FigureState, target_xz) -> float:
    """Head yaw (degrees right of the body's heading) that faces (x, z), within the neck's reach."""
    want = math.degrees(math.atan2(target_xz[0] - f.x, target_xz[1] - f.z))
    delta = (want - f.heading + 180.0) % 360.0 - 180.0
    return max(-75.0, min(75.0, delta))


EXPRESSIONS = (("smile", ("smile", "laugh", "grin", "happy", "joy", "delight", "cheer")),
               ("frown", ("frown", "angry", "anger", "scowl", "argue", "furious", "sad", "cry", "weep")),
               ("surprise", ("surprise", "astonish", "gasp", "shock", "startle", "amaze")),
               ("fear", ("fear", "afraid", "scared", "terrified", "panic", "flee", "horror")))


def expression_of(words: str) -> str:
    """A face from the action's words (neutral when none say otherwise)."""
    text = words.lower()
    for name, stems in EXPRESSIONS:
        if any(stem in text for stem in stems):
            return name
    return "neutral"


def _subject_cues(request: GenerationRequest, names: list[str]) -> dict[str, MotionCue]:
    """Which motion cue drives which figure: by name (case-insensitive), empty subject = first figure."""
    out: dict[str, MotionCue] = {}
    lowered = {n.lower(): n for n in names}
    for cue in request.motion:
        if cue.is_empty:
            continue
        name = lowered.get(cue.subject.lower()) if cue.subject else (names[0] if names else None)
        if name is not None and name not in out:
            out[name] = cue
    return out


class BlockingRenderer:
    """The dressed set with acting mannequins, rendered by Panda3D through the cue's pinhole camera.

    Every Panda call runs on the stage thread (stage.call); this object only holds the scene."""

    mode = "blocking"
    loop_frames = 0   # a loop operation's length: the weather overlays repeat over it (frame N is frame 0)

    def __init__(self, request: GenerationRequest, world: Optional[World] = None):
        self.request = request
        self.width, self.height, self.frames = request.width, request.height, request.frames
        self.fps = float(request.fps)
        scene = effective_scene(request)
        plan = request.plan
        if world is None:
            from .dressing import build_world
            world = build_world(scene, plan)
        self.world = world
        self.plan = plan
        self.weather = world.weather   # dressing.world_weather: the plan's, else the scene's words
        state = dict(scene.start_state) if scene.start_state else None
        if state is not None and state.get("mode", "blocking") != "blocking":
            state = None  # a board take's end state says nothing about this set
        self.continued = state is not None
        if plan is not None:
            figures = plan_poses(plan, plan_figures(plan, scene.characters))
            looks = plan_looks(plan, scene.characters)
        else:
            figures = default_figures(scene.characters)
            looks = [look_of(c) for c in scene.characters]
        settle: dict[str, FigureState] = {}
        if state is not None:
            try:
                saved = {f["name"]: FigureState.from_dict(f) for f in state.get("figures", [])}
                start_pose = CameraPose.from_dict(state["camera"])
                aim_height = float(state.get("aim_height", 1.3))
            except (KeyError, TypeError, ValueError) as exc:
                raise EngineError(ErrorKind.BAD_INPUT, f"the start state of the previous take is unreadable: {exc}",
                                  "Choose the previous take again or set the shot's continuity to fresh.") from exc
            # a carried-on figure settles into the arms this shot's plan gives it (unless it is cued)
            settle = {f.name: f for f in figures if f.name in saved}
            figures = _continued(figures, saved)
        names = [f.name for f in figures]
        cues = _subject_cues(request, names)
        subject = figures[0] if figures else FigureState("", x=0.0, z=0.0)
        if request.motion and names:
            first = next((c for c in request.motion if not c.is_empty), None)
            if first is not None and first.subject:
                subject = next((f for f in figures if f.name.lower() == first.subject.lower()), subject)
        self.subject_name = subject.name
        # The camera continues only when the cut is a continuation: same framing on the same subject.
        # A chained shot with another size, lens or angle is a new setup on the continued world: the
        # figures stay where the previous take left them and the camera frames them afresh.
        self.camera_continued = state is not None and _same_setup(state, request.camera, subject.name)
        prop_shift, prop_turn = np.zeros(3), 0.0
        stair = getattr(self.world, "stairs", None)
        acts = plan_acts(plan, len(figures)) if plan is not None else [""] * len(figures)
        room = self.world.info.get("room")
        if stair is not None and room and figures:
            # indoors the flight goes on through the ceiling: a climber stops with his head under it
            top = int((float(room[3]) - 0.25 - max(f.height for f in figures)) / stair.rise)
            t = list(stair.as_tuple())
            t[7] = float(max(3, min(stair.steps, top)))
            stair = Stair.from_tuple(t)
        if stair is not None and figures and acts[0] in ("climb", "descend") and state is None:
            # The subject climbs (descends) the set's flight: it starts on it, and the framing goes
            # with it there, turned as it faces (as a chained shot's framing goes with its subject).
            probe = FigureTrack(figures[0], None, self.frames, self.fps, np.array([1.0, 0.0, 0.0]),
                                np.zeros(3), True, acts[0], stair)
            figures[0] = replace(probe.start, stair=(), stair_pos=0.0, y=0.0)
            mid_xz, _ = stair.point(sum(probe.stair_span) / 2)
            subject = figures[0] if subject.name == figures[0].name else subject
        if plan is not None:
            # The framing solver places the camera from the plan; moves are relative to its subject.
            framing = solve(plan, request.camera, self.width, self.height)
            lead = framing.layout.marks[0] if framing.layout.marks else None
            prop_shift, prop_turn = np.zeros(3), 0.0
            moved = stair is not None and acts[0] in ("climb", "descend") and state is None
            if (state is not None or moved) and lead is not None and figures:
                # A chained shot on a new setup: the subject stands (and faces) where the previous take
                # left it; the framing, and the props the plan puts about it, go with it.
                prop_shift = np.array([subject.x - lead.x, 0.0, subject.z - lead.z])
                facing = subject.heading
                if moved and stair.spiral:
                    # a spiral is seen from outside it: the camera sits out from the column, a little
                    # ahead of the climber (three-quarters on at mid-shot), not among the treads
                    facing = math.degrees(math.atan2(mid_xz[0] - stair.cx, mid_xz[2] - stair.cz))
                    facing += 40.0 if (acts[0] == "climb") == (stair.step > 0) else -40.0
                prop_turn = ((facing - lead.heading + 180.0) % 360.0) - 180.0
                framing = framing.shifted(prop_shift).turned(prop_turn, (subject.x, 0.0, subject.z))
            if not self.camera_continued:
                start_pose = framing.pose
            self.aim_height = float(framing.aim[1])
            self.path = framing.path(request.camera, self.frames, self.fps, request.seed, start=start_pose)
        else:
            if not self.camera_continued:
                start_pose, aim = initial_pose(request.camera, (subject.x, 0.0, subject.z), self.width, self.height,
                                               subject.heading, subject.height)
                aim_height = float(aim[1])
            self.aim_height = aim_height
            aim = np.array([subject.x, aim_height, subject.z])
            self.path = CameraPath(request.camera, start_pose, aim, self.frames, self.fps, request.seed)
        right, _, _ = start_pose.basis()
        # the plan's props, moved and turned with the subject when a chained shot finds it off its mark
        self.props = plan_props(plan, prop_shift, prop_turn, (subject.x, subject.z)) if plan is not None else []
        targets = plan_targets(plan, figures, self.props) if plan is not None else [(None, None)] * len(figures)

        # a figure no cue drives moves as its own words say (plan_motion); a plan act (climb...) takes its place
        implied = plan_motion(plan, len(figures)) if plan is not None else [None] * len(figures)
        cues = {**{f.name: imp for f, imp, a in zip(figures, implied, acts) if imp is not None and not a and f.name},
                **cues}
        # each figure's cue: by name; an unnamed one takes an unnamed cue or its own words' motion
        chosen = [cues.get(f.name) if f.name else (cues.get("") or (imp if not a else None))
                  for f, imp, a in zip(figures, implied, acts)]
        styles = gesture_of(plan, len(figures)) if plan is not None else ["wave"] * len(figures)

        def track(k: int, goal):
            f = figures[k]
            return FigureTrack(f, chosen[k], self.frames, self.fps, right, np.asarray(start_pose.position),
                               fresh=state is None, act=acts[k], stair=stair, settle_to=settle.get(f.name), target=goal,
                               gesture=styles[k])

        self.tracks = [track(k, goal) for k, (goal, _) in enumerate(targets)]
        for k, (_, who) in enumerate(targets):
            cue = chosen[k]
            burst = short_move(cue.action) if cue is not None else None
            if who is not None and burst is not None and burst[1] == "to" and self.tracks[who].walking:
                # going for someone who moves: for where they end up (a lunge at a figure twisting away)
                end = self.tracks[who].state(self.frames - 1)
                self.tracks[k] = track(k, (end.x, end.z))
        self._follow = None   # (aim, mark, keep): the operator's follow of the subject (None: the path as it is)
        if plan is not None and self.tracks and self.tracks[0].act in ("climb", "descend"):
            # The operator keeps the climber (round the spiral, up the flight) in frame.
            self._follow = (np.array(framing.aim), np.array([figures[0].x, 0.0, figures[0].z]), None)
            self._stair_from = self.tracks[0].start.stair_pos   # where on the flight the orbit starts
            # the head the framing was set on: the figure standing on its mark (or, when the camera
            # continues, the climber where the previous take left him)
            framed = self.tracks[0].state(0) if self.camera_continued else replace(
                figures[0], stair=(), stair_pos=0.0, y=0.0)
            self._head_from = float(skeleton(framed)["head"][1])
        elif plan is not None and self.tracks and self.tracks[0].walking:
            lead_track = self.tracks[0]
            # The operator keeps the walker in frame whatever the cued move does (a truck that outruns
            # it, a chained take that hands it over on the edge): see camera_pose.
            keep = subject_boxes([lead_track.state(i) for i in range(self.frames)])
            self._follow = (None, None, keep)
            if request.camera.move in (CameraMove.PAN, CameraMove.TILT):
                # A pan on a walker goes the way the walker goes (its span as cued, uncapped).
                across = float(np.dot(lead_track.travel, right))
                if request.camera.move is CameraMove.PAN and abs(across) > 1e-6:
                    cue = request.camera.with_(direction="right" if across > 0 else "left")
                    begin = start_pose
                    if not self.camera_continued:
                        # It starts on the walker (off its mark at frame 0) and pans the way it walks;
                        # a continued one starts where the last take ended (the keep catches up).
                        s0 = lead_track.state(0)
                        begin = follow(start_pose, np.array(framing.aim),
                                       np.array([s0.x - figures[0].x, 0.0, s0.z - figures[0].z]))
                    self.path = CameraPath(cue, begin, np.array(framing.aim), self.frames, self.fps,
                                           request.seed, focus=np.array(framing.focus))
            else:
                # Otherwise the operator follows the walker on top of the cued move. Applied per frame
                # from the subject's state, so remix retimings of path and figures keep it.
                self._follow = (np.array(framing.aim), np.array([figures[0].x, 0.0, figures[0].z]), keep)
        self.looks = looks
        from .lipsync import mouth_curves
        self.mouths = mouth_curves(request)   # speaking characters' mouths follow their lines
        self.beats = {k: b for k, b in (talk_beats(plan, len(figures), self.frames, self.fps).items()
                                        if plan is not None else ()) if figures[k].name.lower() not in self.mouths}
        assets = tuple(getattr(scene, "assets", ()) or ())
        self.notes = []   # one line each, into the take's metadata
        for p in self.props:
            hit = prop_asset(assets, p["kind"])
            if hit is not None:
                p["model"] = hit.model
                self.notes.append(f"prop {p['kind']}: the bible's own model ({hit.name}) in place of the kit prop")
        self.location_models = tuple(a.model for a in assets if a.kind == "location" and a.model)
        for a in assets:
            if a.kind == "location" and a.model:
                self.notes.append(f"location {a.name}: its own model placed into the set at authored size (metres)")
        for t, lk in zip(self.tracks, looks):
            if getattr(lk, "model", ""):
                self.notes.append(f"{t.start.name or 'figure'}: {model_note(lk.model)}")
        if acts and acts[0] in ("climb", "descend") and stair is None:
            self.notes.append(f"{acts[0]}: this set has no stair, so the figure stays on the ground")
        self._scene = stage.call(_Scene, self.world, [t.start for t in self.tracks], self.looks,
                                 self.width, self.height, self.props, self.location_models)

    def __del__(self):
        scene = getattr(self, "_scene", None)
        # At interpreter exit the modules' globals are cleared before the last renderers go: the
        # stage module (or its release) reads None then, and the Panda thread is gone anyway.
        release = getattr(stage, "release", None)
        if scene is not None and callable(release):
            release(scene)  # Panda objects are freed on the Panda thread

    def looks_by_name(self) -> dict[str, Look]:
        """How each of this take's figures is dressed, by name."""
        return {t.start.name: lk for t, lk in zip(self.tracks, self.looks)}

    def adopt_looks(self, looks: dict) -> None:
        """Dress figures of these names so (a remix timeline that brings other takes' figures)."""
        stage.call(self._scene.looks_by_name.update, dict(looks))
        stage.call(self._scene.reset_cast)

    # -- per frame -------------------------------------------------------------------------------
    def figure_states(self, i: int) -> list[FigureState]:
        states = [t.state(i) for t in self.tracks]
        if self.mouths:
            out = []
            for f in states:
                curve = self.mouths.get(f.name.lower())
                if curve is None:
                    out.append(f)
                    continue
                m = float(curve[min(i, len(curve) - 1)])
                # the hands follow the line's beat more slowly than the mouth (a 1/3 s average)
                lo, hi = max(0, i - 4), min(len(curve), i + 5)
                out.append(replace(f, mouth=m, talk=float(np.mean(curve[lo:hi])) if hi > lo else 0.0))
            states = out
        beats = getattr(self, "beats", None)
        if beats:
            states = list(states)
            for k, beat in beats.items():
                if k < len(states):
                    b = float(beat[min(i, len(beat) - 1)])
                    # no line to follow: the mouth works through syllables (~4 a second) while the hands beat
                    syllable = 0.5 + 0.5 * math.sin(2 * math.pi * 4.2 * i / self.fps + 1.3 * k)
                    states[k] = replace(states[k], talk=b, mouth=0.7 * b * syllable)
        return states

    def camera_pose(self, i: int) -> CameraPose:
        """Frame i's camera: the cue's path, turned to follow a walking subject and to keep it in frame."""
        pose = self.path.pose(i)
        follow_info = getattr(self, "_follow", None)
        if follow_info is None:
            return pose
        aim, mark, keep = follow_info
        lead = self.figure_states(i)[0]
        if lead.stair and aim is not None:
            flight = Stair.from_tuple(lead.stair)
            turn = flight.step * (lead.stair_pos - getattr(self, "_stair_from", lead.stair_pos))
            if flight.spiral and turn:
                # round a spiral the operator goes round the column with the climber, as fast as he
                # does: the angle between his facing and the lens holds (the cued move rides on top)
                pivot = np.array([flight.cx, 0.0, flight.cz])
                pose = orbited(pose, pivot, turn)
                aim, mark = turned_about(aim, pivot, turn), turned_about(mark, pivot, turn)
            # on a stair the operator booms up (down) with the climber's head (he climbs lower in the
            # knees than he stands), so the framing keeps its height
            head_from = getattr(self, "_head_from", None)
            rise = lead.y if head_from is None else float(skeleton(lead)["head"][1]) - head_from
            up = np.array([0.0, rise, 0.0])
            pose = replace(pose, position=tuple(float(v) for v in np.asarray(pose.position) + up))
            aim = np.asarray(aim) + up
            if flight.spiral and turn:
                pose = self._inside_room(pose, aim)
            if flight.spiral:
                # and never stands among the treads: a close size backs off, on a longer lens
                pose = out_of_ring(pose, aim, (flight.cx, flight.cz), spiral_reach(flight) + TREAD_CLEAR)
        step = self._size_step(pose, lead) if not lead.stair else np.zeros(3)
        if np.any(step):
            pose = replace(pose, position=tuple(float(v) for v in np.asarray(pose.position) + step))
        if aim is not None:
            # The walker may drift a fifth of the field of view off its framing before the camera turns.
            hfov = math.degrees(2 * math.atan(18.0 / pose.lens_mm))
            dead = (0.2 * hfov, 0.2 * hfov * self.height / self.width)
            # after a step the framing is the one set up, carried with the operator: the turn is for
            # what the subject moved beyond the step
            pose = follow(pose, np.asarray(aim) + step, np.array([lead.x, 0.0, lead.z]) - mark - step, dead)
        if keep is None:
            return pose
        # A continued camera starts exactly on the last take's frame, where the walker may stand on the
        # edge: the operator catches up over the first beats.
        clock = getattr(self.path, "time", None)   # a retimed path's own clock (an extension's kept part)
        share = catch_up(clock(i) if clock else i / self.fps) if self.camera_continued else 1.0
        return keep_in_frame(pose, lead, keep, self.width, self.height, share=share) if share > 0 else pose

    SIZE_KEPT = (ShotSize.ECU, ShotSize.CU, ShotSize.MCU, ShotSize.MS)
    SIZE_SLACK = 1.1   # the subject may come this much nearer or go this much further before the step

    def _size_step(self, pose: CameraPose, lead: FigureState) -> np.ndarray:
        """The operator's step on a close size (MS and in): a subject that travels nearer or further
        than the framing set up (its distance from where it stood at frame 0, the cued move's own
        change kept) by more than SIZE_SLACK is followed on foot, along the line to it, so its size
        in frame holds. Zero for wider sizes and a still subject."""
        if self.request.camera.shot_size not in self.SIZE_KEPT or not self.tracks or not self.tracks[0].walking:
            return np.zeros(3)
        s0 = self.tracks[0].state(0)
        cam = np.array([pose.position[0], 0.0, pose.position[2]])
        ref = float(np.linalg.norm(cam - np.array([s0.x, 0.0, s0.z])))
        to = cam - np.array([lead.x, 0.0, lead.z])
        now = float(np.linalg.norm(to))
        if ref < 1e-6 or now < 1e-6:
            return np.zeros(3)
        want = min(max(now, ref / self.SIZE_SLACK), ref * self.SIZE_SLACK)
        return to / now * (want - now)

    def _inside_room(self, pose: CameraPose, aim: np.ndarray) -> CameraPose:
        """An operator carried round by the orbit stops at the room's walls: nearer the subject, on a
        wider lens, so the framing holds."""
        room = self.world.info.get("room")
        if not room:
            return pose
        clear = 0.3   # the operator's own room before the wall
        hx, z0, z1 = float(room[0]) - clear, float(room[1]) + clear, float(room[2]) - clear
        pos, a = np.asarray(pose.position, dtype=np.float64), np.asarray(aim, dtype=np.float64)
        if not (abs(a[0]) < hx and z0 < a[2] < z1):
            return pose
        k = 1.0
        for d, lo, hi, c in ((pos[0] - a[0], -hx, hx, a[0]), (pos[2] - a[2], z0, z1, a[2])):
            wall = hi if d > 0 else lo   # the aim is inside, so a camera beyond a wall has d != 0
            if not lo <= c + d <= hi:
                k = min(k, (wall - c) / d)
        return dolly_zoom(pose, a, k) if k < 1.0 else pose

    def frame(self, i: int) -> np.ndarray:
        pose = self.camera_pose(i)
        states = self.figure_states(i)
        return self._finish(stage.call(self._scene.render, pose, states, "colour"), i, pose, states)

    def iter_frames(self, count: int):
        """frame(0..count-1) with the next frame rendering on the Panda thread while this one is
        finished (labels, burn-in) and encoded here: the two cores work at once."""
        def start(i):
            pose, states = self.camera_pose(i), self.figure_states(i)
            return stage.submit(self._scene.render, pose, states, "colour"), pose, states
        pending = start(0) if count > 0 else None
        for i in range(count):
            fut, pose, states = pending
            img = fut.result()
            if i + 1 < count:
                pending = start(i + 1)
            yield self._finish(img, i, pose, states)

    def _finish(self, img: np.ndarray, i: int, pose: CameraPose, states) -> np.ndarray:
        if self.weather == "rain":
            self._rain(img, i)
        elif self.weather == "snow":
            self._snow(img, i)
        elif self.weather == "fog":
            self._fog(img, pose, states)
        self._labels(img, pose, states)
        if self.request.burn_in:
            draw_burn_in(img, self.request.burn_in, i, self.fps)
        return img

    def control_passes(self, i: int) -> dict[str, Any]:
        """The control passes of frame i: depth (gray, near = bright), mask (one id colour per figure
        and prop) and pose (OpenPose COCO-18 drawing + keypoints)."""
        pose = self.camera_pose(i)
        states = self.figure_states(i)
        depth = stage.call(self._scene.render, pose, states, "depth")
        mask = stage.call(self._scene.render, pose, states, "mask")
        drawing, people = pose_pass(pose, states, self.width, self.height)
        return {"depth": depth, "mask": mask, "pose": drawing, "pose_keypoints": people}

    def pass_ids(self) -> dict[str, list[int]]:
        """Mask colours (RGB) by figure (name, or 'figure N') then prop ('prop N: kind')."""
        names = [t.start.name or f"figure {k}" for k, t in enumerate(self.tracks)]
        names += [f"prop {j}: {p['kind']}" for j, p in enumerate(self.props)]
        return {n: list(MASK_COLOURS[k % len(MASK_COLOURS)]) for k, n in enumerate(names)}

    def _rain(self, img: np.ndarray, i: int) -> None:
        """Rain streaks over the frame: short slanted lines, new every frame from a seed of the set
        and the frame index (frame(i) stays pure), two tones in two batched calls."""
        # new every frame, so a loop's seam is one more fresh draw: frame N draws frame 0's rain
        i = i % self.loop_frames if self.loop_frames else i
        rng = np.random.default_rng([int(self.request.scene.set_seed) & 0xFFFFFFFF, 0x7261696E, i])
        w, h = self.width, self.height
        n = max(6, w * h // 6000)
        x = rng.uniform(-0.1 * w, 1.05 * w, n)
        y = rng.uniform(-0.1 * h, h, n)
        length = rng.uniform(0.025, 0.06, n) * h
        dx, dy = length * 0.18, length
        lines = np.rint(np.stack([np.stack([x, y], -1), np.stack([x + dx, y + dy], -1)], 1) * 16).astype(np.int32)
        thick = max(1, int(round(h / 720)))
        half = n // 2
        for part, colour in ((lines[:half], (120, 114, 108)), (lines[half:], (170, 164, 156))):
            cv2.polylines(img, list(part), False, colour, thick, cv2.LINE_AA, 4)

    def _snow(self, img: np.ndarray, i: int) -> None:
        """Snowflakes drifting down: seeded per flake, positions a pure function of the frame index.
        In a loop every flake falls for one loop from its own moment in it and is born again where it
        began (frame N is frame 0), so the re-births are spread over all frames, not all at the seam;
        the sway keeps a whole number of swings a loop (none in a short one)."""
        rng = np.random.default_rng([int(self.request.scene.set_seed) & 0xFFFFFFFF, 0x736E6F77])
        w, h = self.width, self.height
        n = max(8, w * h // 3000)
        x0, y0 = rng.uniform(0, w, n), rng.uniform(0, h, n)
        speed, sway, size = rng.uniform(0.004, 0.012, n) * h, rng.uniform(0.5, 2.0, n), rng.uniform(0.6, 1.8, n)
        period = self.loop_frames
        if period:
            born = rng.uniform(0.0, 1.0, n)   # drawn last: a plain take's flakes are as they were
            swings = round(0.15 * period / (2 * math.pi))
            x = (x0 + sway * np.sin(2 * math.pi * swings * i / period + x0)) % w
            y = (y0 + speed * period * ((i / period + born) % 1.0 - born)) % h
        else:
            x = (x0 + sway * np.sin(i * 0.15 + x0)) % w
            y = (y0 + speed * i) % h
        radius = np.maximum(1, np.rint(size * h / 480)).astype(int)
        for xx, yy, rr in zip(np.rint(x * 16).astype(int), np.rint(y * 16).astype(int), radius):
            cv2.circle(img, (int(xx), int(yy)), int(rr) * 16, (235, 235, 235), -1, cv2.LINE_AA, 4)

    def _fog(self, img: np.ndarray, pose: CameraPose, states) -> None:
        """Fog by distance: the depth pass of the frame (near = bright) blends the picture into haze."""
        depth = stage.call(self._scene.render, pose, states, "depth").astype(np.float32) / 255.0
        far = (1.0 - depth) ** 0.7                       # 0 at the lens .. 1 at 40 m and beyond
        haze = np.array([190, 188, 182], np.float32) * float(np.clip(self.world.light.ambient * 1.6, 0.3, 1.0))
        a = (far * 0.85)[..., None]
        img[:] = np.clip(img.astype(np.float32) * (1 - a) + haze * a, 0, 255).astype(np.uint8)

    def _labels(self, img: np.ndarray, pose: CameraPose, states: list[FigureState]) -> None:
        r = Pinhole(pose, self.width, self.height)
        scale = max(0.3, self.height / 720 * 0.55)
        thick = max(1, int(round(self.height / 540)))
        for f in states:
            if not f.name:
                continue
            point = np.array([f.x, f.height * 1.06 + 0.12, f.z])
            cam = r.to_camera(point[None, :])[0]
            if cam[2] <= 0.3 or f.height * r.f / cam[2] > 1.2 * self.height:
                continue  # behind, or so close that the label would cover the face
            p = r.project(cam[None, :])[0]
            (tw, th), _ = cv2.getTextSize(f.name, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
            x, y = int(round(p[0] - tw / 2)), int(round(p[1]))
            if -tw < x < self.width and 0 < y < self.height + th:
                cv2.putText(img, f.name, (x + 1, y + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 1,
                            cv2.LINE_AA)
                cv2.putText(img, f.name, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)

    # -- continuity ------------------------------------------------------------------------------
    def end_state(self) -> dict[str, Any]:
        last = self.frames - 1
        return {"renderer": RENDERER_VERSION, "mode": self.mode, "frame": last,
                "camera": self.camera_pose(last).to_dict(), "aim_height": self.aim_height,
                "framing": framing_of(self.request.camera),
                "subject": self.subject_name, "figures": [f.to_dict() for f in self.figure_states(last)],
                "world": {"set_seed": self.request.scene.set_seed, **self.world.info}}


# Mask pass ids: one flat colour per figure (then prop) in order; the set is black.
MASK_COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255), (0, 255, 255),
                (255, 128, 0), (128, 0, 255), (0, 128, 255), (255, 0, 128), (128, 255, 0), (0, 255, 128))
DEPTH_FAR_M = 40.0
PRACTICAL_GAIN = 10.0      # a lit prop's light on what stands under it (x its RGB, x the hour's practicals) ...
PRACTICAL_FALLOFF = 0.5    # ... over 1 + 0.5 d^2: about 2x under a post's head (2.9 m to her chest), 0.6x 5 m off
SSAA_MAX_PIXELS = 480 * 270
DEPTH_SPAN_M = 2048.0  # the depth pass: 255 at the near plane .. 0 at this distance and beyond


def model_note(path: str) -> str:
    """What the previs does with a character's own model (mannequin.figure_model decides the same way)."""
    from .assets import check_glb
    from .retarget import match, readable
    hit = match(check_glb(path))
    if hit.compatible:
        bones = hit.mapped()
        spaces = {b.rpartition(":")[0] for b in bones}   # mixamorig:Hips ...: the namespace said once
        space = f" {spaces.pop()}" if len(spaces) == 1 and "" not in spaces else ""
        names = ", ".join(b.rpartition(":")[2] if space else b for b in bones)
        return f"its own model is posed by the motion library ({len(bones)}{space} bones mapped: {names})"
    why = ("skeleton not compatible: missing " + ", ".join(readable(r) for r in hit.missing)) if hit.has_skin \
        else "no skeleton"
    return f"its own model is placed rigidly (it travels and turns; {why})"


def look_of(c) -> Look:
    return Look(colour=hex_rgb(c.color or "#c0504d"), model=getattr(c, "model", "") or "")


def pose_pass(pose: CameraPose, states: list[FigureState], width: int, height: int):
    """The OpenPose drawing (BGR) and the keypoints [[x, y, visible] * 18] per figure of one frame."""
    r = Pinhole(pose, width, height)
    img = np.zeros((height, width, 3), np.uint8)
    people = []
    stick = max(1, int(round(height / 180)))
    for f in states:
        pts, depth = r.pixels(coco_keypoints(skeleton(f)))
        vis = (depth > 0.05) & (pts[:, 0] >= 0) & (pts[:, 0] < width) & (pts[:, 1] >= 0) & (pts[:, 1] < height)
        people.append({"name": f.name, "keypoints": [[round(float(p[0]), 2), round(float(p[1]), 2), int(v)]
                                                      for p, v in zip(pts, vis)]})
        for k, (a, b) in enumerate(COCO_LIMBS):
            if depth[a] > 0.05 and depth[b] > 0.05:
                c = OPENPOSE_COLOURS[k]
                cv2.line(img, tuple(int(v) for v in np.rint(pts[a])), tuple(int(v) for v in np.rint(pts[b])),
                         (int(c[2] * 0.6), int(c[1] * 0.6), int(c[0] * 0.6)), stick * 2, cv2.LINE_AA)
        for k in range(18):
            if depth[k] > 0.05:
                c = OPENPOSE_COLOURS[k]
                cv2.circle(img, tuple(int(v) for v in np.rint(pts[k])), stick * 2, (c[2], c[1], c[0]), -1,
                           cv2.LINE_AA)
    return img, people


class _Scene:
    """The Panda3D scene of one renderer: set, sky, mannequins, lights and three cameras (colour,
    depth, mask) sharing one lens. Created and used on the Panda thread only."""

    def __init__(self, world: World, starts: list[FigureState], looks: list, width: int, height: int,
                 props: list | None = None, location_models: tuple = ()):
        from panda3d.core import (AmbientLight, Camera, DirectionalLight, LMatrix4f, NodePath, PerspectiveLens,
                                  TexGenAttrib, Texture, TextureStage, TransformState, SamplerState)
        self.stage = stage.stage()
        # Small frames are rendered at twice the size and averaged down (anti-aliased edges, so slow
        # moves glide); at 720p and up the pixels are small enough and the budget is tight.
        self.ssaa = (4 if width * height <= SSAA_MAX_PIXELS // 2 else 2) if width * height <= SSAA_MAX_PIXELS else 1
        self.target = self.stage.target(width * self.ssaa, height * self.ssaa)
        self.width, self.height = width, height
        self.root = NodePath("previs")
        stage.mirrored(self.root)
        self.world = world
        self.set = sets.set_node(world, self.root)
        self.lens = PerspectiveLens()
        cam = Camera("colour", self.lens)
        self.camera = self.root.attachNewNode(cam)
        self.sky = sets.sky_node(world, self.root)
        light = world.figure_light or world.light
        tint = np.clip(light.tint, 0, 2)
        sun = DirectionalLight("key")
        sun.setColor((*(tint[::-1] * light.diffuse), 1))
        sun_np = self.root.attachNewNode(sun)
        d = stage.to_panda(-np.asarray(light.sun))
        sun_np.lookAt(*d)
        amb = AmbientLight("ambient")
        amb.setColor((*(tint[::-1] * light.ambient * 0.75), 1))
        amb_np = self.root.attachNewNode(amb)
        # A fill from the lens (parented to the camera, as a film crew keys the subject): faces and
        # garments read whatever side the sun is on.
        fill = DirectionalLight("fill")
        fill.setColor((*(tint[::-1] * 0.5), 1))
        fill_np = self.camera.attachNewNode(fill)
        self.actors = self.root.attachNewNode("actors")
        # Drawn in scene-graph order: the default opaque bin sorts by state (pointer order), which
        # decides ties between touching parts differently from run to run.
        self.actors.setBin("unsorted", 0)
        # Distinct priorities fix the order lights are summed in (else it follows pointer order, and
        # float rounding makes runs differ by a level here and there).
        for prio, lnp in enumerate((fill_np, amb_np, sun_np)):
            lnp.node().setPriority(prio + 1)
            self.actors.setLight(lnp)
        self.looks_by_name = {f.name: (looks[k] if k < len(looks) else None) for k, f in enumerate(starts)}
        self.looks_list = list(looks)
        self.cast_nodes = []
        self._cast(starts, looks)
        # Props: lit, one mask id each after the figures'; a held prop rides in its holder's hand.
        lamps_on = world.light.name in ("dusk", "night") or world.info.get("interior", False)
        self.props = []
        from .assets import fit_model, place_model
        for path in location_models:   # lit like the figures (the kit set's light is baked)
            place_model(path, self.actors)
        for j, p in enumerate(props or []):
            if p.get("model"):
                node = fit_model(p["model"], p["dims"], self.actors, f"prop-{p['kind']}")
            else:
                node = prop_node(self.actors, p["kind"], p["colour"], p["dims"], lamps_on, _material)
            node.setPos(*stage.to_panda(p["at"]))
            node.setH(-p.get("turn", 0.0))
            node.setTag("pass", f"id{(len(starts) + j) % len(MASK_COLOURS)}")
            self.props.append((node, p))
            if lamps_on and practical(node) is not None:
                self._practical(node, len(self.props) + 3)
        # Ground shadows (shadows.py): cast along the key light where it casts, and a contact shadow.
        self.shadows = GroundShadows(self.root, world, self.set, cast_light(world))
        self.shadows.rebuild(self.figures, self.stools, self.props)
        # Depth camera: eye-space distance along the optical axis -> a gray ramp by texgen (the
        # software renderer has no depth read-back and no shaders; texgen is fixed-function).
        # The ramp spans the whole scene (u = distance / DEPTH_SPAN_M stays in 0..1 at every vertex:
        # the software rasterizer garbles texture coordinates far outside that) and is linear up
        # to DEPTH_FAR_M: bilinear filtering reproduces a linear ramp exactly between texels.
        n = 2048
        metres = (np.arange(n) + 0.5) * DEPTH_SPAN_M / n
        values = np.clip(np.rint(255 * (1 - metres / DEPTH_FAR_M)), 0, 255).astype(np.uint8)
        ramp = Texture("depth-ramp")
        ramp.setup2dTexture(n, 1, Texture.T_unsigned_byte, Texture.F_luminance)
        ramp.setRamImage(values.tobytes())
        ramp.setWrapU(SamplerState.WM_clamp)
        ramp.setWrapV(SamplerState.WM_clamp)
        ramp.setMinfilter(SamplerState.FT_linear)
        ramp.setMagfilter(SamplerState.FT_linear)
        ts = TextureStage.getDefault()
        m = LMatrix4f(0, 0, 0, 0, 1 / DEPTH_SPAN_M, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0, 1)
        depth_state = NodePath("depth-state")
        depth_state.setLightOff(1000)
        depth_state.setColor(1, 1, 1, 1, 1000)
        depth_state.setTextureOff(1000)
        depth_state.setTexture(ts, ramp, 1001)
        depth_state.setTexGen(ts, TexGenAttrib.MEyePosition, 1001)
        depth_state.setTexTransform(ts, TransformState.makeMat(m))
        dcam = Camera("depth", self.lens)
        dcam.setInitialState(depth_state.getState())
        dcam.setTagStateKey("pass")
        self.depth_camera = self.camera.attachNewNode(dcam)
        mask_state = NodePath("mask-state")
        mask_state.setLightOff(1000)
        mask_state.setTextureOff(1000)
        mask_state.setColor(0, 0, 0, 1, 1000)
        mcam = Camera("mask", self.lens)
        mcam.setInitialState(mask_state.getState())
        mcam.setTagStateKey("pass")
        for k in range(len(MASK_COLOURS)):
            c = MASK_COLOURS[k]
            s = NodePath("id")
            s.setColor(c[0] / 255, c[1] / 255, c[2] / 255, 1, 1001)
            s.setLightOff(1001)
            s.setTextureOff(1001)
            mcam.setTagState(f"id{k}", s.getState())
        self.mask_camera = self.camera.attachNewNode(mcam)

    def reset_cast(self) -> None:
        self.names = None   # the next render builds the cast again (with the looks now known)

    def _practical(self, node, priority: int) -> None:
        """A lit prop lights what stands near it (a point light at its head, falling off with distance:
        the figure under a street lamp reads in its light) and pools on the ground under it."""
        from panda3d.core import PointLight
        head, radius, colour = practical(node)
        strength = PRACTICALS.get(self.world.light.name, 1.0)
        lamp = PointLight("practical")
        lamp.setColor((*(np.asarray(colour) / 255.0 * PRACTICAL_GAIN * strength), 1))
        lamp.setAttenuation((1.0, 0.0, PRACTICAL_FALLOFF))
        lamp.setPriority(priority)   # a fixed summing order (see the key light's)
        lnp = node.attachNewNode(lamp)
        lnp.setPos(*stage.to_panda(head))
        self.actors.setLight(lnp)
        node.setLightOff(lnp)        # not its own post: the lamp shines down and out, like the set's (baked) posts
        at = lnp.getPos(self.root)
        pool_node(self.root, (float(at[0]), float(at[1])), radius, colour, strength)

    def _cast(self, starts: list[FigureState], looks: list) -> None:
        """Build the mannequins (and stools) for these figures, replacing any before."""
        from panda3d.core import NodePath
        for node in getattr(self, "cast_nodes", []):
            node.removeNode()
        self.cast_nodes = []
        self.names = [f.name for f in starts]
        self.figures = []
        for k, f in enumerate(starts):
            look = looks[k] if k < len(looks) and looks[k] is not None else Look(colour=hex_rgb(f.color))
            m = (figure_model(self.actors, look, f.name, f.height) if look.model
                 else Mannequin(self.actors, look, f.name))
            m.root.setTag("pass", f"id{k}")
            self.figures.append(m)
            self.cast_nodes.append(m.root)
        self.stools = []
        for k, f in enumerate(starts):
            stool = None
            if f.seat:
                stool = NodePath(geom.quads_mesh("stool", *_stool_quads()))
                stool.setMaterial(_material((105, 82, 60)), 1)
                stool.reparentTo(self.actors)
                stool.setTag("pass", f"id{k}")
                self.cast_nodes.append(stool)
            self.stools.append(stool)

    def render(self, pose: CameraPose, states: list[FigureState], kind: str) -> np.ndarray:
        if [f.name for f in states] != self.names or len(states) != len(self.figures):
            # A remix operation's timeline (a blend of two takes, say) brings its own figures.
            self._cast(states, [self.looks_by_name.get(f.name) for f in states])
            self.shadows.rebuild(self.figures, self.stools, self.props)
        self.camera.setMat(stage.camera_matrix(pose))
        stage.set_lens(self.lens, pose, self.width * self.ssaa, self.height * self.ssaa)
        self.sky.setPos(*stage.to_panda(pose.position))
        joints = []
        for n, (m, stool, f) in enumerate(zip(self.figures, self.stools, states)):
            joints.append(m.pose(f))
            k = f.height / 1.75
            self.shadows.place_contact(n, f)
            if stool is not None:
                h = math.radians(f.heading)
                stool.setPos(f.x - math.sin(h) * 0.12 * k, f.z - math.cos(h) * 0.12 * k, 0)
                stool.setScale(k)
                stool.setH(-f.heading)
        for node, p in self.props:
            k = p["holder"]
            if k is not None and k < len(joints) and states[k].carry > 0:
                hand = joints[k]["r_hand"]
                node.setPos(*stage.to_panda(hand + np.array([0.0, -0.02, 0.0])))  # the solver's mark
                node.setH(-states[k].heading)
        cam = {"colour": self.camera, "depth": self.depth_camera, "mask": self.mask_camera}[kind]
        if kind != "colour":
            self.shadows.hide()
            self.sky.hide()  # the passes clear to black: far, no id
        try:
            img = stage.render_to_array(self.target, cam, (0, 0, 0))
        finally:
            self.shadows.show()
            self.sky.show()
        if self.ssaa > 1 and kind != "mask":  # the mask keeps its exact id colours
            img = cv2.resize(img, (self.width, self.height), interpolation=cv2.INTER_AREA)
        elif self.ssaa > 1:
            img = np.ascontiguousarray(img[::self.ssaa, ::self.ssaa])
        if kind == "depth":
            return np.ascontiguousarray(img[..., 1])
        return img


def _stool_quads():
    from . import geom as g
    from .rig import SEAT_HEIGHT
    q, n = g.box_quads([[0.0, SEAT_HEIGHT / 2, 0.0]], [np.eye(3)], [[0.24, SEAT_HEIGHT / 2, 0.24]])
    return q, np.full((len(q), 3), 255.0), n


def framing_of(cue) -> dict[str, Any]:
    """The camera setup a shot asks for (what a cut may change), as recorded in a take's end state."""
    return {"shot_size": cue.shot_size.value, "lens_mm": float(cue.lens_mm), "angle": cue.angle.value}


def _same_setup(state: dict, cue, subject: str) -> bool:
    """Is a chained shot a continuation of the take that ended in `state`? States written before
    framing was recorded count as continuations (what they always were)."""
    framing = state.get("framing")
    same_framing = framing is None or framing == framing_of(cue)
    return same_framing and state.get("subject", subject) == subject


class BoardRenderer:
    """Board mode: the camera move applied to the board image split into three depth layers.

    Depth guess (documented choice): horizontal bands. On a storyboard panel drawn at eye level the
    lower part of the frame is nearer the camera than the upper part (the ground plane recedes
    toward the horizon), so the image is one background plane at 2.5x the subject distance, the
    part below ~40% of the height a subject plane at the subject distance, and the part below ~78%
    a foreground plane at 0.8x, each band feathered into the next. At the start pose the three planes
    project to exactly the board image; a camera move then slides them at different rates.
    Off-image areas repeat the image mirrored (an animatic's overscan). Motion cues cannot move a
    painted figure: they are recorded but not executed here.
    """

    mode = "board"
    LAYERS = ((2.5, None), (1.0, (0.33, 0.47)), (0.8, (0.72, 0.84)))  # depth x subject distance, band (from, to)

    def __init__(self, request: GenerationRequest):
        self.request = request
        self.width, self.height, self.frames = request.width, request.height, request.frames
        self.fps = float(request.fps)
        path = request.scene.board_image
        image = cv2.imread(str(path), cv2.IMREAD_COLOR) if path else None
        if image is None:
            raise EngineError(ErrorKind.BAD_INPUT, f"the board image {path} cannot be read",
                              "Re-import the board as a PNG or JPEG, or remove it to render the 3D set.")
        self.board = _cover(image, self.width, self.height)
        cue = request.camera
        self.distance = subject_distance(cue.shot_size, cue.lens_mm, self.width, self.height)
        self.canonical = CameraPose((0.0, 1.6, 0.0), 0.0, 0.0, 0.0, cue.lens_mm)
        state = dict(request.scene.start_state) if request.scene.start_state else None
        start = self.canonical
        self.continued = False
        if state and state.get("mode") == "board" and state.get("board") == str(path):
            try:
                start = CameraPose.from_dict(state["camera"])
                self.canonical = CameraPose.from_dict(state.get("canonical", self.canonical.to_dict()))
                self.continued = True
            except (KeyError, TypeError, ValueError) as exc:
                raise EngineError(ErrorKind.BAD_INPUT, f"the start state of the previous take is unreadable: {exc}",
                                  "Choose the previous take again or set the shot's continuity to fresh.") from exc
        aim = np.array([0.0, 1.6, self.distance])
        self.path = CameraPath(cue, start, aim, self.frames, self.fps, request.seed)
        rows = np.arange(self.height, dtype=np.float32)[:, None] / max(1, self.height - 1)
        self.masks = []
        for _, band in self.LAYERS[1:]:
            lo, hi = band
            t = np.clip((rows - lo) / (hi - lo), 0, 1)
            a = (t * t * (3 - 2 * t)).astype(np.float32)
            self.masks.append(np.repeat(a, self.width, axis=1))
        w, h = self.width, self.height
        self._src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)

    def _layer_corners(self, depth: float) -> np.ndarray:
        """World corners of a layer plane that fills the canonical view exactly."""
        c = self.canonical
        right, up, fwd = c.basis()
        f0 = c.focal_px(self.width)
        pos = np.asarray(c.position)
        out = []
        for u, v in self._src:
            out.append(pos + fwd * depth + right * (u - self.width / 2) / f0 * depth
                       - up * (v - self.height / 2) / f0 * depth)
        return np.array(out)

    def frame(self, i: int) -> np.ndarray:
        pose = self.path.pose(i)
        r = Pinhole(pose, self.width, self.height)
        out = None
        layers = self.LAYERS
        if np.allclose(pose.position, self.canonical.position, atol=1e-9, rtol=0):
            # A camera that only turns or zooms sees no parallax: every layer maps alike, warp once.
            layers = self.LAYERS[:1]
        w, h = self.width, self.height
        for k, (depth_k, band) in enumerate(layers):
            cam = r.to_camera(self._layer_corners(depth_k * self.distance))
            if (cam[:, 2] <= 0.02).any():
                continue  # the camera has passed this plane
            dst = r.project(cam).astype(np.float32)
            hmat = cv2.getPerspectiveTransform(self._src, dst)
            if out is None:
                out = cv2.warpPerspective(self.board, hmat, (w, h), flags=cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_REFLECT_101)
                continue
            # A nearer band only covers the rows below its top edge: warp and blend just those.
            y0 = self._first_row_showing(hmat, band[0])
            if y0 >= h:
                continue
            roi = np.array([[1, 0, 0], [0, 1, -y0], [0, 0, 1.0]]) @ hmat
            layer = cv2.warpPerspective(self.board, roi, (w, h - y0), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_REFLECT_101)
            alpha = cv2.warpPerspective(self.masks[k - 1], roi, (w, h - y0), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_REPLICATE)
            out[y0:] = cv2.blendLinear(layer, out[y0:], alpha, 1.0 - alpha)
        if out is None:
            out = self.board.copy()
        if self.request.burn_in:
            draw_burn_in(out, self.request.burn_in, i, self.fps)
        return out

    def _first_row_showing(self, hmat: np.ndarray, band_from: float) -> int:
        """The first output row where any pixel maps at or below the band's top source row.
        Along an output row the source row of a homography is monotonic in x, so the two ends of
        each row bound it."""
        hinv = np.linalg.inv(hmat)
        ys = np.arange(self.height, dtype=np.float64)
        top = band_from * (self.height - 1) - 2.0  # a margin for bilinear taps
        need = np.zeros(self.height, dtype=bool)
        for x in (0.0, self.width - 1.0):
            den = hinv[2, 0] * x + hinv[2, 1] * ys + hinv[2, 2]
            v = (hinv[1, 0] * x + hinv[1, 1] * ys + hinv[1, 2]) / np.where(np.abs(den) < 1e-12, 1e-12, den)
            need |= (v >= top) | (den <= 0)
        rows = np.nonzero(need)[0]
        return int(rows[0]) if len(rows) else self.height

    def end_state(self) -> dict[str, Any]:
        last = self.frames - 1
        return {"renderer": RENDERER_VERSION, "mode": self.mode, "frame": last, "board": self.request.scene.board_image,
                "camera": self.path.pose(last).to_dict(), "canonical": self.canonical.to_dict()}


def _cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to cover width x height and crop the centre (the board keeps its proportions)."""
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    nw, nh = max(width, int(math.ceil(w * scale))), max(height, int(math.ceil(h * scale)))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    x0, y0 = (nw - width) // 2, (nh - height) // 2
    return np.ascontiguousarray(resized[y0:y0 + height, x0:x0 + width])


def ignored_cues(request: GenerationRequest) -> list[str]:
    """What a renderer could not execute, recorded in the take's metadata."""
    notes = []
    if request.scene.board_image and any(not m.is_empty for m in request.motion):
        notes.append("motion cues are not executed on a board image")
    if not request.scene.board_image and request.camera.move is not CameraMove.STATIC and not request.scene.characters:
        notes.append("no characters: the camera frames the empty mark")
    return notes
