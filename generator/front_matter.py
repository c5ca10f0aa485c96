"""Hugo's other front-matter formats: TOML between '+++' lines, and a JSON object.

Parsed with the standard library (tomllib, json) rather than python-frontmatter's
handlers, because every problem must name its line: tomllib and json say where a syntax
error is, and the small scanners here find the line of every key and list item.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

KeyPath = tuple[str | int, ...]


class FrontMatterError(ValueError):
    """A syntax error at `line` of the file (1-based)."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


_TOML_AT = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)")
_TOML_HEADER = re.compile(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_KEY = re.compile(r"""\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
                       r"""(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=\s*(.*)$""")


def parse_toml(front: str, first_line: int) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    """The table and the file line of each key; `first_line` is the block's first line."""
    try:
        data = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_AT.search(message)
        line = int(at.group(1)) if at and at.group(1) else front.count("\n") + 1
        reason = _TOML_AT.sub("", message).rstrip(".") or "invalid TOML"
        raise FrontMatterError(reason[:1].lower() + reason[1:], first_line + line - 1) from None
    lines = _toml_lines(front, first_line)
    _fill(data, (), lines)
    return data, lines


def _toml_lines(front: str, first_line: int) -> dict[KeyPath, int]:
    lines: dict[KeyPath, int] = {}
    prefix: KeyPath = ()
    counts: dict[KeyPath, int] = {}
    open_array: tuple[KeyPath, int] | None = None  # a multi-line array: its key, next item
    quote = ""
    for number, text in enumerate(front.splitlines(), first_line):
        if quote:  # inside a multi-line string: no keys here
            if _closes(text, quote):
                quote = ""
            continue
        if open_array is not None:
            key, index = open_array
            item = text.strip()
            if item.startswith("]"):
                open_array = None
            elif item and not item.startswith("#"):
                lines.setdefault((*key, index), number)
                open_array = (key, index + 1)
            continue
        header = _TOML_HEADER.match(text)
        if header and not _TOML_KEY.match(text):
            path = _dotted(header.group(2))
            if header.group(1) == "[[":
                index = counts.get(path, 0)
                counts[path] = index + 1
                lines.setdefault(path, number)
                prefix = (*path, index)
            else:
                prefix = path
            lines.setdefault(prefix, number)
            continue
        pair = _TOML_KEY.match(text)
        if pair:
            key = (*prefix, *_dotted(pair.group(1)))
            lines.setdefault(key, number)
            value = pair.group(2).strip()
            for mark in ('"""', "'''"):
                if value.startswith(mark) and value.count(mark) == 1:
                    quote = mark
            if value.startswith("[") and "]" not in value:
                open_array = (key, 0)
    return lines


_BASIC_CLOSE = re.compile(r'(?<!\\)(?:\\\\)*"""')
"""Three quotes after no backslash or an even run of them (`\\"` is a quote in the text)."""


def _closes(text: str, mark: str) -> bool:
    """Does this line of a multi-line string end it? The first closing mark does, whatever
    follows (a comment may hold another)."""
    return mark in text if mark == "'''" else _BASIC_CLOSE.search(text) is not None


def _dotted(key: str) -> tuple[str, ...]:
    parts = re.findall(r"""\s*("[^"]*"|'[^']*'|[^.\s]+)\s*(?:\.|$)""", key)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _fill(value: Any, at: KeyPath, lines: dict[KeyPath, int]) -> None:
    """Keys and items on the line of a key the scanner found (inline tables, arrays)."""
    items: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, item in items:
        here = (*at, key)
        if here not in lines and at in lines:
            lines[here] = lines[at]
        _fill(item, here, lines)


_JSON_START = re.compile(r'\{[ \t]*(?:\r?\n|")')
_WS = re.compile(r"[ \t\r\n]*")


def starts_json(text: str) -> bool:
    """Hugo's JSON front matter: the file opens with '{' and a key or a line break (not
    '{{ liquid }}' or a sentence in braces)."""
    return bool(_JSON_START.match(text))


def parse_json(text: str) -> tuple[dict[str, Any], dict[KeyPath, int], int]:
    """The object at the start of text, the file line of each key, and where it ends."""
    decoder = json.JSONDecoder()
    try:
        data, end = decoder.raw_decode(text)
    except json.JSONDecodeError as exc:
        raise FrontMatterError(exc.msg[:1].lower() + exc.msg[1:], exc.lineno) from None
    lines: dict[KeyPath, int] = {}
    _json_lines(text, 0, (), lines, decoder)
    return data, lines, end


def _json_lines(text: str, pos: int, at: KeyPath, lines: dict[KeyPath, int],
                decoder: json.JSONDecoder) -> int:
    """Walk one (already valid) JSON value from pos, noting lines; return where it ends."""
    pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    opening = text[pos]
    if opening not in "{[":
        return decoder.raw_decode(text, pos)[1]
    closing = "}" if opening == "{" else "]"
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    index = 0
    while text[pos] != closing:
        if opening == "{":
            key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
            here: KeyPath = (*at, key)
            lines.setdefault(here, text.count("\n", 0, pos) + 1)
            pos = _WS.match(text, pos).end() + 1  # type: ignore[union-attr]  # past ':'
        else:
            here = (*at, index)
            start = _WS.match(text, pos).end()  # type: ignore[union-attr]
            lines.setdefault(here, text.count("\n", 0, start) + 1)
            index += 1
        pos = _json_lines(text, pos, here, lines, decoder)
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if text[pos] == ",":
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    return pos + 1
