"""The one exception type users see: a bad input, reported as one line and exit code 2."""


class AlsaceError(Exception):
    """A problem with the user's input or setup, not a bug in alsace.

    The message is printed as it is, on one line, so it must name the file, column or row at fault and,
    where there is one, the fix.
    """

    exit_code = 2


class Interrupted(AlsaceError):
    """Ctrl-C or SIGTERM: what was done is kept, and the line says how to resume (exit code 130)."""

    exit_code = 130
