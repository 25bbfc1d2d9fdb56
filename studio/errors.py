"""Errors raised by the document layer. `UserError` messages are written to be shown as they are."""
from __future__ import annotations


class StudioError(Exception):
    """Something in studio/ failed."""


class UserError(StudioError):
    """Bad input or a refused operation: the message is one clear line for the user."""


class ProjectFileError(UserError):
    """A project file that cannot be opened (corrupt, newer, foreign). The file is left untouched."""
