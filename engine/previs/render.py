"""Frame renderers: the 3D blocking set and the board-image parallax animatic.

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
from typing import Any, Optional

import cv2
import numpy as np

from ..cues import CameraMove, MotionCue
from ..errors import EngineError, ErrorKind
from ..jobs import GenerationRequest
from dataclasses import replace

from .camera import CameraPath, CameraPose, initial_pose, subject_distance
from .framing import follow, layout, prop_dims, solve
from .figures import FigureState, FigureTrack, default_figures, figure_parts
from .raster import Raster
from .scene import World, build_world, rgb

RENDERER_VERSION = "previs-1.2"  # 1.1: sets dressed by location kind (dressing.py); 1.2: the shot plan

# Box corner signs and the 6 faces (corner indices, which axis, which side).
_SIGNS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=np.float64)
_FACES = [((0, 1, 3, 2), 0, -1), ((4, 6, 7, 5), 0, 1), ((0, 4, 5, 1), 1, -1), ((2, 3, 7, 6), 1, 1),
          ((0, 2, 6, 4), 2, -1), ((1, 5, 7, 3), 2, 1)]
_FACE_IDX = np.array([f[0] for f in _FACES])
_FACE_AXIS = np.array([f[1] for f in _FACES])
_FACE_SIDE = np.array([f[2] for f in _FACES], dtype=np.float64)
SKY_DOWNSCALE = 16


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


# The old dressing's kinds for the plan's place kinds (engine/previs/dressing.py reads words).
_OLD_SET_WORD = {"street": "street", "alley": "street", "car_park": "parking", "square": "square",
                 "station": "station", "mountain_road": "road", "harbour": "harbour", "boat_deck": "harbour",
                 "lighthouse": "harbour", "beach": "beach", "forest": "forest", "park": "park", "field": "field",
                 "desert": "desert", "rooftop": "rooftop", "kitchen": "kitchen", "diner": "diner", "bar": "bar",
                 "office": "office", "classroom": "classroom", "bank_vault": "bank", "living_room": "living",
                 "bedroom": "bedroom", "hall": "hall"}
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


def _add_props(world: World, plan, shift=np.zeros(3), turn: float = 0.0, about=(0.0, 0.0)) -> None:
    """The plan's props as plain boxes on their marks (the 3D renderer dresses them properly), moved
    and turned with the subject when a chained shot finds it off its mark."""
    marks = layout(plan).props
    if not marks:
        return
    a = math.radians(turn)
    rot = np.array([[math.cos(a), 0.0, -math.sin(a)], [0.0, 1.0, 0.0], [math.sin(a), 0.0, math.cos(a)]])
    centre = np.array([about[0], 0.0, about[1]])
    centres, axes, half, colours = [], [], [], []
    for pm in marks:
        prop = plan.props[pm.prop]
        w, h, d = prop_dims(prop.kind, pm.size)
        p = np.array([pm.x, pm.y, pm.z]) + shift - centre
        p = centre + np.array([p[0] * math.cos(a) + p[2] * math.sin(a), p[1], -p[0] * math.sin(a) + p[2] * math.cos(a)])
        centres.append(p)
        axes.append(rot)
        half.append([w / 2, h / 2, d / 2])
        colours.append(rgb(prop.colour or _PROP_COLOUR))
    world.box_centres = np.concatenate([world.box_centres, np.array(centres)])
    world.box_axes = np.concatenate([world.box_axes, np.array(axes)])
    world.box_half = np.concatenate([world.box_half, np.array(half)])
    world.box_colours = np.concatenate([world.box_colours, np.array(colours)])


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
    """The procedural 3D set with mannequins, seen through the cue's pinhole camera."""

    mode = "blocking"

    def __init__(self, request: GenerationRequest, world: Optional[World] = None):
        self.request = request
        self.width, self.height, self.frames = request.width, request.height, request.frames
        self.fps = float(request.fps)
        scene = request.scene
        plan = request.plan
        if plan is not None:
            # The plan is resolved by the studio: its light, interior and place win over the heading's
            # words (this renderer's dressing knows a few kinds: name the nearest one it knows).
            word = _OLD_SET_WORD.get(plan.place.kind, "")
            scene = replace(scene, time_of_day=plan.light, interior=plan.place.interior,
                            heading=f"{'INT' if plan.place.interior else 'EXT'}. {word.upper()}",
                            location=word, style=scene.style)
        self.world = world or build_world(scene)
        if plan is not None and world is None:
            if plan.weather in ("rain", "storm"):
                self.world.weather = "rain"
        state = dict(scene.start_state) if scene.start_state else None
        if state is not None and state.get("mode", "blocking") != "blocking":
            state = None  # a board take's end state says nothing about this set
        self.continued = state is not None
        figures = plan_figures(plan, scene.characters) if plan is not None else default_figures(scene.characters)
        if state is not None:
            try:
                saved = {f["name"]: FigureState.from_dict(f) for f in state.get("figures", [])}
                start_pose = CameraPose.from_dict(state["camera"])
                aim_height = float(state.get("aim_height", 1.3))
            except (KeyError, TypeError, ValueError) as exc:
                raise EngineError(ErrorKind.BAD_INPUT, f"the start state of the previous take is unreadable: {exc}",
                                  "Choose the previous take again or set the shot's continuity to fresh.") from exc
            figures = [saved.get(f.name, f) for f in figures]
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
        if plan is not None:
            # The framing solver places the camera from the plan; moves are relative to its subject.
            framing = solve(plan, request.camera, self.width, self.height)
            lead = framing.layout.marks[0] if framing.layout.marks else None
            prop_shift, prop_turn = np.zeros(3), 0.0
            if state is not None and lead is not None and figures:
                # A chained shot on a new setup: the subject stands (and faces) where the previous take
                # left it; the framing, and the props the plan puts about it, go with it.
                prop_shift = np.array([subject.x - lead.x, 0.0, subject.z - lead.z])
                prop_turn = ((subject.heading - lead.heading + 180.0) % 360.0) - 180.0
                framing = framing.shifted(prop_shift).turned(prop_turn, (subject.x, 0.0, subject.z))
            if world is None:
                _add_props(self.world, plan, prop_shift, prop_turn, (subject.x, subject.z))
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
        self.tracks = [FigureTrack(f, cues.get(f.name), self.frames, self.fps, right,
                                   np.asarray(start_pose.position), fresh=state is None) for f in figures]
        self._follow = None
        if plan is not None and self.tracks and self.tracks[0].walking:
            lead_track = self.tracks[0]
            if request.camera.move in (CameraMove.PAN, CameraMove.TILT):
                # A pan on a walker goes the way the walker goes (its span as cued, uncapped).
                across = float(np.dot(lead_track.travel, right))
                if request.camera.move is CameraMove.PAN and abs(across) > 1e-6 and not self.camera_continued:
                    # It starts on the walker (off its mark at frame 0) and pans the way it walks.
                    cue = request.camera.with_(direction="right" if across > 0 else "left")
                    s0 = lead_track.state(0)
                    begin = follow(start_pose, np.array(framing.aim),
                                   np.array([s0.x - figures[0].x, 0.0, s0.z - figures[0].z]))
                    self.path = CameraPath(cue, begin, np.array(framing.aim), self.frames, self.fps,
                                           request.seed, focus=np.array(framing.focus))
            else:
                # Otherwise the operator follows the walker on top of the cued move. Applied per frame
                # from the subject's state, so remix retimings of path and figures keep it.
                self._follow = (np.array(framing.aim), np.array([figures[0].x, 0.0, figures[0].z]))
        self.raster = Raster(self.width, self.height)
        self._prepare_static()

    # -- setup -----------------------------------------------------------------------------------
    def _prepare_static(self) -> None:
        w = self.world
        light = w.light
        self._box_faces = self._faces_of(w.box_centres, w.box_axes, w.box_half, w.box_colours)
        self._box_radius = np.linalg.norm(w.box_half, axis=1) if len(w.box_half) else np.zeros(0)
        self._box_centres = w.box_centres
        if w.decals is not None and len(w.decals):
            # Decals join the painter's sort as one-face "boxes": the other five faces have zero
            # normals, so they are never visible.
            q = len(w.decals)
            corners = np.zeros((q, 8, 3))
            corners[:, [0, 1, 3, 2]] = w.decals  # face 0 uses corners (0, 1, 3, 2)
            normals = np.zeros((q, 6, 3))
            normals[:, 0] = w.decal_normals
            colours = np.zeros((q, 6, 3))
            colours[:, 0] = w.decal_colours
            c, n, col = self._box_faces
            self._box_faces = (np.concatenate([c, corners]), np.concatenate([n, normals]),
                               np.concatenate([col, colours]))
            centres = w.decals.mean(axis=1)
            self._box_centres = np.concatenate([w.box_centres, centres])
            radius = np.linalg.norm(w.decals - centres[:, None, :], axis=2).max(axis=1)
            self._box_radius = np.concatenate([self._box_radius, radius])
        self._figure_cache: dict[FigureState, tuple] = {}
        self._figure_light = w.figure_light or light
        sw, sh = max(2, -(-self.width // SKY_DOWNSCALE)), max(2, -(-self.height // SKY_DOWNSCALE))
        us = (np.arange(sw) + 0.5) * self.width / sw
        vs = (np.arange(sh) + 0.5) * self.height / sh
        self._sky_uv = np.stack(np.meshgrid(us, vs), -1)
        self._sky_top, self._sky_hor = light.sky_top * light.tint ** 0.3, light.sky_horizon
        self._ground = w.ground_colour
        a = np.linspace(0, 2 * math.pi, 16, endpoint=False)
        self._shadow_ring = np.stack([np.cos(a) * 0.34, np.full_like(a, 0.002), np.sin(a) * 0.26], -1)
        self._shadow_colour = (w.ground_texture.border if w.ground_texture is not None else self._ground) * 0.55
        self._haze = self._sky_hor * 0.55 + self._ground * 0.45

    def _faces_of(self, centres, axes, half, colours, light=None):
        """Per box: its 8 corners and the 6 lit face colours (unlit colours (M, 3))."""
        if len(centres) == 0:
            return np.zeros((0, 8, 3)), np.zeros((0, 6, 3)), np.zeros((0, 6, 3))
        scaled = axes * half[:, :, None]                        # (M, 3, 3)
        corners = centres[:, None, :] + _SIGNS @ scaled         # (M, 8, 3)
        normals = axes[:, _FACE_AXIS, :] * _FACE_SIDE[None, :, None]  # (M, 6, 3)
        light = light or self.world.light
        lam = np.clip(normals @ light.sun, 0, 1)
        lit = colours[:, None, :] * light.tint * (light.ambient + light.diffuse * lam)[..., None]
        return corners, normals, np.clip(lit, 0, 255)

    # -- per frame -------------------------------------------------------------------------------
    def figure_states(self, i: int) -> list[FigureState]:
        return [t.state(i) for t in self.tracks]

    def camera_pose(self, i: int) -> CameraPose:
        """Frame i's camera: the cue's path, turned to follow a walking subject."""
        pose = self.path.pose(i)
        follow_info = getattr(self, "_follow", None)
        if follow_info is None:
            return pose
        aim, mark = follow_info
        lead = self.figure_states(i)[0]
        # The walker may drift a fifth of the field of view off its framing before the camera turns.
        hfov = math.degrees(2 * math.atan(18.0 / pose.lens_mm))
        dead = (0.2 * hfov, 0.2 * hfov * self.height / self.width)
        return follow(pose, aim, np.array([lead.x, 0.0, lead.z]) - mark, dead)

    def frame(self, i: int) -> np.ndarray:
        pose = self.camera_pose(i)
        r = self.raster
        r.set_camera(pose)
        plan = self._ground_plan()
        # Rows fully below the horizon are all ground: the sky is only painted above them.
        full_rows = plan is not None and plan[3] and plan[2][0] == 0 and plan[2][2] == self.width
        sky_rows = plan[2][1] if full_rows else self.height
        img = self._sky(pose, max(1, sky_rows))
        if plan is not None:
            self._draw_ground(img, plan)
        cam_pos = r.C
        for layer in self.world.layers:
            vis = np.einsum("ij,ij->i", cam_pos - layer.centres, layer.normals) > 0
            if not vis.any():
                continue
            cam = r.to_camera(layer.quads[vis])
            r.fill_batch(img, cam, layer.colours[vis], layer.classes[vis] if layer.grouped else None, aa=layer.aa)
        self._draw_objects(img, i, pose)
        if self.world.weather == "rain":
            self._rain(img, i)
        if self.request.burn_in:
            draw_burn_in(img, self.request.burn_in, i, self.fps)
        return img

    def _rain(self, img: np.ndarray, i: int) -> None:
        """Rain streaks over the frame: short slanted lines, new every frame from a seed of the set
        and the frame index (frame(i) stays pure), two tones in two batched calls."""
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

    def _ground_plan(self):
        """(homography texture -> image, ground polygon, bbox, every bbox pixel sees ground) or None."""
        gt = self.world.ground_texture
        r = self.raster
        if gt is None or r.C[1] <= 1e-3:
            return None
        K = np.array([[r.f, 0, r.cx], [0, r.f, r.cy], [0, 0, 1.0]])
        plane = np.stack([r.R[:, 0], r.R[:, 2], -r.R @ r.C], axis=1)       # (x, z, 1) -> camera
        tex_to_world = np.array([[1 / gt.ppm, 0, gt.x0 + 0.5 / gt.ppm], [0, 1 / gt.ppm, gt.z0 + 0.5 / gt.ppm],
                                 [0, 0, 1.0]])
        hmat = K @ plane @ tex_to_world
        # Pixels whose rays point downward (world y < 0) see the ground: a half-plane of the image.
        g = (r.R.T @ np.linalg.inv(K))[1]
        region = _clip_rect_halfplane(self.width, self.height, g)
        if region is None:
            return None
        x0, y0 = int(np.floor(region[:, 0].min())), int(np.ceil(region[:, 1].min() - 1e-9))
        x1, y1 = int(np.ceil(region[:, 0].max())), int(np.ceil(region[:, 1].max()))
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(self.width, x1), min(self.height, y1)
        if x1 <= x0 or y1 <= y0:
            return None
        corners = np.array([[x0, y0, 1], [x1 - 1, y0, 1], [x0, y1 - 1, 1], [x1 - 1, y1 - 1, 1]], dtype=np.float64)
        inside = bool((corners @ g < 0).all())
        return hmat, region, (x0, y0, x1, y1), inside

    def _draw_ground(self, img: np.ndarray, plan) -> None:
        """The floor texture through the plane's homography, only where view rays go down to it.
        At 480 px wide and up it is warped at half resolution and scaled up: the texture is smooth
        at that scale and the warp is the costliest step of a frame."""
        gt = self.world.ground_texture
        hmat, region, (x0, y0, x1, y1), inside = plan
        w, h = x1 - x0, y1 - y0
        border = tuple(float(v) for v in gt.border)
        shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]]) @ hmat
        if self.width >= 480 and w >= 8 and h >= 8:
            hw, hh = (w + 1) // 2, (h + 1) // 2
            # pyrUp puts half-res pixel j at full-res pixel 2j (and smooths: no blocky texels)
            half = np.array([[0.5, 0, 0], [0, 0.5, 0], [0, 0, 1.0]]) @ shift
            small = cv2.warpPerspective(gt.image, half, (hw, hh), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_CONSTANT, borderValue=border)
            warped = cv2.pyrUp(small, dstsize=(hw * 2, hh * 2))[:h, :w]
        else:
            warped = cv2.warpPerspective(gt.image, shift, (w, h), flags=cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_CONSTANT, borderValue=border)
        roi = img[y0:y1, x0:x1]
        if inside:
            roi[:] = warped
            return
        mask = np.zeros((h, w), np.uint8)
        pts = np.rint((region - [x0, y0]) * 16).astype(np.int32)
        cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_8, shift=4)
        cv2.copyTo(warped, mask, roi)

    def _sky(self, pose: CameraPose, rows: int) -> np.ndarray:
        """The sky gradient by elevation. Without roll it is one colour per row (the centre
        column's elevation), painted only over the `rows` above the ground; with roll it is
        computed on a coarse grid and scaled up."""
        r = self.raster
        img = np.empty((self.height, self.width, 3), np.uint8)
        if abs(pose.roll) < 1e-9:
            vs = np.arange(rows) + 0.5
            rays = np.stack([np.zeros(rows), (vs - r.cy) / r.f, np.ones(rows)], -1)
            column = self._sky_colours(rays @ r.R)[:, None, :]
            cv2.resize(column, (self.width, rows), dst=img[:rows], interpolation=cv2.INTER_NEAREST)
            return img
        rays = np.concatenate([(self._sky_uv - [r.cx, r.cy]) / r.f, np.ones(self._sky_uv.shape[:2] + (1,))], -1)
        small = self._sky_colours(rays @ r.R)  # camera -> world directions
        return cv2.resize(small, (self.width, self.height), interpolation=cv2.INTER_LINEAR, dst=img)

    def _sky_colours(self, world: np.ndarray) -> np.ndarray:
        elev = world[..., 1] / np.linalg.norm(world, axis=-1)
        up = np.clip(elev, 0, 1)[..., None] ** 0.55
        sky = self._sky_hor * (1 - up) + self._sky_top * up
        down = np.clip(-elev * 12, 0, 1)[..., None]
        below = self._haze * (1 - down) + self._ground * down
        return np.rint(np.where((elev >= 0)[..., None], sky, below)).astype(np.uint8)

    def _figure_geometry(self, f: FigureState):
        """Posed boxes of a figure, cached by its (frozen, hashable) state: a figure standing still
        or repeating a pose costs nothing after the first frame."""
        hit = self._figure_cache.get(f)
        if hit is None:
            parts, head = figure_parts(f)
            pc = np.array([p.centre for p in parts])
            c, n, col = self._faces_of(pc, np.array([p.axes for p in parts]), np.array([p.half for p in parts]),
                                       np.array([p.colour for p in parts]), self._figure_light)
            if len(self._figure_cache) > 256:
                self._figure_cache.clear()
            hit = self._figure_cache[f] = (pc, c, n, col, head)
        return hit

    def _in_frustum(self, cam_centres: np.ndarray, radius: np.ndarray) -> np.ndarray:
        r = self.raster
        hx, hy = r.cx / r.f, r.cy / r.f
        x, y, z = cam_centres[:, 0], cam_centres[:, 1], cam_centres[:, 2]
        nx, ny = math.hypot(1, hx), math.hypot(1, hy)
        return ((z + radius > 0.05) & ((x + hx * z) / nx > -radius) & ((-x + hx * z) / nx > -radius) &
                ((y + hy * z) / ny > -radius) & ((-y + hy * z) / ny > -radius))

    def _draw_objects(self, img: np.ndarray, i: int, pose: CameraPose) -> None:
        """Set pieces and figures, far to near (painter's order by box centre distance)."""
        r = self.raster
        cam_pos = r.C
        corners, normals, colours = self._box_faces
        centres = self._box_centres
        if len(centres):  # frustum-cull set pieces by their bounding spheres
            keep = self._in_frustum(r.to_camera(centres), self._box_radius)
            corners, normals, colours, centres = corners[keep], normals[keep], colours[keep], centres[keep]
        heads, labels, shadows = [], [], []
        for f in self.figure_states(i):
            shadows.append(np.array([f.x, 0.0, f.z]) + self._shadow_ring * (f.height / 1.75))
            pc, c, n, col, (head, radius, skin) = self._figure_geometry(f)
            corners, normals, colours = (np.concatenate([corners, c]), np.concatenate([normals, n]),
                                         np.concatenate([colours, col]))
            centres = np.concatenate([centres, pc])
            heads.append((float(np.linalg.norm(head - cam_pos)) - radius * 0.5, head, radius, skin))
            labels.append((f.name, head + np.array([0.0, radius * 2.2, 0.0])))
        if shadows and self.world.ground_texture is not None:
            # Contact shadows ground the mannequins (drawn on the floor, before anything stands on it).
            polys_s = r.to_camera(np.array(shadows))
            r.fill_batch(img, polys_s, np.repeat(self._shadow_colour[None, :], len(shadows), axis=0))
        dist = np.linalg.norm(centres - cam_pos, axis=1)
        order = np.argsort(-dist, kind="stable")
        faces = corners[order][:, _FACE_IDX]                       # (M, 6, 4, 3)
        vis = np.einsum("mfk,mfk->mf", cam_pos - faces.mean(axis=2), normals[order]) > 0
        face_count = np.concatenate([[0], np.cumsum(vis.sum(axis=1))])
        polys = r.to_camera(faces[vis]) if vis.any() else np.zeros((0, 4, 3))
        cols = colours[order][vis]
        sorted_dist = dist[order]
        drawn = 0
        light = self._figure_light
        for d, head, radius, skin in sorted(heads, key=lambda h: -h[0]):
            upto = int(face_count[int(np.sum(sorted_dist > d))])
            r.fill_batch(img, polys[drawn:upto], cols[drawn:upto])
            drawn = max(drawn, upto)
            cam = r.to_camera(head[None, :])[0]
            if cam[2] > radius + 0.02:
                p = r.project(cam[None, :])[0]
                rad = r.f * radius / cam[2]
                if -rad < p[0] < self.width + rad and -rad < p[1] < self.height + rad and rad < 4 * self.width:
                    shade = np.clip(skin * light.tint * (light.ambient + light.diffuse * 0.6), 0, 255)
                    cv2.circle(img, (int(round(p[0] * 16)), int(round(p[1] * 16))), int(round(rad * 16)),
                               tuple(float(v) for v in shade), -1, cv2.LINE_AA, 4)
        r.fill_batch(img, polys[drawn:], cols[drawn:])
        self._labels(img, labels)

    def _labels(self, img: np.ndarray, labels) -> None:
        r = self.raster
        scale = max(0.3, self.height / 720 * 0.55)
        thick = max(1, int(round(self.height / 540)))
        for name, point in labels:
            if not name:
                continue
            cam = r.to_camera(point[None, :])[0]
            if cam[2] <= 0.3:
                continue
            p = r.project(cam[None, :])[0]
            (tw, th), _ = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
            x, y = int(round(p[0] - tw / 2)), int(round(p[1]))
            if -tw < x < self.width and 0 < y < self.height + th:
                cv2.putText(img, name, (x + 1, y + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 1,
                            cv2.LINE_AA)
                cv2.putText(img, name, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)

    # -- continuity ------------------------------------------------------------------------------
    def end_state(self) -> dict[str, Any]:
        last = self.frames - 1
        return {"renderer": RENDERER_VERSION, "mode": self.mode, "frame": last,
                "camera": self.camera_pose(last).to_dict(), "aim_height": self.aim_height,
                "framing": framing_of(self.request.camera),
                "subject": self.subject_name, "figures": [f.to_dict() for f in self.figure_states(last)],
                "world": {"set_seed": self.request.scene.set_seed, **self.world.info}}


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
        r = Raster(self.width, self.height)
        r.set_camera(pose)
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


def _clip_rect_halfplane(width: int, height: int, g: np.ndarray) -> Optional[np.ndarray]:
    """The part of the image rectangle where g . (x, y, 1) < 0, as a polygon (or None)."""
    pts = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    d = pts @ g[:2] + g[2]
    out = []
    for i in range(4):
        a, b, da, db = pts[i], pts[(i + 1) % 4], d[i], d[(i + 1) % 4]
        if da < 0:
            out.append(a)
        if (da < 0) != (db < 0):
            out.append(a + (b - a) * (da / (da - db)))
    return np.array(out) if len(out) >= 3 else None


def _cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to cover width x height and crop the centre (the board keeps its proportions)."""
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    nw, nh = max(width, int(math.ceil(w * scale))), max(height, int(math.ceil(h * scale)))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    x0, y0 = (nw - width) // 2, (nh - height) // 2
    return np.ascontiguousarray(resized[y0:y0 + height, x0:x0 + width])


def make_renderer(request: GenerationRequest):
    if request.options.get("previs_op"):  # remix operations (extend, loop, blend, variation): remix.py
        from .remix import make_op_renderer
        return make_op_renderer(request)
    return BoardRenderer(request) if request.scene.board_image else BlockingRenderer(request)


def ignored_cues(request: GenerationRequest) -> list[str]:
    """What a renderer could not execute, recorded in the take's metadata."""
    notes = []
    if request.scene.board_image and any(not m.is_empty for m in request.motion):
        notes.append("motion cues are not executed on a board image")
    if not request.scene.board_image and request.camera.move is not CameraMove.STATIC and not request.scene.characters:
        notes.append("no characters: the camera frames the empty mark")
    return notes
