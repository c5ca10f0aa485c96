"""Site + theme → OutputFiles: one small function per page kind; nothing touches disk.

Each page is planned as (logical path, template, context). Rendering is memoised on the
context: when a rebuild plans a page whose context equals last time's, the old bytes are
reused. Contexts hold only what the page shows, so editing one entry re-renders only the
pages that show it (see [serve]).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.config import SiteConfig
from generator.errors import Problem, ProblemsFound, StateChanged
from generator.memo import Memo
from generator.meter import Tick
from generator.model import Entry, Plain, Site
from generator.parallel import Workers
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
from generator.value import Value, frozen

if TYPE_CHECKING:  # Jinja and the theme load where pages are rendered (`load_rendering`)
    import jinja2

    from generator.fragments import FragmentStore
    from generator.theme import Theme

NAV = (("Home", ""), ("Timeline", "timeline/"), ("Tags", "tags/"), ("Lessons", "lessons/"),
       ("Actions", "actions/"), ("Companies", "companies/"), ("Progress", PROGRESS_PATH))
HOME_LESSONS = 5
HOME_ACTIONS = 8
HOME_RECURRING = 3


@frozen
class OutputFile(Value):
    """One file of the site: where it goes and its bytes."""

    path: str
    """Relative to the output folder, POSIX."""
    data: bytes


@frozen
class PageInfo(Plain):
    """What every template is told about its page."""

    kind: str
    title: str
    path: str
    """Logical path, e.g. 'entries/acme/'."""


@frozen
class PagePlan(Plain):
    """A page to render: its info, its template and the data it shows."""

    info: PageInfo
    template: str
    context: dict[str, Any]


@frozen
class Renderer(Value):
    """One Jinja environment for a theme, the site's URLs and its config: their values are
    the templates' globals from the start, and its `{% cache %}` fragments are valid for
    exactly those (fragments.py). Another theme, base URL, naming or config: another one."""

    theme: Theme
    key: tuple[object, ...]
    env: jinja2.Environment
    plain: jinja2.Environment | None = None
    """Where `env` notes what pages read (page_reads.py): one that does not, for entry
    pages, whose plan holds their entry whole (nothing noted would spare one a render,
    and noting is a third of rendering them; growthlog's own entry page uses no
    `{% cache %}` fragment to share with the others)."""

    @property
    def fragments(self) -> FragmentStore:
        store: FragmentStore = self.env.fragment_store  # type: ignore[attr-defined]
        return store


def make_renderer(theme: Theme, urls: Urls, config: SiteConfig,
                  compiled: jinja2.BytecodeCache | None = None, *,
                  note_reads: bool = False) -> Renderer:
    """`note_reads`: note what each page reads of entries (page_reads.py), for a cache that
    renders again after a save (serve); done only with growthlog's own templates."""
    import jinja2

    from generator.page_reads import ReadingEnvironment

    noting = note_reads and _growthlogs_own(theme)
    env = theme.environment(compiled, kind=ReadingEnvironment if noting else jinja2.Environment,
                            url=urls.href, config=config, nav=NAV, stages=config.stages)
    if not isinstance(env, ReadingEnvironment):
        return Renderer(theme, (*urls.key, config), env)
    env.watch_filters()
    env.fragment_store.noting = True  # type: ignore[attr-defined]
    plain = theme.environment(compiled, url=urls.href, config=config, nav=NAV,
                              stages=config.stages)
    return Renderer(theme, (*urls.key, config), env, plain)


def _growthlogs_own(theme: Theme) -> bool:
    """Whether every template the theme can load is growthlog's own, byte for byte: from
    the shipped themes, or a copy of the default theme's in the log."""
    from generator.theme import packaged_themes_dir

    shipped = packaged_themes_dir().resolve()
    default = shipped / "default" / "templates"
    for folder in theme.template_dirs:
        if folder.resolve().is_relative_to(shipped):
            continue
        for path in folder.rglob("*"):
            if path.is_file() or path.is_symlink():
                own = default / path.relative_to(folder)
                try:
                    if not own.is_file() or path.read_bytes() != own.read_bytes():
                        return False
                except OSError:
                    return False
    return True


