"""Takes of the current shot: lineage tree, choose / trash / restore, side-by-side compare."""
from .model import TakeTreeItemModel
from .panel import TakesPanel

__all__ = ["TakeTreeItemModel", "TakesPanel"]
