"""The storyboard: shot cards in cut order (`StoryboardPanel`, `ShotListItemModel`)."""
from .model import ShotListItemModel
from .panel import StoryboardPanel

__all__ = ["ShotListItemModel", "StoryboardPanel"]
