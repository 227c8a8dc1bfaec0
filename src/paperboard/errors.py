"""Errors that carry a message meant for a person: the CLI prints them as one line, the web as a 4xx."""


class UserError(Exception):
    """Bad input or an unreachable outside service, explained in one line."""

    exit_code = 2


class SourceUnavailable(UserError):
    """An outside service (arXiv, GitHub) could not be reached or kept failing."""

    exit_code = 3


class SourceUnreachable(SourceUnavailable):
    """Its host cannot be reached at all (the name does not resolve, nothing listens): retrying
    within seconds would not help, so this is said at once instead of after a round of retries."""


class WorkLeft(UserError):
    """The command did what it could and left work a rerun finishes (digests not settled yet)."""

    exit_code = 5


class WritesUnavailable(Exception):
    """The database cannot take a write now: read-only (a replica, a read-only disk or mount), a
    full or failing disk, or too busy to count a fail-closed rate limit. The web answers 503 with
    ``Retry-After``; a command says so in one line. Deliberately not a :class:`UserError`: code that
    turns bad input into a form error must not swallow it."""

    exit_code = 6

    def __init__(self, message: str, retry_after_seconds: int = 60) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
