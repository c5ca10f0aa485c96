"""IO edge for content: find the log's files, read them, split front matter from body.

The YAML block is composed (not just loaded) so every key and list item maps back to
its line in the file; problems can then point at `content/x.md:12`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import field
from pathlib import Path
from typing import Any

import yaml

from generator.errors import Problem, Severity
from generator.front_matter import FrontMatterError, parse_json, parse_toml, starts_json
from generator.value import Value, frozen
from generator.yaml_words import PREFIX, explain

# A key path into front matter: ("feedback", "asked") or ("actions", 2, "done").
KeyPath = tuple[str | int, ...]

_OPENING = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader that never raises on a scalar it cannot convert. A plain value that only
    looks like a number or date (`0x_`, 2026-13-45) stays text, so the schema reports it
    with its line; a value tagged by hand (`!!int hello`) is noted in `bad_values`."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.bad_values: list[tuple[yaml.Node, str]] = []


_TAG = "tag:yaml.org,2002:"
_STR_TAG = _TAG + "str"
_CONVERTED = {"int": "a whole number", "float": "a number", "bool": "true or false",
              "timestamp": "a date (YYYY-MM-DD)"}


def _converting(tag: str) -> Callable[[Any, yaml.ScalarNode], Any]:
    convert = getattr(_BaseLoader, f"construct_yaml_{tag}")

    def construct(loader: Any, node: yaml.ScalarNode) -> Any:
        # PyYAML's converters raise ValueError, KeyError, IndexError or AttributeError
        # on such values, with no line; the value itself is as good a record as any.
        try:
            return convert(loader, node)
        except (ValueError, KeyError, IndexError, AttributeError, OverflowError):
            pass
        text = loader.construct_scalar(node)
        if not isinstance(node, yaml.ScalarNode) or loader.resolve(
                yaml.ScalarNode, node.value, (True, False)) != node.tag:
            loader.bad_values.append((node, _CONVERTED[tag]))
        return text
    return construct


for _name in _CONVERTED:
    _Loader.add_constructor(_TAG + _name, _converting(_name))
_IGNORED_SUFFIXES = (".swp", ".swo", ".swx", "~", ".tmp", ".bak", ".orig")
SKIPPED_DIRS = ("__pycache__", "node_modules")
"""Folders that are never content (and that serve does not watch)."""


@frozen
class ScalarSource(Value):
    """Where a front-matter value was written, and how (for YAML 1.1 surprises)."""

    line: int
    text: str
    is_plain: bool


@frozen
class SourceFile(Value):
    """One entry file split into its front matter (with line map) and body."""

    path: str
    meta: dict[str, Any]
    lines: dict[KeyPath, int]
    scalars: dict[KeyPath, ScalarSource]
    body: str
    body_line: int
    syntax: str = "yaml"
    """How the front matter was written: 'yaml', 'toml', 'json', or '' for none."""
    written_keys: dict[KeyPath, str] = field(default_factory=dict)
    """Keys YAML reads as something other than their text (`~:` is None, `yes:` True), as
    written: what a message about such a key names."""


_EDITOR_NAMES = ("4913",)
_EDITOR_SUFFIXES = ("___jb_tmp___", "___jb_old___", ".kate-swp", ".crswap")
_SAVING_AN_ENTRY = re.compile(r"\.(?:md|markdown|mdown|mkd)\.(?:new|part|sav|save|old|\d+)\Z",
                              re.IGNORECASE)
"""x.md.new renamed onto x.md: a save in progress, never an attachment."""


def is_ignored_name(name: str) -> bool:
    """Dotfiles, editor swap/backup/temp files and lock files are never content. The build
    and serve's watcher share this test: a file one ignores the other must not list."""
    return (name.startswith((".", "#")) or name.endswith(_IGNORED_SUFFIXES)
            or name in _EDITOR_NAMES or name.endswith(_EDITOR_SUFFIXES)
            or bool(_SAVING_AN_ENTRY.search(name)))


def find_content_files(content_dir: Path) -> tuple[list[Path], list[Path]]:
    """Markdown entries and other files (attachments) under content/, sorted by path parts."""
    found = [Path(full) for _, full in scan_content(content_dir)]
    return ([p for p in found if is_entry_name(p.name)],
            [p for p in found if not is_entry_name(p.name)])


ENTRY_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
"""Markdown file names people use (Jekyll writes .markdown): every one is an entry."""


def is_entry_name(name: str) -> bool:
    """An entry file: the one test build, serve's watcher and links share."""
    return name.lower().endswith(ENTRY_SUFFIXES)


