"""Site + theme → OutputFiles: one small function per page kind; nothing touches disk.

Each page is planned as (logical path, template, context). Rendering is memoised on the
context: when a rebuild plans a page whose context equals last time's, the old bytes are
reused. Contexts hold only what the page shows, so editing one entry re-renders only the
pages that show it (see [serve]).
"""

from __future__ import annotations

import datetime as dt
import functools
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from generator.config import SiteConfig
from generator.errors import Problem, ProblemsFound
from generator.fragments import FragmentStore
from generator.meter import Tick
from generator.model import Entry, Site
from generator.progress import progress_figures
from generator.theme import Theme
from generator.urls import (
    PROGRESS_PATH,
    SEARCH_PATH,
    Urls,
    company_path,
    entry_path,
    month_path,
    stage_path,
    tag_path,
    year_path,
)

NAV = (("Home", ""), ("Timeline", "timeline/"), ("Tags", "tags/"), ("Lessons", "lessons/"),
       ("Actions", "actions/"), ("Companies", "companies/"), ("Progress", PROGRESS_PATH))
HOME_LESSONS = 5
HOME_ACTIONS = 8
HOME_RECURRING = 3


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
    fragments: FragmentStore = field(default_factory=FragmentStore)
    """`{% cache %}` fragments; valid for the same theme, URLs and config as `pages`."""
    rendered: int = 0
    """Pages actually rendered (not reused) in the last render_site call."""


def plan_pages(site: Site, config: SiteConfig) -> list[PagePlan]:
    """Every page of the site with the data it shows."""
    plans = [_home(site, config), _timeline(site), _tags(site), _lessons(site), _actions(site),
             PagePlan(PageInfo("404", "Page not found", "404.html"), "404.html", {})]
    plans += _entries(site)
    plans += [PagePlan(PageInfo("tag", f"Tag: {tag.name}", tag_path(tag)), "tag.html",
                       {"tag": tag}) for tag in site.tags]
    plans += insight_pages(site)
    return plans


def insight_pages(site: Site) -> list[PagePlan]:
    """Progress, search, company and stage facets, and year/month archives ([insight])."""
    plans = [PagePlan(PageInfo("progress", "Progress", PROGRESS_PATH), "progress.html", {
                 "figures": progress_figures(site.insight, site.stages) if site.insight else (),
                 "stale_actions": site.insight.stale_actions if site.insight else (),
                 "as_of": site.insight.as_of if site.insight else None,
                 "entry_count": len(site.entries)}),
             PagePlan(PageInfo("search", "Search", SEARCH_PATH), "search.html", {}),
             PagePlan(PageInfo("companies", "Companies", "companies/"), "companies.html",
                      {"companies": site.companies, "stage_facets": site.stage_facets})]
    plans += [PagePlan(PageInfo("company", company.name, company_path(company)),
                       "company.html", {"company": company}) for company in site.companies]
    plans += [PagePlan(PageInfo("stage", f"Stage: {facet.stage}", stage_path(facet)),
                       "stage.html", {"facet": facet}) for facet in site.stage_facets]
    for year in site.timeline:
        plans.append(PagePlan(PageInfo("year", str(year.year), year_path(year)),
                              "timeline_year.html", {"year": year}))
        plans += [PagePlan(PageInfo("month", f"{month.name} {month.year}", month_path(month)),
                           "timeline_month.html", {"month": month}) for month in year.months]
    return plans


def _home(site: Site, config: SiteConfig) -> PagePlan:
    return PagePlan(PageInfo("home", config.title, ""), "index.html", {
        "entries": site.entries[: config.recent], "stats": site.stats,
        "open_actions": site.open_actions[:HOME_ACTIONS], "today": _today(site),
        "lessons": site.lessons[:HOME_LESSONS], "total_entries": len(site.entries),
        "recurring": site.insight.recurring[:HOME_RECURRING] if site.insight else (),
        "resurfaced": site.insight.resurfaced if site.insight else None})


def _timeline(site: Site) -> PagePlan:
    return PagePlan(PageInfo("timeline", "Timeline", "timeline/"), "timeline.html",
                    {"timeline": site.timeline})


def _tags(site: Site) -> PagePlan:
    return PagePlan(PageInfo("tags", "Tags", "tags/"), "tags.html", {"tags": site.tags})


def _lessons(site: Site) -> PagePlan:
    return PagePlan(PageInfo("lessons", "Lessons", "lessons/"), "lessons.html",
                    {"lessons": site.lessons,
                     "recurring": site.insight.recurring if site.insight else ()})


def _actions(site: Site) -> PagePlan:
    return PagePlan(PageInfo("actions", "Actions", "actions/"), "actions.html",
                    {"open_actions": site.open_actions, "done_actions": site.done_actions,
                     "today": _today(site)})


