"""Raw HTML in an entry body that the build shows as text (`unsafe_html` is off): found in
the rendered page, so code that quotes a tag is never counted, and named with its line.

Pure; entries.py turns what it finds into one warning per entry.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"<pre[\s>].*?</pre>|<code[\s>].*?</code>", re.DOTALL)
_ESCAPED_TAG = re.compile(r"&lt;(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/]|&gt;)")


def escaped_tag(html: str, body: str) -> tuple[str, int] | None:
    """The first HTML tag a body wrote that its page shows as text, as `<tag>`, and the
    1-based line of the body it is on (0 when it cannot be told); None when there is
    none."""
    found = _ESCAPED_TAG.search(_CODE.sub("", html))
    if found is None:
        return None
    closing, name = found.groups()
    written = re.compile(rf"<{closing}{re.escape(name)}(?=[\s/>])", re.IGNORECASE)
    line = next((number for number, text in enumerate(body.split("\n"), 1)
                 if written.search(text)), 0)
    return f"<{closing}{name}>", line