def entry_stem(name: str) -> str:
    """'2026-03-14-acme.markdown' → '2026-03-14-acme' (the last path part only)."""
    name = name.rsplit("/", 1)[-1]
    for suffix in ENTRY_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


_FRONT_MATTER = re.compile(rb"\A(?:\xef\xbb\xbf)?(---|\+\+\+)[ \t]*\r?\n(?:.*\n)*?\1[ \t]*\r?$",
                           re.MULTILINE)
_DATA_SUFFIXES = (".yml", ".yaml", ".toml")


def holds_front_matter(path: str | Path) -> bool:
    """Does this file open with a front-matter block? Such a file is never published as an
    attachment: it is someone's page source (a Jekyll .html page, a renamed post)."""
    if os.fspath(path).lower().endswith(_DATA_SUFFIXES):
        return False  # a YAML file may open with '---' and hold several documents
    try:
        with open(path, "rb") as file:
            if not file.read(6).removeprefix(b"\xef\xbb\xbf").startswith((b"---", b"+++")):
                return False
            file.seek(0)
            head = file.read(1 << 16)
    except FileNotFoundError:
        raise
    except OSError:
        return False  # unreadable: reading it as an attachment names it
    return bool(_FRONT_MATTER.match(head))


def attachments(files: list[tuple[str, str]]) -> tuple[tuple[str, ...], list[Problem]]:
    """The attachments among listed content files (inside, on disk), and a warning for each
    non-entry file that holds front matter: it is left out rather than published raw."""
    found: list[str] = []
    problems: list[Problem] = []
    for inside, full in files:
        if is_entry_name(inside):
            continue
        try:
            withheld = holds_front_matter(full)
        except FileNotFoundError:  # gone since content/ was listed: a save or a delete
            continue
        if withheld:
            problems.append(Problem(
                f"content/{inside}", "starts with front matter but is not a Markdown file "
                f"({', '.join(ENTRY_SUFFIXES)}), so it is not published; rename it to .md "
                "to make it an entry", line=1, severity=Severity.WARNING))
        else:
            found.append(inside)
    return tuple(found), problems


