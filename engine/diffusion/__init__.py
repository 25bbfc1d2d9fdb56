"""Local video diffusion (Wan, LTX-Video, CogVideoX through diffusers).

Importing this package (or `registry`, `prompt`, `conform`) never imports torch: the studio lists
models, shows estimates and compiled prompts without the `gen` extra. torch and diffusers load
lazily inside `loader`, `memory`, the family modules and `backend.DiffusionBackend.generate`.
"""
