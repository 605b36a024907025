"""User-facing errors: each says what is wrong and where, for the CLI and web to show."""


class DailyPapersError(Exception):
    """Base for errors shown to a user as one line, never a traceback."""


class InputError(DailyPapersError):
    """Bad input (file, feed, query, date); the message names the place."""


class NotFound(InputError):
    """The paper, date or user asked for does not exist (the web layer answers 404)."""


class SourceError(DailyPapersError):
    """An external source (arXiv, a file) could not be read at all."""


class ConfigError(DailyPapersError):
    """A setting is missing or invalid."""


class Forbidden(DailyPapersError):
    """The viewer may see this but not change it (someone else's); the web answers 403."""


class Busy(DailyPapersError):
    """A one-at-a-time job is already running on another node; try again later."""
