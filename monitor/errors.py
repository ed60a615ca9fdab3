"""Domain errors and the CLI exit codes they map to (documented in docs/commands.md)."""

from __future__ import annotations


class MonitorError(Exception):
    """Base class: a problem the user can act on, shown as one stderr line."""

    exit_code = 1


class ConfigError(MonitorError):
    """Bad configuration: a file, a setting or an environment variable. Exit code 2."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        self.file, self.line = file, line
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(f"{where}{message}")


class QueryError(MonitorError):
    """A search the user wrote cannot be run as written: syntax, unknown field or source, bad or
    impossible dates. Exit code 2, like any usage error."""

    exit_code = 2


class SearchBackendError(MonitorError):
    """Elasticsearch cannot be reached or refused a request. Exit code 3."""

    exit_code = 3


class KibanaError(MonitorError):
    """Kibana cannot be reached or refused the saved objects. Exit code 3, as for Elasticsearch."""

    exit_code = 3


class LocalNodeError(MonitorError):
    """The local Elasticsearch node cannot be installed, started or stopped. Exit code 4."""

    exit_code = 4


class CrawlFailed(MonitorError):
    """Every selected source failed. Exit code 5."""

    exit_code = 5


class Interrupted(MonitorError):
    """Stopped by a signal: exit code 128 + its number (130 for Ctrl-C, 143 for SIGTERM)."""

    def __init__(self, signum: int, message: str):
        super().__init__(message)
        self.exit_code = 128 + signum


class DeliveryFailed(MonitorError):
    """An alert channel did not take a message. Exit code 7."""

    exit_code = 7


class TranslationError(MonitorError):
    """A translation model cannot be installed, loaded or run. Exit code 6."""

    exit_code = 6


class CaptureError(MonitorError):
    """A raw capture cannot be read: its WARC file is missing, or the record is torn or not a
    response (`monitor capture`). Exit code 8."""

    exit_code = 8
