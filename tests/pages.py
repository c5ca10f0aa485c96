"""The built sites the page checks run over, and where the checkers are.

Two logs: the sample in content/, and a feature log that adds one entry using every
front-matter field and Markdown feature (attachments, footnotes, tables, task lists,
raw HTML, text pasted from an email with odd characters) plus a draft built with --drafts.
Each is built public, under a base_url, and private (pages decrypted back to HTML).

The checkers are npm packages pinned in tests/web/package.json (`npm ci` there), run with
the machine's Java (vnu) and Debian's Chromium (axe-core). .ci/run installs them and sets
GROWTHLOG_PAGE_CHECKS=required; without it a missing checker skips with the command that
installs it (shown in the summary, `-rs`), as the browser tests do without Chromium.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from generator import keys
from generator.build import build
from generator.crypto import open_file

from conftest import REPO

WEB = REPO / "tests" / "web"
VNU_JAR = WEB / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = WEB / "node_modules" / "axe-core" / "axe.min.js"
INSTALL = ("install the page checkers: `npm ci --ignore-scripts --prefix tests/web` "
           "(Debian: `apt-get install nodejs npm`), and a Java runtime for vnu "
           "(`apt-get install default-jre-headless`); .ci/run does both")
PASSWORD = "cobalt hazel dune tripod plaza"

# Pasted from a rejection email: curly quotes, a non-breaking space, a zero-width space,
# a soft hyphen, right-to-left text, an emoji with a joiner, markup characters, a very
# long unbroken word.
ODD = ("\u201cWe\u2019ve decided\u00a0to move forward\u200b with other candidates\u201d "
       "\u2014 Re\u00adcruit\u00ader, \u05e9\u05dc\u05d5\u05dd, caf\u00e9 na\u0308ive, "
       "\U0001f469\u200d\U0001f4bb a<b && c>d &amp; \"quotes\" 'single' "
       "Supercalifragilisticexpialidociousdataengineeringpipelineorchestrationframework")

FEATURE_ENTRY = f"""---
title: "Staff Engineer at O\u2019Brien & Sons <Ltd>"
date: 2026-10-02
company: "O\u2019Brien & Sons <Ltd>"
role: Staff Engineer
stage: final
outcome: ghosted
applied: 2026-08-20
tags: [system-design, "c++ & rust", caf\u00e9]
feedback:
  asked: true
  from: "Head of Engineering"
  received: {json.dumps(ODD, ensure_ascii=False)}
  other_openings: A platform role next spring
support:
  - {{who: Sam (mentor), took_away: "Say trade-offs out loud"}}
  - {{who: "Mum"}}
postmortem:
  went_well: [Rapport with the panel, "Whiteboard <diagram>"]
  to_improve: [Data modelling]
bridges: {{thank_you_sent: 2026-10-03, keep_in_touch: true}}
lessons:
  - Lead with trade-offs before components.
  - "Ask \u201cwhat does success look like?\u201d early"
actions:
  - Two system-design mocks a week
  - {{text: Update resume summary, done: true, due: 2026-10-30}}
  - {{text: "Write to O\u2019Brien in spring", due: 2027-03-01}}
---
{ODD}

## What happened

The final round had four parts[^panel]. ~~It went badly~~ It went *mostly* well.

| Round | Length | Felt |
| --- | ---: | :---: |
| Design | 60 min | good |
| Coding | 45 min | rushed |

- [x] Sent the thank-you note
- [ ] Ask for feedback again

```python
def lesson() -> str:
    return "trade-offs first < components"
```

![The whiteboard I drew](images/board.svg "My diagram")

