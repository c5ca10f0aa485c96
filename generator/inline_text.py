"""A paragraph's Markdown as the words a reader sees, for summaries on listing pages and in
the feed: links and images give their text, code spans their code, emphasis and escapes
their characters, entities the character they name.

Pure; markup.py calls it on the first paragraph of a body, for both renderers alike.
"""

from __future__ import annotations

import html
import re

_DESTINATION = (r"""\(\s*(?:<[^<>\n]*>|(?:[^()\s\\]|\\.|\([^()\s]*\))*)"""
                r"""(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)""")
_LINK = re.compile(r"!?\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]"
                   r"(?:" + _DESTINATION + r"|\[(?:[^\[\]\\]|\\.)*\])?")
_AUTOLINK = re.compile(r"<((?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)|[^<>\s@]+@[^<>\s@]+)>")
_CODE = re.compile(r"(?<![`\\])(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_EMPHASIS = re.compile(r"(?<![\w*_\\])[*_]+(?=\S)|(?<=\S)(?<!\\)[*_]+(?![\w*_])|~~")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_HELD = re.compile(r"\0(\d+)\0")


def plain_inline(markdown: str) -> str:
    """The text of inline Markdown on one line: `[the Acme one](acme.md)` reads 'the Acme
    one', `` `snake_case` `` reads 'snake_case', `**no**` reads 'no'."""
    codes: list[str] = []

    def hold(match: re.Match[str]) -> str:  # code is kept as written, even inside a link
        codes.append(match.group(2).strip() or match.group(2))
        return f"\0{len(codes) - 1}\0"

    text = _AUTOLINK.sub(r"\1", _CODE.sub(hold, markdown.replace("\0", "")))
    while True:
        linked = _LINK.sub(lambda m: m.group(1), text)
        if linked == text:
            break
        text = linked
    text = html.unescape(_ESCAPE.sub(r"\1", _EMPHASIS.sub("", _TAG.sub("", text))))
    text = _HELD.sub(lambda m: codes[int(m.group(1))], text)
    return " ".join(text.split())
