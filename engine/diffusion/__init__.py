"""Local video diffusion (Wan, LTX-Video, CogVideoX through diffusers).

Importing this package (or `registry`, `prompt`, `conform`) never imports torch: the studio lists
models, shows estimates and compiled prompts without the `gen` extra. torch and diffusers load
lazily inside `loader`, `memory`, the family modules and `backend.DiffusionBackend.generate`.
"""


def register() -> None:
    """Called by `engine.backends.create_backend('diffusion')` on first use."""
    from ..backends import register_backend
    from .backend import DiffusionBackend
    register_backend("diffusion", DiffusionBackend)
