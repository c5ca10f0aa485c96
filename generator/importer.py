"""`growthlog import` from a folder of Markdown notes: Jekyll posts, a Hugo content/
folder, an Obsidian vault (or part of one). A CSV goes to tracker.py.

Each note becomes a new entry file with growthlog's YAML front matter (other tools' keys
read into ours, `--map` applied, the date from the file name written down) and the
author's body byte for byte; the attachments it links to or embeds are copied beside it,
at the paths its links already use.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from generator.config import SiteConfig
from generator.errors import Problem
from generator.import_plan import Copy, ImportPlan, Planned, Provenance, inside
from generator.liquid import read_liquid
from generator.schema import MAPPED_KEYS, EntrySchema, known_keys
from generator.sources import (
    first_heading,
    is_entry_name,
    name_date,
    read_source,
    scan_content,
    title_from_name,
)

KINDS = ("jekyll", "hugo", "obsidian", "csv")


def detect_kind(source: Path) -> str | None:
    """What a source is, from its shape; None when it cannot be told."""
    if source.is_file():
        return "csv" if source.suffix.lower() in (".csv", ".tsv") else None
    if (source / ".obsidian").is_dir():
        return "obsidian"
    if (source / "_posts").is_dir() or (source / "_config.yml").is_file():
        return "jekyll"
    if any((source / name).is_file() for name in ("hugo.toml", "hugo.yaml", "config.toml")) \
            or (source / "content").is_dir():
        return "hugo"
    return None


def plan_import(source: Path, kind: str, mapping: dict[str, str],
                config: SiteConfig) -> ImportPlan:
    """The plan for one source; nothing is written."""
    if kind == "csv":
        from generator.tracker import plan_csv

        return plan_csv(source, mapping, config)
    entries: list[Planned] = []
    copies: dict[str, Copy] = {}
    problems: list[Problem] = []
    for base, is_draft, site in _folders(source, kind):
        listing = scan_content(base)
        others = {inside_path: Path(full) for inside_path, full in listing
                  if not is_entry_name(inside_path)}
        for inside_path, full in listing:
            if not is_entry_name(inside_path) or _skipped(inside_path, kind):
                continue
            shown = posixpath.join(source.name, posixpath.relpath(
                Path(full).as_posix(), source.as_posix()))
            planned, more = _plan_note(Path(full), shown, inside_path, mapping, is_draft)
            problems += more
            if planned is not None:
                if is_draft:
                    planned = _beside_posts(planned, {e.target for e in entries})
                entries.append(planned)
                # Links as the build will read them: after Liquid ({{ site.baseurl }}/x)
                for copy in _attachments(read_liquid(planned.body)[0], inside_path, others,
                                         site):
                    copies.setdefault(copy.target, copy)
    return ImportPlan(tuple(entries), tuple(copies.values()), tuple(problems))


def _folders(source: Path, kind: str) -> list[tuple[Path, bool, Path | None]]:
    """(folder of notes, are they drafts, the folder root-absolute links start from)."""
    if kind == "jekyll":
        if (source / "_posts").is_dir() or (source / "_drafts").is_dir():
            return [(source / name, name == "_drafts", source) for name in ("_posts", "_drafts")
                    if (source / name).is_dir()]
        return [(source, False, None)]
    if kind == "hugo":
        if (source / "content").is_dir():
            return [(source / "content", False, source / "static")]
        return [(source, False, None)]
    return [(source, False, None)]


def _beside_posts(draft: Planned, taken: set[str]) -> Planned:
    """A Jekyll draft whose name a post already has (the post published from it, the draft
    left behind) is written as `<name>-draft`, so both are kept and neither is refused."""
    if draft.target not in taken:
        return draft
    stem, extension = posixpath.splitext(draft.target)
    target, number = f"{stem}-draft{extension}", 2
    while target in taken:
        target, number = f"{stem}-draft-{number}{extension}", number + 1
    note = f"named {posixpath.basename(target)}: a post has its name"
    return replace(draft, target=target, notes=(*draft.notes, note))


def _skipped(inside_path: str, kind: str) -> bool:
    # Hugo's _index.md is a section's list page, not a post.
    return kind == "hugo" and posixpath.basename(inside_path).lower().startswith("_index.")


_OURS = frozenset(known_keys(EntrySchema))


def _plan_note(path: Path, shown: str, inside_path: str, mapping: dict[str, str],
               is_draft: bool) -> tuple[Planned | None, list[Problem]]:
    source, problems = read_source(path, shown)
    if source is None:
        return None, problems
    meta: dict[str, Any] = dict(source.meta)
    provenance: Provenance = {str(k): (source.lines.get((k,)), str(k)) for k in meta}
    notes: list[str] = []
    for theirs, ours in mapping.items():
        if theirs in meta and theirs != ours:
            _move(meta, provenance, theirs, ours, notes, "--map")
    for theirs, ours in MAPPED_KEYS.items():
        if theirs in meta:
            _move(meta, provenance, theirs, ours, notes, "")
    day, rest = name_date(inside_path)
    if "date" not in meta:
        when = _day(day) if day else None
        if when is not None:
            meta["date"] = when
            notes.append("date from the file name")
        elif is_draft:
            meta["date"] = dt.date.fromtimestamp(path.stat().st_mtime)
            notes.append("date from the file's last change (a Jekyll draft)")
    if is_draft and "draft" not in meta:
        meta["draft"] = True
        notes.append("a draft (it was in _drafts/)")
    if "title" not in meta and first_heading(source.body) is None:
        meta["title"] = title_from_name(rest) or posixpath.basename(inside_path)
        notes.append("title from the file name")
    kept = [k for k in meta if k not in _OURS]
    if kept:
        notes.append(f"kept as written, for templates: {', '.join(map(str, kept))}")
    ordered: dict[str, Any] = {k: meta[k] for k in ("title", "date") if k in meta}
    ordered.update((k, v) for k, v in meta.items() if k not in ordered)
    return Planned(shown, inside_path, ordered, source.body, tuple(notes), provenance,
                   source.body_line), problems


def _move(meta: dict[str, Any], provenance: Provenance, theirs: str, ours: str,
          notes: list[str], how: str) -> None:
    """Read another tool's key into ours; a value of the wrong kind stays where it is,
    for the check to report at its line."""
    value = meta[theirs]
    if ours == "tags" or ours == "aliases":
        words = value.split() if ours == "tags" and isinstance(value, str) else \
            [value] if isinstance(value, str) else value
        present = meta.get(ours, [])
        present = [present] if isinstance(present, str) else present
        if not isinstance(words, list) or not isinstance(present, list):
            return
        meta[ours] = [*present, *(w for w in words if w not in present)]
    elif ours == "draft" and theirs == "published":
        if not isinstance(value, bool) or "draft" in meta:
            return
        meta["draft"] = not value
    elif ours in meta:
        return
    else:
        meta[ours] = value
    del meta[theirs]
    provenance.setdefault(ours, provenance.get(theirs, (None, theirs)))
    notes.append(f"{theirs} read as {ours}" + (f" ({how})" if how else ""))


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


_LINK_TARGET = re.compile(r"\]\(\s*(?:<([^>\n]+)>|([^)\s]+))")
_HTML_URL = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"'\n]+)["']""", re.I)
_EMBED = re.compile(r"\[\[([^\[\]|#\n]+)")


