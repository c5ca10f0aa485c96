"""Whom `check` can share with: the names of the readers in .growthlog/site-key.json,
read without loading the crypto (a public log's `check` never does). IO at the edge.
"""

from __future__ import annotations

from pathlib import Path

from generator.errors import GrowthlogError

KEYFILE = Path(".growthlog") / "site-key.json"
"""keys.KEYFILE, named here so that `check` of a public log never loads the crypto."""


def reader_names(root: Path) -> list[str] | None:
    """The log's readers ([] without a keyfile); None when the keyfile cannot be read,
    which a private build reports."""
    if not (root / KEYFILE).exists():
        return []
    from generator import keys

    try:
        return [reader.name for reader in keys.load_readers(root)]
    except GrowthlogError:
        return None
