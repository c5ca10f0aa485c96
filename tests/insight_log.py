"""A five-entry log whose figures are worked out by hand in the insight tests."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from generator.model import Site
from generator.pipeline import load_log

A = """---
title: Data Engineer at Acme
date: 2025-01-10
company: Acme
role: Data Engineer
stage: screen
outcome: rejected
applied: 2025-01-01
tags: [sql]
feedback: {asked: true, received: Nice SQL}
lessons: [Have a salary range ready.]
actions:
  - {text: Research bands, done: true, due: 2025-01-20}
---
The recruiter asked about my pelican migration project.
"""
B = """---
title: Backend Engineer at Globex
date: 2025-02-15
company: Globex
stage: interview
outcome: rejected
applied: 2025-01-20
tags: [system-design]
feedback: {asked: false}
support: [{who: Sam}]
postmortem: {to_improve: [Have a salary range ready!]}
lessons: [Lead with trade-offs., Draw the consumers first.]
actions:
  - {text: Mock interviews, due: 2025-03-01}
---
Design round went long.
"""
C = """---
title: Analyst at Initech
date: 2025-04-02
company: Initech
stage: applied
outcome: ghosted
tags: [sql]
lessons: [Lead with trade-offs]
---
No reply.
"""
D = """---
title: Senior Data Engineer at Acme
date: 2025-04-20
company: acme
stage: final
outcome: rejected
applied: 2025-03-01
bridges: {thank_you_sent: 2025-04-21}
lessons: [Have a salary range ready]
---
Second try at Acme.
"""
E = """---
title: Staff Engineer at Umbrella
date: 2025-07-05
company: Umbrella
stage: offer
outcome: closed
applied: 2025-06-01
tags: [system-design]
feedback: {asked: true}
lessons: [Ask about the team early.]
actions:
  - {text: Write thank-you, due: 2025-07-10}
  - Update resume
---
The role closed after the offer stage.
"""
FILES: dict[str, str | bytes] = {
    "content/a.md": A, "content/b.md": B, "content/c.md": C, "content/d.md": D, "content/e.md": E,
}


def fixture_site(root: Path) -> Site:
    return load_log(root).site


class Tables(HTMLParser):
    """Collects the rows of every table, by the id of the enclosing section."""

    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.tables: dict[str, list[list[str]]] = {}
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.classes: dict[str, list[str]] = {}
        self._in_class: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "section" and attr.get("id"):
            self.section = attr["id"]
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "p" and attr.get("class") in ("observation", "not-enough"):
            self._in_class, self._buffer = attr["class"], []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None and self.section:
            self.tables.setdefault(self.section, []).append(self.row)
            self.row = None
        elif tag == "p" and self._in_class and self.section:
            key = f"{self.section}.{self._in_class}"
            self.classes.setdefault(key, []).append("".join(self._buffer).strip())
            self._in_class = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        if self._in_class:
            self._buffer.append(data)


def parse_tables(html: str) -> Tables:
    parser = Tables()
    parser.feed(html)
    return parser
