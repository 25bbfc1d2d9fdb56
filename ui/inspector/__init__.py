"""The shot inspector (`ShotInspectorPanel`) and its editors: camera diagram, motion cues, sound cues."""
from .camera_diagram import CameraDiagramWidget
from .panel import ShotInspectorPanel
from ..waveform import WaveformWidget

__all__ = ["CameraDiagramWidget", "ShotInspectorPanel", "WaveformWidget"]
