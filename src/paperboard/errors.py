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
