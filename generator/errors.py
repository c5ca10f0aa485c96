"""Problems found in a log, and the exceptions that carry them to the command line.

    GrowthlogError            anything the user can fix; printed without a traceback
    ├── ProblemsFound         content or config problems; carries every Problem found
    ├── OutputRefused         the output folder is unsafe to write into
    └── StateChanged          the build state was damaged or written into while in use

Validators never raise for bad input: they return Problems. Only `build` raises,
once, after every file was read, so the author sees every problem in one run.
"""

from __future__ import annotations

from enum import Enum
from pathlib import PurePosixPath

from generator.value import Value, frozen


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@frozen
class Problem(Value):
    """One thing wrong with a file: where, which field, what was expected and found."""

    path: str
    message: str
    line: int | None = None
    field: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        """`content/x.md:4: stage: expected …; found …` (warnings say so)."""
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        kind = "warning: " if self.severity is Severity.WARNING else ""
        field = f"{self.field}: " if self.field else ""
        return f"{where}: {kind}{field}{self.message}"


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Order problems by file, then line, so output is stable and easy to scan."""
    return sorted(problems, key=lambda p: (PurePosixPath(p.path).parts, p.line or 0, p.message))


class GrowthlogError(Exception):
    """Base of every error the author can fix. Raised anywhere; caught by the CLI."""


class ProblemsFound(GrowthlogError):
    """Raised by `build`/`check` when content or config has at least one error."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sort_problems(problems)
        super().__init__("\n".join(p.format() for p in self.problems))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def raise_on_errors(problems: list[Problem]) -> None:
    """ProblemsFound with every problem when any of them is an error (warnings pass)."""
    if any(p.is_error for p in problems):
        raise ProblemsFound(problems)


class OutputRefused(GrowthlogError):
    """Raised by `output.write_output` when the output folder is not ours to write."""


class StateChanged(GrowthlogError):
    """A build state's base was written into while its texts were still to be read (by
    hand, or a tool that rewrites a file in place), or a text read from it fails its
    check: it does not hold what was saved. A build or check from disk starts again
    without it."""