@dataclass(eq=False, repr=False)
class RenderCache:
    """The renderer and each page's rendered bytes, by output path, with its plan."""

    renderer: Renderer | None = None
    pages: dict[str, tuple[PagePlan, bytes]] = field(default_factory=dict)
    compiled: jinja2.BytecodeCache | None = None
    """Compiled templates to share between renderers (tests' reference builds)."""
    compiled_for: str | None = None
    """The code key whose compiled templates the user's cache folder keeps (compiled.py):
    opened for the first renderer made here, when `compiled` is None."""
    rendered: int = 0
    """Pages actually rendered (not reused) in the last render_site call."""
    reads: dict[str, frozenset[str]] = field(default_factory=dict)
    """What each page's bytes read of entries, by output path, where noted (page_reads)."""
    note_reads: bool = False
    """Note them: where pages are rendered again later (serve, and `growthlog build` with
    its cache on disk)."""

    def renderer_for(self, theme: Theme, urls: Urls, config: SiteConfig) -> Renderer:
        """The renderer for these, kept while they stay the same (pages with it)."""
        key = (*urls.key, config)
        if self.renderer is None or self.renderer.theme is not theme \
                or self.renderer.key != key:
            self.renderer, self.pages = self.make(theme, urls, config), {}
            self.reads = {}
        return self.renderer

    def make(self, theme: Theme, urls: Urls, config: SiteConfig) -> Renderer:
        """A new renderer for these, with this cache's compiled templates."""
        if self.compiled is None and self.compiled_for is not None:
            from generator.compiled import CompiledTemplates

            self.compiled = CompiledTemplates(self.compiled_for)
        return make_renderer(theme, urls, config, self.compiled, note_reads=self.note_reads)


def load_rendering() -> None:
    """Load what rendering pages takes (Jinja, the theme and its extensions, compiled
    templates, the progress page's charts): about 16 ms, which a build spends in its
    parent while other processes parse the entries (pipeline.read_entries), not before."""
    import generator.compiled
    import generator.page_reads
    import generator.progress
    import generator.theme  # noqa: F401


def plan_pages(site: Site, config: SiteConfig, memo: Memo | None = None) -> list[PagePlan]:
    """Every page of the site with the data it shows (`memo`: the build cache's, which
    gives back last build's plan of an entry page whose data is equal)."""
    memo = memo if memo is not None else Memo()
    plans = [_home(site, config), _timeline(site), _tags(site), _lessons(site), _actions(site),
             PagePlan(PageInfo("404", "Page not found", "404.html"), "404.html", {})]
    plans += _entries(site, memo)
    plans += [PagePlan(PageInfo("tag", f"Tag: {tag.name}", tag_path(tag)), "tag.html",
                       {"tag": tag}) for tag in site.tags]
    plans += insight_pages(site, memo)
    return plans