def _attachments(body: str, inside_path: str, others: dict[str, Path],
                 site: Path | None) -> list[Copy]:
    """The files a note links to or embeds that exist in the source: copied to the same
    place relative to the note, so its links keep working as written."""
    here = posixpath.dirname(inside_path)
    found: list[Copy] = []
    for match in _EMBED.finditer(body):
        name = match.group(1).strip()
        if "." in posixpath.basename(name) and not is_entry_name(name):
            for candidate in _by_name(name, here, others):
                found.append(Copy(others[candidate], candidate))
    targets = [m.group(1) or m.group(2) for m in _LINK_TARGET.finditer(body)]
    targets += [m.group(1) for m in _HTML_URL.finditer(body)]
    for written in targets:
        parts = urlsplit(written)
        if parts.scheme or parts.netloc or not parts.path or is_entry_name(parts.path):
            continue
        path = unquote(parts.path)
        if path.startswith("/"):
            relative = inside(path)
            if site is not None and relative is not None and (site / relative).is_file():
                found.append(Copy(site / relative, relative))
            elif relative in others:
                found.append(Copy(others[relative], relative))
            continue
        relative = inside(posixpath.join(here, path))
        if relative is not None and relative in others:
            found.append(Copy(others[relative], relative))
    return found


def _by_name(name: str, here: str, others: dict[str, Path]) -> list[str]:
    """Obsidian's embed lookup: by path from the note or the vault, else by file name."""
    for candidate in (inside(posixpath.join(here, name)), inside(name)):
        if candidate is not None and candidate in others:
            return [candidate]
    named = sorted(p for p in others if posixpath.basename(p) == posixpath.basename(name))
    return named[:1]
