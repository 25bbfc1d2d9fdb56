"""The built-in previs renderer: dressed 3D sets and acting mannequins on Panda3D (software renderer by
default: CPU only, deterministic), and board animatics.

`PrevisBackend` (backend name 'previs') implements `engine.jobs.Backend`; `RENDERER_VERSION` is
recorded in every take it makes so a later renderer change can be detected.
"""
from .factory import make_renderer
from .render import RENDERER_VERSION, BlockingRenderer, BoardRenderer

__all__ = ["RENDERER_VERSION", "BlockingRenderer", "BoardRenderer", "make_renderer", "PrevisBackend"]


def __getattr__(name):  # the backend pulls in the encoder; import it on demand
    if name == "PrevisBackend":
        from .backend import PrevisBackend
        return PrevisBackend
    raise AttributeError(name)
