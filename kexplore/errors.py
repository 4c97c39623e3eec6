"""What the commands say instead of a traceback: one line, and exit 2."""


class UsageError(Exception):
    """A wrong argument."""


class RootError(UsageError):
    """The tree cannot be read at all."""
