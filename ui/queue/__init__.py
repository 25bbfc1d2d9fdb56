"""The generation queue panel (`QueuePanel`, `JobListItemModel`)."""
from .model import JobListItemModel, JobRow
from .panel import QueuePanel

__all__ = ["JobListItemModel", "JobRow", "QueuePanel"]
