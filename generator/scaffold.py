"""`init` and `new`: write a fresh log or entry from templates. Never overwrites a file."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import re
from pathlib import Path

from generator.config import CONFIG_NAME, SiteConfig
from generator.errors import GrowthlogError
from generator.schema import entry_json_schema
from generator.slugs import make_slug
from generator.value import Value, frozen

SCHEMA_FILE = "growthlog.schema.json"


@frozen
class NewEntry(Value):
    """What `growthlog new` writes into a new entry file."""

    title: str
    date: dt.date
    company: str | None = None
    role: str | None = None
    stage: str | None = None


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _in_two_weeks(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=14) if day <= dt.date.max - dt.timedelta(days=14) else day


def entry_text(new: NewEntry, config: SiteConfig, schema_ref: str) -> str:
    """The new entry: front matter with the five practices as prompts, then the body."""
    optional = "".join(f"{key}: {_quote(value)}\n" for key, value in (
        ("company", new.company), ("role", new.role)) if value)
    stage = f"stage: {new.stage}\n" if new.stage else f"# stage: {' | '.join(config.stages)}\n"
    return f"""---
# yaml-language-server: $schema={schema_ref}
title: {_quote(new.title)}
date: {new.date.isoformat()}
{optional}{stage}# outcome: {' | '.join(config.outcomes)}
# applied: {new.date.isoformat()}
tags: []

# 1. Ask for feedback. Did you ask? What did they say, and who said it?
feedback:
  asked: false
  # from: Recruiter
  # received: "What they said, in your words"
  # other_openings: "Any other roles they mentioned"

# 2. Talk to family & friends. Who did you talk to, and what did you take away?
support: []
#  - who: A friend
#    took_away: "Advice or a lead"

# 3. Interview post-mortem. What went well, what would you do differently?
postmortem:
  went_well: []
  to_improve: []

# 4. Never burn bridges. Did you send a thank-you (the date)? Stay in touch?
bridges:
  thank_you_sent: false
  keep_in_touch: true

