"""Dialogs: errors (with copy-details), settings, verify, export, the shortcuts overlay, and
`BackgroundTask` for their slow work off the GUI thread."""
from .error import ErrorDialog, describe, show_error
from .tasks import BackgroundTask

__all__ = ["BackgroundTask", "ErrorDialog", "describe", "show_error"]
