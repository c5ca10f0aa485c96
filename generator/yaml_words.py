"""A PyYAML error in front matter → the line where the problem starts, in the author's words.

PyYAML reports where it gave up (often lines later, at the next key or the closing
`---`) in parser terms ("did not find expected ',' or ']'"). Its context mark usually
says where the trouble began: an unclosed `[` or a line that is not `key: value`.
"""

from __future__ import annotations

import re

import yaml

from generator.value import Value, frozen

PREFIX = "front matter: "


@frozen
class Explained(Value):
    """A YAML error in words, at the file line where it starts."""

    line: int | None
    """In the file, counting the opening '---' line."""
    message: str


def explain(exc: yaml.MarkedYAMLError, front: str, first_line: int = 2) -> Explained:
    """What went wrong in `front` (the text between the '---' lines, which starts on file
    line `first_line`), named at the line where it starts."""
    lines = front.splitlines()
    context = _line(exc.context_mark, first_line)
    problem = _line(exc.problem_mark, first_line)
    said = f"{exc.context or ''} {exc.problem or ''}"

    def text(line: int | None) -> str:
        index = (line or 0) - first_line
        return lines[index] if 0 <= index < len(lines) else ""

    if "flow sequence" in said and context is not None:
        return Explained(context, f"the list opened on line {context} is never closed with ]")
    if "flow mapping" in said and context is not None:
        return Explained(context, f"the {{ opened on line {context} is never closed with }}")
    if "quoted scalar" in said and context is not None:
        return Explained(context, f"the quote opened on line {context} is never closed")
    if "simple key" in said and context is not None:
        return Explained(context, _not_key_value(context, text(context)))
    if "tab character" in said or "'\\t'" in said:
        at = problem or context
        return Explained(at, f"line {at} is indented with a tab; indent with spaces")
    if "mapping values are not allowed" in said and problem is not None:
        return Explained(problem, _second_colon(problem, text(problem)))
    if "undefined alias" in said and problem is not None:
        return Explained(problem, f"line {problem} has a value starting with *, which YAML "
                                  "reads as a reference; put the value in quotes")
    if "constructor for the tag" in said and problem is not None:
        return Explained(problem, f"line {problem} has a value starting with !, which YAML "
                                  "reads as a type; put the value in quotes")
    if "expected key" in said or "block end" in said:
        at = problem or context
        return Explained(at, f"line {at} does not read as `key: value`; if its value holds "
                             "quotes, a ':' or a '#', put the whole value in double quotes")
    return Explained(problem or context, f"is not valid YAML ({exc.problem or 'unreadable'})")


def _line(mark: yaml.Mark | None, first_line: int) -> int | None:
    return None if mark is None else mark.line + first_line


def _not_key_value(line: int, text: str) -> str:
    word = text.strip()
    if re.fullmatch(r"[A-Za-z_][\w-]*", word):
        return f"line {line} is not a `key: value` line: add a ':' after {word}"
    return (f"line {line} is not a `key: value` line: did the front matter miss its "
            "closing ---?")


def _second_colon(line: int, text: str) -> str:
    key, _, value = text.partition(":")
    if ": " in value.strip() or value.strip().endswith(":"):
        quoted = value.strip().replace('"', '\\"')
        return (f"line {line} has a second ': ' in its value; put the value in quotes: "
                f'{key.strip()}: "{quoted}"')
    return (f"line {line} is indented more than the key above it; line keys of the same "
            "level up under each other")