def insight_pages(site: Site, memo: Memo | None = None) -> list[PagePlan]:
    """Progress, search, company and stage facets, and year/month archives ([insight])."""
    from generator.progress import progress_figures

    figures = progress_figures(site.insight, site.stages, memo) if site.insight else ()
    plans = [PagePlan(PageInfo("progress", "Progress", PROGRESS_PATH), "progress.html", {
                 "figures": figures,
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
    """Each lesson once: wording that came back, grouped with the entries it came from;
    then every other lesson; tags whose entries share lessons only as links."""
    recurring = site.insight.recurring if site.insight else ()
    by_wording = tuple(r for r in recurring if r.tag is None)
    grouped = {(p.text, p.entry.source) for r in by_wording for p in r.points}
    return PagePlan(PageInfo("lessons", "Lessons", "lessons/"), "lessons.html", {
        "lessons": site.lessons, "recurring": by_wording,
        "themes": tuple(r for r in recurring if r.tag is not None),
        "single": tuple(lesson for lesson in site.lessons
                        if (lesson.text, lesson.entry.source) not in grouped)})


def _actions(site: Site) -> PagePlan:
    return PagePlan(PageInfo("actions", "Actions", "actions/"), "actions.html",
                    {"open_actions": site.open_actions, "done_actions": site.done_actions,
                     "today": _today(site)})


def _entries(site: Site, memo: Memo) -> Iterator[PagePlan]:
    entries = site.entries
    companies: dict[str, tuple[str, int]] = {}
    for company in site.companies:
        page = (company_path(company), len(company.entries))
        companies.update((e.source, page) for e in company.entries)
    today = _today(site)
    for index, entry in enumerate(entries):
        newer: Entry | None = entries[index - 1] if index else None
        older: Entry | None = entries[index + 1] if index + 1 < len(entries) else None
        inputs = (entry, newer, older, companies.get(entry.source), today)
        # The same plan as last build's for an unchanged entry page: render_site then
        # recognises it at once (identity before equality). Its neighbours are inputs
        # as they are (compared by identity first), their titles and paths made only
        # when the plan is.
        yield memo.get(("entry plan", entry.source), inputs,
                       lambda: _entry_plan(  # noqa: B023 - called at once
                           entry, _link(newer), _link(older), companies.get(entry.source),  # noqa: B023
                           today))


def _link(entry: Entry | None) -> tuple[str, str] | None:
    return (entry.title, entry_path(entry)) if entry is not None else None


def _today(site: Site) -> dt.date | None:
    """The build's today, which marks overdue actions (None: nothing is overdue)."""
    return site.insight.as_of if site.insight else None


def _entry_plan(entry: Entry, newer: tuple[str, str] | None, older: tuple[str, str] | None,
                company_page: tuple[str, int] | None, today: dt.date | None) -> PagePlan:
    return PagePlan(PageInfo("entry", entry.title, entry_path(entry)), "entry.html", {
        "entry": entry, "newer": newer, "older": older, "company_page": company_page,
        "today": today})


def render_site(plans: list[PagePlan], theme: Theme, urls: Urls, config: SiteConfig,
                cache: RenderCache | None = None, progress: Tick | None = None,
                workers: Workers | None = None,
                alongside: Callable[[], None] | None = None) -> list[OutputFile]:
    """Render every planned page, reusing cached bytes where the context is unchanged.
    The pages to render are split across processes as `workers` allows (parallel.py):
    each renders from the plans and the environment it inherited. `alongside()`: work of
    the caller's that needs no page, done in this process meanwhile (Workers.map)."""
    cache = cache if cache is not None else RenderCache()
    renderer = cache.renderer_for(theme, urls, config)
    fragments = renderer.fragments
    paths = [urls.output_path(plan.info.path) for plan in plans]
    done: list[bytes | None] = []
    todo: list[int] = []
    for index, (plan, path) in enumerate(zip(plans, paths, strict=True)):
        cached = cache.pages.get(path)
        if cached is not None and (cached[0] is plan or cached[0] == plan
                                   or _same_bytes(cached[0], plan, cache.reads.get(path))):
            done.append(cached[1])
        else:
            done.append(None)
            todo.append(index)

    def render(index: int) -> tuple[bytes | Problem, frozenset[str] | None]:
        """The page's bytes and what it read of entries (where noted), sent back together
        from whichever process rendered it."""
        env = renderer.plain if renderer.plain is not None \
            and plans[index].info.kind == "entry" else renderer.env
        store: FragmentStore = env.fragment_store  # type: ignore[attr-defined]
        store.begin_page()
        try:
            page: bytes | Problem = _render(env, plans[index]).encode("utf-8")
        except StateChanged:  # (not the theme's: an entry's body read from the state)
            raise
        except Exception as exc:  # noqa: BLE001 - a theme's bug is the author's to fix
            page = template_problem(exc, plans[index], theme.root)
        finally:
            store.end_page(paths[index])
        return page, store.page_reads.pop(paths[index], None)

    def tick(count: int) -> None:
        if progress is not None:
            progress("Rendering pages", len(plans) - len(todo) + count, len(plans))

    fragments.clear_reads()
    rendered = (workers if workers is not None else Workers()).map(
        render, todo, tick, together=lambda index: _sharing(plans[index]),
        alongside=alongside)
    problems = [page for page, _ in rendered if isinstance(page, Problem)]
    planned = set(paths)
    fragments.keep_pages(planned)
    if renderer.plain is not None:
        renderer.plain.fragment_store.keep_pages(planned)  # type: ignore[attr-defined]
    if problems:
        raise ProblemsFound(problems)
    reads = {path: read for path, read in cache.reads.items() if path in planned}
    for index, (page, read) in zip(todo, rendered, strict=True):
        if isinstance(page, bytes):
            done[index] = page
        if read is not None:
            reads[paths[index]] = read
        else:
            reads.pop(paths[index], None)
    cache.reads = reads
    cache.rendered = len(todo)
    cache.pages = {path: (plan, data) for plan, path, data in zip(plans, paths, done, strict=True)
                   if data is not None}
    return [OutputFile(path, data) for path, data in zip(paths, done, strict=True)
            if data is not None]


def _sharing(plan: PagePlan) -> str | None:
    """Which pages reuse the same cached fragments, and so render in one process
    (parallel.py): list pages share the entries' cards; the timeline and the year pages
    their rows; an entry page shares nothing, and a tag page only card bodies (its chips
    and chunks mark its own tag): those go to whichever process is free. (A theme that
    shares others only renders some fragments twice.) Held with the other list pages,
    the tag pages made them half of a 100-entry log's pages and its slowest process:
    dealt freely, a cold build took 0.98x the wall at 100 and 1,000 entries, for 2 %
    more CPU (card bodies rendered in both processes)."""
    kind = plan.info.kind
    if kind in ("entry", "tag"):
        return None
    return "rows" if kind in ("timeline", "year") else "cards"


def _same_bytes(old: PagePlan, new: PagePlan, reads: frozenset[str] | None) -> bool:
    """The page of `new` shows what the page of `old` did: it differs only in entries whose
    attributes that page read are equal (page_reads.py)."""
    if reads is None:  # (no reads noted: nothing to import)
        return False
    from generator.page_reads import EVERYTHING, same_view

    return EVERYTHING not in reads and same_view(old, new, reads)


def _render(env: jinja2.Environment, plan: PagePlan) -> str:
    return env.get_template(plan.template).render(page=plan.info, **plan.context)


def template_problem(exc: Exception, plan: PagePlan | None = None,
                     root: Path | None = None) -> Problem:
    """Name the template file (relative to the log when inside it), its line, and the page."""
    import jinja2

    where = f" (rendering {plan.info.kind} page '{plan.info.title}')" if plan else ""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Problem(_shown(exc.filename or exc.name or "template", root), "template syntax "
                       f"error: {exc.message}{where}", line=exc.lineno)
    import traceback  # only here: a theme's error

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