# 5. Evaluate necessary changes: lessons in one sentence, then concrete actions.
lessons: []
actions: []
#  - Update resume summary
#  - {{text: Two mock interviews, done: false, due: {_in_two_weeks(new.date)}}}
draft: true
---
What happened, and how it felt. Write as much or as little as you like;
set `draft: false` when you want it on the site.
"""


def new_entry(root: Path, config: SiteConfig, new: NewEntry) -> Path:
    """Write content/<date>-<slug>.md; refuse to overwrite an existing file."""
    if not new.title.strip():
        raise GrowthlogError(f"TITLE: expected some text, such as \"Data Engineer at Acme\"; "
                             f"found {new.title!r}")
    path = root / "content" / f"{new.date.isoformat()}-{make_slug(new.title)}.md"
    _write_new(path, entry_text(new, config, f"../{SCHEMA_FILE}"))
    write_schema(root, config)
    return path


def write_schema(root: Path, config: SiteConfig) -> Path:
    """growthlog.schema.json at the log's root, for editors; growthlog's own file."""
    path = root / SCHEMA_FILE
    text = json.dumps(entry_json_schema(config), indent=2) + "\n"
    try:
        if not os.path.lexists(path):
            _write_new(path, text)
        elif path.read_text(encoding="utf-8") != text:
            if not _is_our_schema(path):
                raise GrowthlogError(f"{path}: already exists and is not the entry schema "
                                     "growthlog writes; it was left as it is")
            path.write_text(text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise GrowthlogError(f"{path}: cannot be written: {reason}") from None
    return path


def _is_our_schema(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("title") == "growthlog entry"


def init_log(directory: Path) -> list[Path]:
    """A new log that builds immediately: config, one example entry, .gitignore, README."""
    if (directory / CONFIG_NAME).exists() or (directory / "content").exists():
        raise GrowthlogError(f"{directory} already holds a log; nothing was changed")
    config = SiteConfig()
    files = {
        directory / CONFIG_NAME: CONFIG_TEMPLATE,
        directory / ".gitignore": GITIGNORE,
        directory / "README.md": README_TEMPLATE,
        directory / "content" / EXAMPLE_NAME: EXAMPLE_ENTRY.replace(
            "@SCHEMA@", f"../{SCHEMA_FILE}"),
    }
    schema = directory / SCHEMA_FILE
    # Every name is checked before the first write: a refusal leaves nothing behind.
    taken = [p for p in (*files, schema) if os.path.lexists(p)]
    if taken:
        raise GrowthlogError(f"{taken[0]} already exists; nothing was written (init a new "
                             "folder, or move it away)")
    _make_folder(directory)
    for path, text in files.items():
        _write_new(path, text)
    return [*files, write_schema(directory, config)]


def _make_folder(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GrowthlogError(f"{directory}: cannot create this folder: "
                             f"{_reason(exc, directory)}") from None


def _write_new(path: Path, text: str) -> None:
    if path.parent.exists() and not path.parent.is_dir():
        raise GrowthlogError(f"{path.parent}: is a file, not a folder; nothing was written")
    _make_folder(path.parent)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise GrowthlogError(f"{path} already exists; nothing was overwritten") from None
    except OSError as exc:
        path.unlink(missing_ok=True)  # ours: opened with "x" just now
        raise GrowthlogError(f"{path}: cannot be written: {_reason(exc, path)}") from None


def _reason(exc: OSError, path: Path) -> str:
    for folder in (path, *path.parents):
        if folder.exists() and not folder.is_dir():
            return f"{folder} is a file, not a folder"
    return exc.strerror or type(exc).__name__


EXAMPLE_NAME = "2026-01-15-example.md"

GITIGNORE = "output/\n.growthlog-cache/\n.*.growthlog-staging/\n"
"""The built site, the build cache, and the hidden folder a build that was killed part-way
can leave beside the output folder (the next build clears it)."""
EXAMPLE_ENTRY = """\
---
# yaml-language-server: $schema=@SCHEMA@
# An example of a filled-in entry. `example: true` keeps it out of every figure, and the
# site leaves it out as soon as you write an entry of your own: `growthlog new "Role at
# Company"`. Delete this file whenever you like.
example: true
title: "Example: Data Analyst at Example Co"
date: 2026-01-15
company: "Example Co"
role: "Data Analyst"
stage: interview
outcome: rejected
applied: 2025-12-20
tags: [sql, interviews]

feedback:
  asked: true
  from: Recruiter
  received: "Strong on SQL; they wanted more experience presenting to stakeholders."

support:
  - who: A friend who hires analysts
    took_away: "Tell one story per project: the question, the data, the decision."

postmortem:
  went_well: [The take-home exercise]
  to_improve: [Practise explaining a chart in two minutes]

bridges:
  thank_you_sent: 2026-01-16
  keep_in_touch: true

lessons:
  - Rehearse the story behind each project, not only the technique.
actions:
  - {text: Record a two-minute walk-through of one project, done: false, due: 2026-01-31}
---
What happened, and how it felt, in your own words: as much or as little as you like.
This one is only an example; yours will not be.
"""

CONFIG_TEMPLATE = """\
# growthlog settings. Every option is optional; the values shown are the defaults.

title = "My growth log"
# author = "Your name"

# Path the site is served under. For a GitHub project page at
# https://you.github.io/my-log/ use "/my-log/".
base_url = "/"

# theme = "default"      # or a folder of your own under themes/
# How far an application can get, in order, and how one can end.
# stages = ["applied", "screen", "assessment", "interview", "final", "offer"]
# outcomes = ["rejected", "ghosted", "withdrew", "closed"]

# unsafe_html = false    # let raw HTML in entries through
# recent = 5             # entries on the home page
"""

README_TEMPLATE = """\
# My growth log

Entries live in `content/`, one Markdown file each. Useful commands:

    growthlog new "Role at Company"   # a new entry from the template
    growthlog check                   # find every problem, write nothing
    growthlog build                   # the site, in output/

