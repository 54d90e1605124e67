"""Typed exceptions and exit codes. Only cli.py maps these to process exit statuses."""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit statuses that scripts can trust (documented in the README)."""

    OK = 0
    BAD_ARGS = 1  # wrong options or arguments
    BAD_INPUT = 2  # input or config unreadable or invalid
    MISSING_DEPENDENCY = 3  # tesseract / vie model / poppler missing
    PARTIAL = 4  # the batch finished but some pages failed (see the manifest)
    NOT_IMPLEMENTED = 5  # a contract command that is not built yet
    INTERRUPTED = 130  # Ctrl-C: finished work is kept, rerun to resume


class HotichError(Exception):
    """Base error: carries a one-line user message and an exit code."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadInputError(HotichError):
    """An input file or page cannot be read (the message names the file/page)."""

    exit_code = ExitCode.BAD_INPUT


class ConfigError(HotichError):
    """A register config file is invalid (the message names file, key and problem)."""

    exit_code = ExitCode.BAD_INPUT


class SchemaError(HotichError):
    """Rows do not fit the record schema (the message names the column)."""

    exit_code = ExitCode.BAD_INPUT


class MissingDependencyError(HotichError):
    """An external program or data file is missing; the message says what to install."""

    exit_code = ExitCode.MISSING_DEPENDENCY


class NotImplementedYet(HotichError):
    """A contract command that exists but is not built yet."""

    exit_code = ExitCode.NOT_IMPLEMENTED


class BadArgsError(HotichError):
    """Options or arguments that do not fit the input (a page the volume does not have)."""

    exit_code = ExitCode.BAD_ARGS
