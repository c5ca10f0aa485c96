"""What a build reports: counts and the files it changed; printed by the command line."""

from __future__ import annotations

from generator.errors import Problem
from generator.value import Value, frozen


@frozen
class BuildReport(Value):
    """What a build did, for the command line's summary."""

    entries: int
    tags: int
    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]
    rendered: int
    seconds: float
    warnings: tuple[Problem, ...]
    drafts: int = 0
    """Entries marked draft: true among `entries` (only when drafts were asked for)."""
    processes: int = 1
    """The most processes one step of the build ran in (parallel.py)."""

    def summary(self) -> str:
        """One line: what was built and what changed on disk."""
        warned = f"; {_count(len(self.warnings), 'warning')}" if self.warnings else ""
        return (f"{_count(self.entries, 'entry', 'entries')}, {_count(self.tags, 'tag')}: "
                f"{_count(len(self.written), 'file')} written, {self.unchanged} unchanged, "
                f"{len(self.removed)} removed in {self.seconds:.2f} s{warned}")


def _count(n: int, one: str, many: str | None = None) -> str:
    """'1 entry', '2 entries', '0 files'."""
    return f"{n} {one if n == 1 else many or one + 's'}"