The site is written to `output/`, which is not committed.
"""


WORKFLOW_PATH = Path(".github") / "workflows" / "pages.yml"
_SOURCE = re.compile(r"^(?:git\+)?(https://[^\s@\"'`$]+?)(?:\.git)?@([0-9a-f]{40})$")

# Actions pinned by commit (a tag can be moved; a commit cannot), with the release tag it had.
ACTIONS = {
    "actions/checkout": ("de0fac2e4500dabe0009e67214ff5f5447ce83dd", "v6.0.2"),
    "actions/setup-python": ("a309ff8b426b58ec0e2a45f0f869d46889d02405", "v6.2.0"),
    "actions/upload-pages-artifact": ("7b1f4a764d45c48632c6b24a0339c27f5614fb0b", "v4.0.0"),
    "actions/deploy-pages": ("cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "v5.0.0"),
}


def growthlog_source(given: str | None) -> str:
    """The pip requirement for growthlog in the workflow: an exact commit of a git repository
    over HTTPS (git checks every object against its hash, so that commit is what runs).
    growthlog is not on PyPI, and a name alone would install whoever registers it."""
    text = (given or _installed_source() or "").strip()
    match = _SOURCE.match(text)
    if match is None:
        found = f"; found {given!r}" if given else ""
        raise GrowthlogError(
            "--growthlog-source: expected the HTTPS URL of growthlog's git repository and a full "
            "40-character commit, e.g. https://github.com/OWNER/growthlog@" + "0" * 40 + found)
    return f"growthlog @ git+{match.group(1)}@{match.group(2)}"


def _installed_source() -> str | None:
    """URL@commit when this growthlog was installed by pip from a git commit (PEP 610)."""
    try:
        text = importlib.metadata.distribution("growthlog").read_text("direct_url.json")
        data = json.loads(text or "{}")
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None
    commit = data.get("vcs_info", {}).get("commit_id")
    return f"{data.get('url')}@{commit}" if commit and data.get("url") else None


def write_pages_workflow(directory: Path, requirement: str) -> Path:
    """The GitHub Actions workflow for Pro/Team accounts (Pages from a private repository)."""
    path = directory / WORKFLOW_PATH
    text = PAGES_WORKFLOW.replace("@REQUIREMENT@", requirement)
    for action, (commit, tag) in ACTIONS.items():
        text = text.replace(f"@{action}@", f"{action}@{commit} # {tag}")
    _write_new(path, text)
    return path


PAGES_WORKFLOW = """\
# Publish the encrypted log with GitHub Pages (GitHub Pro or Team: Pages from a PRIVATE repo).
# The published site is public on the internet; growthlog encrypts every file of it.
# 1. Keep this repository private. Commit .growthlog/site-key.json (never your passphrase).
# 2. Settings -> Secrets and variables -> Actions: add the secret GROWTHLOG_PASSWORD.
#    (GitHub then holds your passphrase; to avoid that, build locally with
#    `growthlog deploy --branch site` and point this workflow at that branch instead.)
# 3. Settings -> Pages -> Source: "GitHub Actions".
# growthlog is installed from one exact commit of its repository, and every action is pinned
# to a commit: nothing that runs next to the passphrase can change without an edit here.
name: Publish
on:
  push:
    branches: [main]
  workflow_dispatch:
permissions:
  contents: read
concurrency:
  group: pages
  cancel-in-progress: true
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: @actions/checkout@
        with:
          persist-credentials: false
      - uses: @actions/setup-python@
        with:
          python-version: "3.12"
      - name: Install growthlog from a pinned commit
        run: python -m pip install --no-cache-dir "@REQUIREMENT@"
      # The only step that sees the passphrase.
      - name: Build encrypted and audit for leaks
        env:
          GROWTHLOG_PASSWORD: ${{ secrets.GROWTHLOG_PASSWORD }}
        run: |
          growthlog build --private
          growthlog audit
          rm -f output/.growthlog-manifest.json
      - uses: @actions/upload-pages-artifact@
        with:
          path: output
  deploy:
    needs: build
    runs-on: ubuntu-latest
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: @actions/deploy-pages@
"""