def scan_content(content_dir: Path | str, outside: list[str] | None = None,
                 unreadable: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """(path inside content/ in POSIX form, path on disk) of every content file, sorted.

    A symbolic link is followed only to a file inside content/ that listing content/ would
    publish itself: anything else (/etc/passwd, the keyfile, a dotfile) is left out, and
    its name inside content/ is added to `outside` so the build can say so. A folder or
    link that cannot be read is added to `unreadable` with the reason ('' for content/).
    """
    found: list[tuple[list[str], str, str]] = []
    folder = os.fspath(content_dir)
    _scan(folder, [], found, os.path.realpath(folder), outside if outside is not None else [],
          unreadable if unreadable is not None else [])
    found.sort(key=lambda item: item[0])
    return [(relative, full) for _, relative, full in found]


def _scan(folder: str, parts: list[str], found: list[tuple[list[str], str, str]],
          real_root: str, outside: list[str], unreadable: list[tuple[str, str]]) -> None:
    # os.scandir and plain strings rather than Path.rglob: serve lists content/ on every
    # save. Like rglob, symlinked folders are not entered.
    try:
        with os.scandir(folder) as listing:
            items = list(listing)
    except OSError as exc:
        unreadable.append(("/".join(parts), _why(exc)))
        return
    for item in items:
        if is_ignored_name(item.name):
            continue
        inside = [*parts, item.name]
        try:
            if item.is_dir(follow_symlinks=False):
                if item.name not in SKIPPED_DIRS:
                    _scan(item.path, inside, found, real_root, outside, unreadable)
            elif item.is_symlink():
                if not links_inside(item.path, real_root):
                    outside.append("/".join(inside))
                elif item.is_file():
                    found.append((inside, "/".join(inside), item.path))
            elif item.is_file():
                found.append((inside, "/".join(inside), item.path))
        except OSError as exc:  # a link that loops, a name too long to follow
            unreadable.append(("/".join(inside), _why(exc)))


def unreadable_problem(inside: str, why: str) -> Problem:
    """An error for a name in content/ (or content/ itself, '') that could not be read:
    the build stops, so no page is removed because its source could not be seen."""
    if not inside:
        return Problem("content", f"cannot be read ({why}); the log's entries live in the "
                       "folder content/: if it was moved, move it back (for a log with no "
                       "entries yet, create it empty); nothing was built, so no page is "
                       "removed")
    return Problem(f"content/{inside}", f"cannot be read ({why}); fix its permissions or "
                   "remove it; nothing was built, so no page is removed")


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def links_inside(path: str, real_root: str) -> bool:
    """Whether a symbolic link at `path` ends at something content/ itself publishes: a
    path under `real_root` (content/, resolved) with no ignored or skipped part.
    A broken link counts as inside: there is nothing to publish."""
    target = os.path.realpath(path)
    if not os.path.exists(target):
        return True
    relative = os.path.relpath(target, real_root)
    parts = relative.split(os.sep)
    return not (parts[0] == os.pardir or os.path.isabs(relative)
                or any(is_ignored_name(p) or p in SKIPPED_DIRS for p in parts))


def read_source(path: Path, display: str) -> tuple[SourceFile | None, list[Problem]]:
    """Read one entry file from disk and split it; `display` names it in problems."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(display, f"could not be read: {exc.strerror}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(display, f"is not valid UTF-8 text (byte {exc.start + 1}); "
                                       "save it as UTF-8", line=line)]
    return split_source(display, text)


def split_source(path: str, text: str) -> tuple[SourceFile | None, list[Problem]]:
    """Split text into front matter and body; pure. A file without front matter is all
    body (its date and title may come from its name and first heading)."""
    text = text.removeprefix("\ufeff")
    if _TOML_OPENING.match(text):
        return _split_toml(path, text)
    if starts_json(text):
        return _split_json(path, text)
    if not _OPENING.match(text):
        return SourceFile(path, {}, {}, {}, text, 1, syntax=""), []
    if not _CLOSING.search(text, pos=text.index("\n") + 1):
        return None, [Problem(path, "front matter is not closed; add a line '---' after the "
                                    "last front-matter key", line=1)]
    # Split here rather than with python-frontmatter: its boundary pattern swallows
    # blank lines after the opening '---', which would shift every reported line.
    start = text.index("\n") + 1
    closing = _CLOSING.search(text, pos=start)
    assert closing is not None
    front = text[start : closing.start()]
    body_start = closing.end() + 1
    body_line = text.count("\n", 0, body_start) + 1
    return _compose(path, front, text[body_start:], body_line)


_TOML_OPENING = re.compile(r"\A\+\+\+[ \t]*\r?\n")
_TOML_CLOSING = re.compile(r"^\+\+\+[ \t]*\r?$", re.MULTILINE)


def _split_toml(path: str, text: str) -> tuple[SourceFile | None, list[Problem]]:
    """Hugo's TOML front matter, between '+++' lines."""
    start = text.index("\n") + 1
    closing = _TOML_CLOSING.search(text, pos=start)
    if closing is None:
        return None, [Problem(path, "front matter is not closed; add a line '+++' after the "
                                    "last front-matter key", line=1)]
    try:
        meta, lines = parse_toml(text[start : closing.start()], first_line=2)
    except FrontMatterError as exc:
        return None, [Problem(path, f"front matter is not valid TOML: {exc.reason}",
                              line=exc.line)]
    body_start = closing.end() + 1
    return SourceFile(path, meta, lines, {}, text[body_start:],
                      text.count("\n", 0, body_start) + 1, syntax="toml"), []


def _split_json(path: str, text: str) -> tuple[SourceFile | None, list[Problem]]:
    """Hugo's JSON front matter: an object that opens the file."""
    try:
        meta, lines, end = parse_json(text)
    except FrontMatterError as exc:
        return None, [Problem(path, f"front matter is not valid JSON: {exc.reason}",
                              line=exc.line)]
    newline = text.find("\n", end)
    body_start = newline + 1 if newline >= 0 and not text[end:newline].strip() else end
    return SourceFile(path, meta, lines, {}, text[body_start:],
                      text.count("\n", 0, body_start) + 1, syntax="json"), []


_NAME_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[-_ .]+(.*))?\Z", re.DOTALL)
_HEADING = re.compile(r"#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*\Z")
_FENCE = re.compile(r"[ ]{0,3}(`{3,}|~{3,})")


def name_date(path: str) -> tuple[str | None, str]:
    """('2016-03-10', 'making-it-easier') from '…/2016-03-10-making-it-easier.md' (Jekyll,
    Hugo) or '2016-03-10 Acme call.md' (an Obsidian daily note); (None, stem) without one."""
    stem = entry_stem(path)
    match = _NAME_DATE.match(stem)
    return (match.group(1), match.group(2) or "") if match else (None, stem)