def _entries(site: Site) -> Iterator[PagePlan]:
    entries = site.entries
    companies = {e.source: (company_path(c), len(c.entries)) for c in site.companies
                 for e in c.entries}
    for index, entry in enumerate(entries):
        newer: Entry | None = entries[index - 1] if index else None
        older: Entry | None = entries[index + 1] if index + 1 < len(entries) else None
        yield _entry_plan(entry, newer and (newer.title, entry_path(newer)),
                          older and (older.title, entry_path(older)),
                          companies.get(entry.source), _today(site))


def _today(site: Site) -> dt.date | None:
    """The build's today, which marks overdue actions (None: nothing is overdue)."""
    return site.insight.as_of if site.insight else None


@functools.lru_cache(maxsize=1 << 14)
def _entry_plan(entry: Entry, newer: tuple[str, str] | None, older: tuple[str, str] | None,
                company_page: tuple[str, int] | None, today: dt.date | None) -> PagePlan:
    # Memoised: a rebuild then plans the very same object for each unchanged entry page,
    # which render_site recognises by identity instead of comparing contexts.
    return PagePlan(PageInfo("entry", entry.title, entry_path(entry)), "entry.html", {
        "entry": entry, "newer": newer, "older": older, "company_page": company_page,
        "today": today})


def render_site(plans: list[PagePlan], theme: Theme, urls: Urls, config: SiteConfig,
                cache: RenderCache | None = None,
                progress: Tick | None = None) -> list[OutputFile]:
    """Render every planned page, reusing cached bytes where the context is unchanged."""
    cache = cache if cache is not None else RenderCache()
    urls_key = (*urls.key, config)
    if cache.theme is not theme or cache.urls_key != urls_key:
        cache.theme, cache.urls_key, cache.pages = theme, urls_key, {}
        cache.fragments = FragmentStore()
    _set_globals(theme.env, urls_key, url=urls.href, config=config, nav=NAV,
                 stages=config.stages)
    # Set per call: a private build renders with the same theme but its own cache.
    theme.env.fragment_store = cache.fragments  # type: ignore[attr-defined]
    cache.fragments.start()
    files: list[OutputFile] = []
    problems: list[Problem] = []
    pages: dict[str, tuple[PagePlan, bytes]] = {}
    cache.rendered = 0
    for done, plan in enumerate(plans, 1):
        if progress is not None:
            progress("Rendering pages", done, len(plans))
        path = urls.output_path(plan.info.path)
        cached = cache.pages.get(path)
        if cached is not None and (cached[0] is plan or cached[0] == plan):
            data = cached[1]
        else:
            try:
                data = _render(theme.env, plan).encode("utf-8")
            except Exception as exc:  # noqa: BLE001 - a theme's bug is the author's to fix
                problems.append(template_problem(exc, plan, theme.root))
                continue
            cache.rendered += 1
        pages[path] = (plan, data)
        files.append(OutputFile(path, data))
    cache.fragments.finish()
    if problems:
        raise ProblemsFound(problems)
    cache.pages = pages
    return files


def _set_globals(env: jinja2.Environment, key: tuple[object, ...], **values: object) -> None:
    """Give templates the site's URLs and config as globals.

    Jinja keeps a macro module imported without context (`{% import "_macros.html" as m
    %}`) with the globals of its first render. When they change (a private build after a
    public one with the same theme, another base URL), templates are loaded afresh, or
    their links would point at the other build's pages.
    """
    if getattr(env, "growthlog_globals", None) != key:
        if env.cache is not None:
            env.cache.clear()
        env.growthlog_globals = key  # type: ignore[attr-defined]
    env.globals.update(values)


def _render(env: jinja2.Environment, plan: PagePlan) -> str:
    return env.get_template(plan.template).render(page=plan.info, **plan.context)


def template_problem(exc: Exception, plan: PagePlan | None = None,
                     root: Path | None = None) -> Problem:
    """Name the template file (relative to the log when inside it), its line, and the page."""
    where = f" (rendering {plan.info.kind} page '{plan.info.title}')" if plan else ""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Problem(_shown(exc.filename or exc.name or "template", root), "template syntax "
                       f"error: {exc.message}{where}", line=exc.lineno)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".html")]
    if isinstance(exc, jinja2.TemplateNotFound):
        if not frames:
            return Problem(f"template {exc.name}", f"not found in the theme{where}")
        message = f"template '{exc.name}' not found in the theme"
    else:
        message = f"template error: {exc}"
    if frames:
        return Problem(_shown(frames[-1].filename, root), f"{message}{where}",
                       line=frames[-1].lineno)
    return Problem("template", f"{message}{where}")


def _shown(filename: str, root: Path | None) -> str:
    path, log = Path(filename).resolve(), root.resolve() if root else None
    return path.relative_to(log).as_posix() if log and path.is_relative_to(log) else filename
