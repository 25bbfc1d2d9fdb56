"""Shot cues -> the prompt text a video model responds to.

Who calls: the diffusion backend (when the request carries no edited prompt) and the studio, which
shows the compiled text before queueing and lets the user edit it. Contract with the studio:

* `request.prompt` is the shot's ACTION text (as for previs); the backend compiles it together with
  the camera cue, the motion cues and the scene (bible) into the model's prompt.
* `request.options['prompt_override']` is a compiled prompt the user edited: used verbatim.
  `request.negative_prompt`, when not empty, is used verbatim as the negative prompt.
The text actually used is stored in the take's metadata (`prompt`, `negative_prompt`).

Families read prompts differently: Wan (UMT5) follows short cinematographic phrases ("The camera
pans left"), LTX-Video wants one flowing paragraph in chronological order with the camera and
look at the end, CogVideoX a dense descriptive paragraph. No torch here.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..cues import CAMERA_MOVES, Angle, CameraCue, CameraMove, Direction, MotionCue, MotionKind, ScreenDirection, \
    ShotSize
from ..jobs import SceneSpec


@dataclass(frozen=True)
class CompiledPrompt:
    prompt: str
    negative_prompt: str

    def to_dict(self) -> dict:
        return {"prompt": self.prompt, "negative_prompt": self.negative_prompt}


# Move phrases in the words these models were captioned with (camera-motion LoRA and caption sets).
_MOVE_WORDS = {move: spec.words for move, spec in CAMERA_MOVES.items()}  # engine.cues' one camera table
_DIR_WORDS = {Direction.LEFT: "to the left", Direction.RIGHT: "to the right", Direction.UP: "up",
              Direction.DOWN: "down", Direction.CW: "clockwise", Direction.CCW: "counterclockwise",
              Direction.IN: "", Direction.OUT: "", Direction.NONE: ""}
_ANGLE_WORDS = {Angle.EYE: "eye-level shot", Angle.HIGH: "high-angle shot looking down",
                Angle.LOW: "low-angle shot looking up", Angle.OVERHEAD: "overhead top-down shot",
                Angle.DUTCH: "dutch angle, tilted horizon"}
_SCREEN_WORDS = {ScreenDirection.LEFT: "toward the left of the frame", ScreenDirection.RIGHT:
                 "toward the right of the frame", ScreenDirection.TOWARD: "toward the camera",
                 ScreenDirection.AWAY: "away from the camera", ScreenDirection.NONE: ""}
_KIND_VERBS = {MotionKind.CROSS: "walks", MotionKind.APPROACH: "walks toward the camera",
               MotionKind.RECEDE: "walks away from the camera", MotionKind.TURN: "turns",
               MotionKind.SIT: "sits down", MotionKind.STAND: "stands up", MotionKind.GESTURE: "gestures while talking",
               MotionKind.RUN: "runs"}

_NEGATIVE = {
    # Wan's own recommended negative prompt, in English; "static" is removed for locked-off shots.
    "wan": ("static, still frame, overexposed, blurred details, subtitles, text, watermark, overall gray, "
            "worst quality, low quality, JPEG compression artifacts, ugly, deformed, disfigured, extra fingers, "
            "poorly drawn hands, poorly drawn face, fused fingers, messy background, three legs, "
            "many people in the background, walking backwards"),
    "ltx": "worst quality, inconsistent motion, blurry, jittery, distorted, watermark, text, deformed",
    "cogvideox": "low quality, blurry, distorted, deformed, watermark, text, flickering",
}


def lens_words(lens_mm: float) -> str:
    if lens_mm < 20:
        return f"ultra wide-angle {lens_mm:g}mm lens, strong perspective"
    if lens_mm < 35:
        return f"wide-angle {lens_mm:g}mm lens"
    if lens_mm <= 60:
        return f"{lens_mm:g}mm lens, natural perspective"
    if lens_mm <= 135:
        return f"telephoto {lens_mm:g}mm lens, compressed background, shallow depth of field"
    return f"long telephoto {lens_mm:g}mm lens, very compressed perspective"


def camera_words(camera: CameraCue) -> str:
    """'slow, the camera pans to the left' — the speed adverb follows MOVE_SPAN's amount meaning."""
    if camera.move is CameraMove.STATIC:
        return "static camera, locked-off tripod shot"
    phrase = _MOVE_WORDS[camera.move].format(dir=_DIR_WORDS[camera.direction]).strip()
    if camera.move is CameraMove.HANDHELD:
        return ("subtle " if camera.amount < 0.34 else "") + phrase
    # amount is a fraction of MOVE_SPAN (the strongest move a board asks for): words, not numbers.
    speed = "slowly" if camera.amount < 0.34 else ("quickly" if camera.amount > 0.75 else "smoothly")
    return f"{phrase}, moving {speed}"


