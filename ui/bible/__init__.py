"""The bible: characters, locations, props and style (`BiblePanel`, `BibleItemModel`)."""
from .model import BibleItemModel
from .panel import BiblePanel

__all__ = ["BibleItemModel", "BiblePanel"]
