"""The disk side of the leak audit, for `growthlog audit` and deploy: read the log and a
built folder, then hand both to the pure audit in audit.py."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from generator.audit import Leak, audit_files, site_needles
from generator.errors import GrowthlogError, raise_on_errors
from generator.pipeline import load_log
from generator.private import shell_parts


class PublicBuild(GrowthlogError):
    """Raised by `audit_output` for a folder that holds a public (unencrypted) build."""


def read_site(out_dir: Path) -> dict[str, bytes]:
    """Every file under the built folder (except a .git), by relative POSIX path."""
    return {p.relative_to(out_dir).as_posix(): p.read_bytes()
            for p in sorted(out_dir.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(out_dir).parts}


def audit_output(root: Path, out_dir: Path | None = None,
                 files: Mapping[str, bytes] | None = None) -> list[Leak]:
    """Audit ROOT/output (or out_dir, or exactly `files`, e.g. what deploy will push)
    against everything the log at ROOT says, drafts included."""
    out_dir = out_dir if out_dir is not None else root / "output"
    if files is None:
        if not out_dir.is_dir():
            raise GrowthlogError(f"{out_dir} does not exist; build the site first")
        files = read_site(out_dir)
    if _is_public(files):
        raise PublicBuild(
            f"{out_dir} holds a public build: nothing in it is encrypted, so everything the "
            "log says is readable there. `growthlog audit` checks private builds; set "
            "`private = true` in growthlog.toml (or pass --private), build, then audit.")
    log = load_log(root, drafts=True)
    raise_on_errors(log.problems)  # an unread entry would go unchecked
    return audit_files(files, site_needles(log.site, log.config), shell_parts())


def _is_public(files: Mapping[str, bytes]) -> bool:
    """Pages, none of them an unlock shell: a public build (a private one is all shells)."""
    marker = shell_parts().template.split("@@PAGE@@", 1)[0].rsplit("@@", 1)[-1].encode()
    pages = [data for path, data in files.items() if path.endswith(".html")]
    return bool(pages) and not any(marker in page for page in pages)