def motion_words(motion: MotionCue) -> str:
    if motion.is_empty:
        return ""
    subject = motion.subject or "the subject"
    if motion.action:
        text = f"{subject} {motion.action}" if motion.subject and not motion.action.lower().startswith(
            motion.subject.lower()) else motion.action
    else:
        text = f"{subject} {_KIND_VERBS.get(motion.kind, '')}".strip()
    where = _SCREEN_WORDS[motion.screen_direction]
    if where and where not in text:
        text = f"{text} {where}"
    pace = "slowly, " if motion.intensity < 0.3 else ("energetically, " if motion.intensity > 0.75 else "")
    return f"{pace}{text}".strip()


def _sentence(text: str) -> str:
    text = " ".join(text.split()).strip().rstrip(".,;")
    return (text[:1].upper() + text[1:] + ".") if text else ""


def compile_prompt(action: str, camera: CameraCue, motion: tuple[MotionCue, ...], scene: SceneSpec,
                   family: str) -> CompiledPrompt:
    """The prompt and negative prompt for `family` ('wan', 'ltx', 'cogvideox'; others get Wan's style)."""
    size = camera.shot_size.label if isinstance(camera.shot_size, ShotSize) else str(camera.shot_size)
    shot = f"{size}, {_ANGLE_WORDS[camera.angle]}, {lens_words(camera.lens_mm)}"
    move = camera_words(camera)
    actions = [m for m in (motion_words(m) for m in motion) if m]
    people = [f"{c.name}: {c.description}" if c.description else c.name for c in scene.characters]
    where = ", ".join(x for x in (scene.heading, scene.location) if x)
    light = {"dawn": "soft dawn light", "day": "daylight", "dusk": "warm dusk light",
             "night": "night, low light"}.get(scene.time_of_day, scene.time_of_day)
    setting = ", ".join(x for x in (where, ("interior" if scene.interior else "exterior") if where else "", light)
                        if x)
    style = scene.style.strip()

    if family in ("ltx", "ltx2"):
        # One chronological paragraph: action first, then people and place, camera and look last.
        parts = [_sentence(action), *(_sentence(a) for a in actions)]
        if people:
            parts.append(_sentence("In the scene: " + "; ".join(people)))
        if setting:
            parts.append(_sentence(f"The scene takes place in {setting}"))
        parts.append(_sentence(f"The shot is a {shot}; {move}"))
        if style:
            parts.append(_sentence(f"The look is {style}"))
        parts.append("The scene is captured in real-life footage.")
        prompt = " ".join(p for p in parts if p)
    elif family == "cogvideox":
        parts = [_sentence(f"A {shot} of {action}" if action else f"A {shot}"), *(_sentence(a) for a in actions)]
        if people:
            parts.append(_sentence("; ".join(people)))
        if setting:
            parts.append(_sentence(f"Setting: {setting}"))
        parts.append(_sentence(move))
        if style:
            parts.append(_sentence(style))
        prompt = " ".join(p for p in parts if p)
    else:  # wan and anything else: short phrases, camera words prominent
        parts = [_sentence(action), *(_sentence(a) for a in actions), _sentence(move), _sentence(shot)]
        if people:
            parts.append(_sentence("; ".join(people)))
        if setting:
            parts.append(_sentence(setting))
        if style:
            parts.append(_sentence(style))
        prompt = " ".join(p for p in parts if p)

    negative = _NEGATIVE.get({"ltx2": "ltx"}.get(family, family), _NEGATIVE["wan"])
    if camera.move is CameraMove.STATIC:  # a locked-off shot must not be pushed away from stillness
        negative = ", ".join(t for t in negative.split(", ") if t not in ("static", "still frame"))
    if camera.move is CameraMove.HANDHELD:
        negative = ", ".join(t for t in negative.split(", ") if t not in ("jittery",))
    return CompiledPrompt(prompt=prompt, negative_prompt=negative)
