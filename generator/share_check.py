"""`check`'s look at whom entries are shared with: a name in an entry's `share:` or a
[readers.NAME] table that is no reader of .growthlog/site-key.json is a warning with its
line, as a private build warns (share_rules.share_problems). IO at the edge: the keyfile
and the front matter of entry files that mention `share`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from generator.config import CONFIG_NAME, SiteConfig
from generator.errors import GrowthlogError, Problem, Severity
from generator.schema import ShareList
from generator.share_rules import unknown_reader_message
from generator.sources import is_entry_name, read_source, scan_content

_SHARE: TypeAdapter[list[str]] = TypeAdapter(ShareList)
KEYFILE = Path(".growthlog") / "site-key.json"
"""keys.KEYFILE, named here so that `check` of a public log never loads the crypto."""


def share_warnings(root: Path, config: SiteConfig) -> list[Problem]:
    """Every name shared with that has no reader; nothing when the keyfile is unreadable
    (a private build says why)."""
    if (root / KEYFILE).exists():
        from generator import keys

        try:
            readers = [reader.name for reader in keys.load_readers(root)]
        except GrowthlogError:
            return []
    else:
        readers = []
    problems = [Problem(CONFIG_NAME, unknown_reader_message(r.name, readers),
                        field=f"readers.{r.name}", severity=Severity.WARNING)
                for r in config.readers if r.name not in readers]
    for inside, full in scan_content(root / "content"):
        if is_entry_name(inside) and b"share" in Path(full).read_bytes():
            problems += _entry_warnings(Path(full), f"content/{inside}", readers)
    return problems


def _entry_warnings(path: Path, shown: str, readers: list[str]) -> list[Problem]:
    source, _ = read_source(path, shown)
    if source is None or "share" not in source.meta:
        return []
    try:
        names = _SHARE.validate_python(source.meta["share"])
    except ValidationError:
        return []  # check names the wrong value already
    return [Problem(shown, unknown_reader_message(name, readers),
                    line=source.lines.get(("share",)), field="share",
                    severity=Severity.WARNING)
            for name in dict.fromkeys(names) if name not in readers]
