"""Jekyll's Liquid tags in an entry body, read rather than run: a text pass before
rendering, every line kept in its place.

`{% highlight ruby %}` … `{% endhighlight %}` becomes a fenced code block, `{% raw %}`
shows what it wraps as written, `{% post_url name %}` and `{% link path %}` in a link
become links to that entry, `{{ site.baseurl }}` and `{{ '/x' | relative_url }}` become
the plain address. Any other tag, and output of Jekyll's own objects (`{{ page.title }}`),
is shown as written, with a warning: growthlog runs no templates in what the author wrote.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from generator.entry_links import WIKI_SCHEME
from generator.notes import outside_code

_TAG = re.compile(r"(?<!\{)\{%-?\s*(\w+)\s*(.*?)\s*-?%\}(?!\})", re.DOTALL)
_OUTPUT = re.compile(r"(?<!\{)\{\{-?\s*([^{}<%\s][^{}]*?)\s*-?\}\}(?!\})")
_RAW_OPEN = re.compile(r"\{%-?\s*raw\s*-?%\}")
_RAW_CLOSE = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_HIGHLIGHT = re.compile(r"([ \t]*)\{%-?\s*highlight\s+([\w+#.-]+)[^%]*-?%\}[ \t]*\Z")
_END_HIGHLIGHT = re.compile(r"([ \t]*)\{%-?\s*endhighlight\s*-?%\}[ \t]*\Z")
_FENCE = re.compile(r"[ ]{0,3}(`{3,}|~{3,})")
_SITE_URL = re.compile(r"\{\{-?\s*site\.(?:baseurl|url)\s*-?\}\}")
_URL_FILTER = re.compile(r"""(['"])([^'"]*)\1\s*\|\s*(?:relative_url|absolute_url)""")
_OBJECTS = ("site", "page", "layout", "include", "content", "paginator", "jekyll", "post",
            "forloop")
_IN_LINK = re.compile(r"""(?:\]\(\s*<?|\]:\s*<?|=\s*["']?)\Z""")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_OPENERS = (("{%", "%}"), ("{{", "}}"))
_SPAN = 4
"""How many lines one tag may run over (`{% link` at a line's end, its path on the next)."""

Warning = tuple[int, str]
"""(0-based line in the body, message)."""


def read_liquid(body: str) -> tuple[str, list[Warning]]:
    """The body with the common Liquid tags read, and a warning for each one left as is."""
    if "{" not in body or ("{%" not in body and "{{" not in body):  # one character: memchr
        return body, []
    lines = body.split("\n")
    warnings: list[Warning] = []
    raw = False
    block = ""  # a code fence's marker
    skip_to = 0
    for number, line in enumerate(lines):
        if number < skip_to:
            continue
        if not raw:
            start = _HIGHLIGHT.match(line)
            if start and not block:
                skip_to = _highlight_block(lines, number, start)
                continue
            fence = _FENCE.match(line)
            if fence and (not block or (fence.group(1)[0] == block[0]
                                        and len(fence.group(1)) >= len(block))):
                block = "" if block else fence.group(1)
        last = number if raw or block else _tag_end(lines, number)
        if last > number:  # a tag over several lines is read as one, its line breaks kept
            joined, raw = _line("\n".join(lines[number:last + 1]), raw, False, number,
                                warnings)
            lines[number:last + 1] = joined.split("\n")
            skip_to = last + 1
            continue
        lines[number], raw = _line(line, raw, bool(block), number, warnings)
    return "\n".join(lines), warnings


def _tag_end(lines: list[str], number: int) -> int:
    """The line where a tag left open at the end of line `number` closes, or `number`; a
    blank line or a code fence ends the search, as either ends a paragraph."""
    line = lines[number]
    for opener, closer in _OPENERS:
        at = line.rfind(opener)
        if at == -1 or closer in line[at:]:
            continue
        for later in range(number + 1, min(number + _SPAN, len(lines))):
            if not lines[later].strip() or _FENCE.match(lines[later]):
                break
            if closer in lines[later]:
                return later
    return number


def _highlight_block(lines: list[str], start: int, opener: re.Match[str]) -> int:
    """Turn `{% highlight %}` … `{% endhighlight %}` into a fenced block in place; the index
    after it. As in Jekyll, raw markers inside are dropped and the code is trimmed of blank
    lines at either end: the fences move onto those lines, so every line keeps its place."""
    end = next((i for i in range(start + 1, len(lines)) if _END_HIGHLIGHT.match(lines[i])),
               len(lines))
    for i in range(start + 1, end):
        lines[i] = _RAW_CLOSE.sub("", _RAW_OPEN.sub("", lines[i]))
    fence = f"{opener.group(1)}```"
    if end == len(lines):  # never closed: the code runs to the end, as a fence would
        lines[start] = fence + opener.group(2)
        return end
    closer = _END_HIGHLIGHT.match(lines[end])
    code = [i for i in range(start + 1, end) if lines[i].strip()]
    first, last = (code[0], code[-1]) if code else (start + 1, start)
    for i in [*range(start, first - 1), *range(last + 2, end + 1)]:
        lines[i] = ""
    lines[first - 1] = fence + opener.group(2)
    lines[last + 1] = f"{closer.group(1) if closer else opener.group(1)}```"
    return end + 1


def _line(line: str, raw: bool, in_code: bool, number: int,
          warnings: list[Warning]) -> tuple[str, bool]:
    """One line: raw stretches as written (their tags removed), the rest read."""
    out: list[str] = []
    at = 0
    while at <= len(line):
        pattern = _RAW_CLOSE if raw else _RAW_OPEN
        found = pattern.search(line, at)
        piece = line[at:found.start() if found else len(line)]
        out.append(piece if raw or in_code else outside_code(
            piece, lambda text: _read(text, number, warnings)))
        if found is None:
            break
        raw, at = not raw, found.end()
    return "".join(out), raw


def _read(text: str, number: int, warnings: list[Warning]) -> str:
    text = _SITE_URL.sub("", text)

    def tag(match: re.Match[str]) -> str:
        name, argument = match.group(1), match.group(2).strip()
        if name in ("post_url", "link") and argument and _IN_LINK.search(
                match.string[:match.start()]):
            return WIKI_SCHEME + quote(argument.strip("'\""), safe="/") + "\n" * (
                match.group(0).count("\n"))  # the tag's line breaks stay: lines keep places
        warnings.append((number, f"{_shown(match.group(0))} is Liquid, which growthlog does "
                                 "not run; it is shown as written"))
        return match.group(0)

    def output(match: re.Match[str]) -> str:
        expression = match.group(1)
        url = _URL_FILTER.fullmatch(expression.strip())
        if url:
            return _site_address(url.group(2))
        if "|" in expression or expression.split(".")[0].split("[")[0] in _OBJECTS:
            warnings.append((number, f"{_shown(match.group(0))} is Liquid, which growthlog "
                                     "does not run; it is shown as written"))
        return match.group(0)

    return _OUTPUT.sub(output, _TAG.sub(tag, text))


def _site_address(path: str) -> str:
    """What `relative_url` makes of a path: an address from the site's root, as Jekyll
    gives `'docs/x/' | relative_url` ('/docs/x/'); an address with a scheme stays as is."""
    return path if _SCHEME.match(path) or path.startswith("/") else "/" + path


def _shown(tag: str) -> str:
    """A tag as a warning quotes it: on one line."""
    return " ".join(tag.split())