def title_from_name(rest: str) -> str:
    """'making-it-easier' → 'Making it easier'; 'Acme call' stays as written."""
    text = rest if " " in rest.strip() else rest.replace("-", " ").replace("_", " ")
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def outside_fences(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(0-based number, line) of each line that is neither inside a fenced code block nor
    one of its fences."""
    fence = ""
    for number, line in enumerate(lines):
        marker = _FENCE.match(line)
        if fence:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = ""
        elif marker:
            fence = marker.group(1)
        else:
            yield number, line


def first_heading(body: str) -> tuple[str, int, bool] | None:
    """The first '# Heading' outside code fences: (its text, its 0-based line in the body,
    whether it opens the body, i.e. nothing but blank lines come before it)."""
    lines = body.splitlines()
    for number, line in outside_fences(lines):
        heading = _HEADING.match(line)
        if heading and heading.group(1).strip():
            return heading.group(1).strip(), number, not any(x.strip() for x in lines[:number])
    return None


def _compose(path: str, front: str, body: str, body_line: int) -> tuple[SourceFile | None,
                                                                         list[Problem]]:
    loader = _Loader(front)
    try:
        node = loader.get_single_node()
        meta = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        said = explain(exc, front)
        return None, [Problem(path, PREFIX + said.message, line=said.line)]
    except yaml.YAMLError as exc:
        return None, [Problem(path, f"front matter is not valid YAML: {exc}", line=2)]
    finally:
        loader.dispose()
    if not isinstance(meta, dict) or node is None:
        found = "nothing" if meta is None else type(meta).__name__
        return None, [Problem(path, "front matter must be 'key: value' lines "
                                    f"(a mapping); found {found}", line=2)]
    lines: dict[KeyPath, int] = {}
    scalars: dict[KeyPath, ScalarSource] = {}
    problems: list[Problem] = []
    paths: dict[int, KeyPath] = {}
    written: dict[KeyPath, str] = {}
    _walk(node, (), lines, scalars, problems, path, paths=paths, name_of=_key_name(loader),
          written=written)
    for bad, expected in loader.bad_values:
        tag = str(bad.tag).removeprefix(_TAG)
        at = paths.get(id(bad))
        problems.append(Problem(
            path, f"marked !!{tag}, so expected {expected}; found "
            f"{_shown(str(bad.value))} (remove the !!{tag} to keep it as text)",
            line=bad.start_mark.line + 2, field=_dotted(at) if at else None))
    if any(p.is_error for p in problems):
        return None, problems
    return SourceFile(path, meta, lines, scalars, body, body_line, written_keys=written), problems


def _key_name(loader: Any) -> Callable[[yaml.Node], str]:
    """A key as the loaded mapping holds it, as text: `~:` is None, `yes:` is True, so
    the line of every key is found by the name the schema reports it under."""
    def name(node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            return str(node.value)
        if node.tag == _STR_TAG:  # as constructing it gives (most keys): not built again
            return str(node.value)
        noted = len(loader.bad_values)
        text = str(loader.construct_object(node))
        del loader.bad_values[noted:]  # noted once, when the document was loaded
        return text
    return name


def _shown(text: str) -> str:
    return "nothing" if not text else repr(text if len(text) <= 60 else text[:57] + "...")


def _dotted(at: KeyPath) -> str:
    name = ""
    for part in at:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _walk(node: yaml.Node, at: KeyPath, lines: dict[KeyPath, int],
          scalars: dict[KeyPath, ScalarSource], problems: list[Problem], path: str,
          seen: set[int] | None = None, paths: dict[int, KeyPath] | None = None,
          name_of: Callable[[yaml.Node], str] = lambda node: str(node.value),
          written: dict[KeyPath, str] | None = None) -> None:
    """Record the file line of every key and item (+2: the '---' line and 1-based)."""
    # An alias (*name) reuses its anchor's node: walk each node once, or nested aliases
    # ("billion laughs") would take forever.
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if paths is not None:
        paths[id(node)] = at
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            here = (*at, name_of(key_node))
            text = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else here[-1]
            known = written if written is not None else {}
            if here in lines:
                earlier = known.get(here, here[-1])
                also = f" (as '{earlier}' on line {lines[here]})" if earlier != text else ""
                problems.append(Problem(path, f"appears twice{also}; the later value is used",
                                        line=key_node.start_mark.line + 2,
                                        field=".".join(map(str, (*at, text))),
                                        severity=Severity.WARNING))
            lines[here] = key_node.start_mark.line + 2
            if text != here[-1]:
                known[here] = str(text)
            else:
                known.pop(here, None)
            _walk(value_node, here, lines, scalars, problems, path, seen, paths, name_of,
                  written)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = (*at, index)
            lines[here] = item.start_mark.line + 2
            _walk(item, here, lines, scalars, problems, path, seen, paths, name_of, written)
    elif isinstance(node, yaml.ScalarNode):
        line = node.start_mark.line + 2
        scalars[at] = ScalarSource(line, str(node.value), not node.style)
