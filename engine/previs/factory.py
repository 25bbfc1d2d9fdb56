"""The one renderer factory: blocking (Panda3D set), board (parallax animatic) and every remix
operation (operations.py) are made here, so render.py and operations.py never import each other."""
from __future__ import annotations

from typing import Optional

from ..jobs import GenerationRequest
from .dressing import build_world
from .operations import make_op_renderer
from .render import BlockingRenderer, BoardRenderer, effective_scene, world_key


def make_renderer(request: GenerationRequest, worlds: Optional[dict] = None):
    """A renderer for `request` (recursing into remix operations). `worlds` caches the sets built
    so far (building one costs more than simulating a take), keyed by what a set depends on."""
    worlds = {} if worlds is None else worlds
    if request.remix_options().get("previs_op"):
        return make_op_renderer(request, worlds, make_renderer)
    if request.scene.board_image:
        return BoardRenderer(request)
    key = world_key(request)
    if key not in worlds:
        worlds[key] = build_world(effective_scene(request), request.plan)
    return BlockingRenderer(request, worlds[key])
