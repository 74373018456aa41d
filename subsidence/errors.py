"""Errors the library raises for bad input: each message names what is wrong and how to fix it."""

from __future__ import annotations

MAX_MESSAGE_CHARS = 1000


class SubsidenceError(ValueError):
    """Base class: a problem with the user's input that the user can fix.

    The message is made one line of at most ``MAX_MESSAGE_CHARS`` characters (control
    characters dropped, "…" where cut), so no file content can flood a terminal or a page.
    """

    def __init__(self, message: object = "", *args: object) -> None:
        from subsidence.text import shorten

        super().__init__(shorten(message, MAX_MESSAGE_CHARS), *args)


class BundleError(SubsidenceError):
    """A study-area bundle breaks a rule of the format.

    The message names the file, the row or column, what was expected and what was found.
    """


class ModelFileError(SubsidenceError):
    """A saved model is unreadable, tampered with, or does not fit the study area."""


class ModelExistsError(ModelFileError):
    """A saved model is already at the target path (and overwriting was not asked for, or it is shipped)."""


class StorageError(SubsidenceError):
    """A file could not be written (disk full, no permission); the message names the file."""
