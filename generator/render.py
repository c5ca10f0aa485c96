"""Site + theme → OutputFiles: one small function per page kind; nothing touches disk.

Each page is planned as (logical path, template, context). Rendering is memoised on the
context: when a rebuild plans a page whose context equals last time's, the old bytes are
reused. Contexts hold only what the page shows, so editing one entry re-renders only the
pages that show it (see [serve]).
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jinja2

from generator.config import SiteConfig
from generator.errors import Problem, ProblemsFound
from generator.model import Entry, Site
from generator.theme import Theme
from generator.urls import Urls, entry_path, tag_path

NAV = (("Home", ""), ("Timeline", "timeline/"), ("Tags", "tags/"), ("Lessons", "lessons/"),
       ("Actions", "actions/"))
HOME_LESSONS = 5
HOME_ACTIONS = 8


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: str
    """Relative to the output folder, POSIX."""
    data: bytes


@dataclass(frozen=True, slots=True)
class PageInfo:
    kind: str
    title: str
    path: str
    """Logical path, e.g. 'entries/acme/'."""


@dataclass(frozen=True, slots=True)
class PagePlan:
    info: PageInfo
    template: str
    context: dict[str, Any]


@dataclass
class RenderCache:
    """Rendered bytes of each page with the context they came from."""

    theme: Theme | None = None
    urls_key: tuple[object, ...] = ()
    pages: dict[str, tuple[PagePlan, bytes]] = field(default_factory=dict)
    rendered: int = 0
    """Pages actually rendered (not reused) in the last render_site call."""


def plan_pages(site: Site, config: SiteConfig) -> list[PagePlan]:
    """Every page of the site with the data it shows."""
    plans = [_home(site, config), _timeline(site), _tags(site), _lessons(site), _actions(site),
             PagePlan(PageInfo("404", "Page not found", "404.html"), "404.html", {})]
    plans += _entries(site)
    plans += [PagePlan(PageInfo("tag", f"Tag: {tag.name}", tag_path(tag)), "tag.html",
                       {"tag": tag}) for tag in site.tags]
    return plans


def _home(site: Site, config: SiteConfig) -> PagePlan:
    return PagePlan(PageInfo("home", config.title, ""), "index.html", {
        "entries": site.entries[: config.recent], "stats": site.stats,
        "open_actions": site.open_actions[:HOME_ACTIONS],
        "lessons": site.lessons[:HOME_LESSONS], "total_entries": len(site.entries)})


def _timeline(site: Site) -> PagePlan:
    return PagePlan(PageInfo("timeline", "Timeline", "timeline/"), "timeline.html",
                    {"timeline": site.timeline})


def _tags(site: Site) -> PagePlan:
    return PagePlan(PageInfo("tags", "Tags", "tags/"), "tags.html", {"tags": site.tags})


def _lessons(site: Site) -> PagePlan:
    return PagePlan(PageInfo("lessons", "Lessons", "lessons/"), "lessons.html",
                    {"lessons": site.lessons})


def _actions(site: Site) -> PagePlan:
    return PagePlan(PageInfo("actions", "Actions", "actions/"), "actions.html",
                    {"open_actions": site.open_actions, "done_actions": site.done_actions})


def _entries(site: Site) -> Iterator[PagePlan]:
    entries = site.entries
    for index, entry in enumerate(entries):
        newer: Entry | None = entries[index - 1] if index else None
        older: Entry | None = entries[index + 1] if index + 1 < len(entries) else None
        yield PagePlan(PageInfo("entry", entry.title, entry_path(entry)), "entry.html", {
            "entry": entry, "newer": newer and (newer.title, entry_path(newer)),
            "older": older and (older.title, entry_path(older))})


def render_site(plans: list[PagePlan], theme: Theme, urls: Urls, config: SiteConfig,
                cache: RenderCache | None = None) -> list[OutputFile]:
    """Render every planned page, reusing cached bytes where the context is unchanged."""
    cache = cache if cache is not None else RenderCache()
    urls_key = (urls.base_url, config)
    if cache.theme is not theme or cache.urls_key != urls_key:
        cache.theme, cache.urls_key, cache.pages = theme, urls_key, {}
    theme.env.globals.update(url=urls.href, config=config, nav=NAV, stages=config.stages)
    files: list[OutputFile] = []
    problems: list[Problem] = []
    pages: dict[str, tuple[PagePlan, bytes]] = {}
    cache.rendered = 0
    for plan in plans:
        path = urls.output_path(plan.info.path)
        cached = cache.pages.get(path)
        if cached is not None and cached[0] == plan:
            data = cached[1]
        else:
            try:
                data = _render(theme.env, plan).encode("utf-8")
            except jinja2.TemplateError as exc:
                problems.append(template_problem(exc, plan))
                continue
            cache.rendered += 1
        pages[path] = (plan, data)
        files.append(OutputFile(path, data))
    if problems:
        raise ProblemsFound(problems)
    cache.pages = pages
    return files


def _render(env: jinja2.Environment, plan: PagePlan) -> str:
    return env.get_template(plan.template).render(page=plan.info, **plan.context)


def template_problem(exc: jinja2.TemplateError, plan: PagePlan | None = None) -> Problem:
    """Name the template file and line, and the page being rendered."""
    where = f" (rendering {plan.info.kind} page '{plan.info.title}')" if plan else ""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Problem(exc.filename or exc.name or "template", f"template syntax error: "
                       f"{exc.message}{where}", line=exc.lineno)
    if isinstance(exc, jinja2.TemplateNotFound):
        return Problem(f"template {exc.name}", f"not found in the theme{where}")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".html")]
    if frames:
        return Problem(frames[-1].filename, f"template error: {exc}{where}", line=frames[-1].lineno)
    return Problem("template", f"template error: {exc}{where}")