My [notes as a PDF](notes.pdf#page=2), a [section](#what-happened) and
[an outside page](https://example.org/advice?a=1&b=2).

<kbd>Ctrl</kbd> and <abbr title="System design">SD</abbr> in raw HTML.

### A third-level heading

> A quote from the recruiter.

[^panel]: Design, coding, behavioural and a chat with the director.
"""

DRAFT_ENTRY = """---
title: Draft about Ninebark
date: 2026-10-20
company: Ninebark
draft: true
tags: [nerves]
---
Still writing this one.
"""

BOARD_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">'
             b'<rect width="40" height="20" fill="#ccc"/></svg>\n')


@dataclass(frozen=True)
class Built:
    """One built site: its folder and how it is served."""

    name: str
    root: Path
    out: Path
    base_url: str = "/"
    private: bool = False


def checker(path: Path, what: str) -> Path:
    """The checker's file, or a skip/fail that says how to install it."""
    if path.is_file() and (path != VNU_JAR or shutil.which("java")):
        return path
    message = f"{what} is missing ({path.relative_to(REPO)}): {INSTALL}"
    if os.environ.get("GROWTHLOG_PAGE_CHECKS") == "required" or os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def sample_log(root: Path, config: str = "") -> Path:
    shutil.copytree(REPO / "content", root / "content")
    (root / "growthlog.toml").write_text(config, encoding="utf-8")
    return root


def feature_log(root: Path, config: str = "") -> Path:
    sample_log(root, 'title = "Caf\u00e9 \u201clog\u201d & <notes>"\n'
               'author = "A. N. O\u2019Author"\nunsafe_html = true\n' + config)
    folder = root / "content" / "2026" / "obrien"
    (folder / "images").mkdir(parents=True)
    (folder / "2026-10-02-staff-engineer-obrien.md").write_text(FEATURE_ENTRY, encoding="utf-8")
    (folder / "2026-10-20-draft.md").write_text(DRAFT_ENTRY, encoding="utf-8")
    (folder / "images" / "board.svg").write_bytes(BOARD_SVG)
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    return root


def build_all(base: Path) -> dict[str, Built]:
    """Every site the page checks run over, built once."""
    sites: dict[str, Built] = {}
    sample = sample_log(base / "sample")
    build(sample)
    sites["sample"] = Built("sample", sample, sample / "output")
    feature = feature_log(base / "feature")
    build(feature, drafts=True)
    sites["feature"] = Built("feature", feature, feature / "output")
    under = feature_log(base / "under", 'base_url = "/my-log/"\n')
    build(under, drafts=True)
    sites["under"] = Built("under", under, under / "output", "/my-log/")
    secret = feature_log(base / "private")
    keys.init_keyfile(secret, PASSWORD)
    build(secret, private=True, password=PASSWORD)
    sites["private"] = Built("private", secret, secret / "output", private=True)
    return sites


def decrypt_pages(site: Built, into: Path) -> Path:
    """Write every private page's decrypted HTML (and one shell) under `into`, same names."""
    _, site_keys = keys.unlock(site.root, PASSWORD)
    for page in site.out.rglob("*.html"):
        relative = page.relative_to(site.out).as_posix()
        shell = page.read_text(encoding="utf-8")
        data = json.loads(re.search(r'<script type="application/json" id="gl-page">(.*?)</script>',
                                    shell, re.S).group(1))  # type: ignore[union-attr]
        _, body = open_file(site_keys, relative, base64.b64decode(data["payload"]))
        target = into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    (into / "shell.html").write_text((site.out / "index.html").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    return into


def html_pages(out: Path) -> list[str]:
    """Every page's path relative to the site, POSIX."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))


def one_of_each_kind(out: Path) -> list[str]:
    """One page of every kind a public build writes (the first in sorted order)."""
    kinds: dict[str, str] = {}
    for path in html_pages(out):
        folders = path.split("/")[:-1]
        kinds.setdefault("/".join(folders[:1] + ["*"] * (len(folders) - 1)) or path, path)
    return sorted(kinds.values())


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(folder: Path, base_url: str = "/") -> Iterator[str]:
    """Serve a built folder over HTTP at base_url (the folder is mounted there)."""
    mount = base_url.strip("/")

    class Handler(_Quiet):
        def translate_path(self, path: str) -> str:
            if mount:
                prefix = f"/{mount}/"
                if not (path == f"/{mount}" or path.startswith(prefix)):
                    return str(folder / "\0missing")
                path = "/" + path[len(prefix):] if path.startswith(prefix) else "/"
            return super().translate_path(path)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler,
                                                                   directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{base_url}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
