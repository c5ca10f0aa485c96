"""`growthlog deploy`: build, audit, and publish only the built site to a branch of a remote.

The published branch is always a single orphan commit with a neutral author, a fixed
message and the first day of the month it is pushed in, made in a temporary repository
that holds nothing but the files the build wrote (plus .nojekyll and CNAME), so content/,
the keyfile, the author's git identity and the history of earlier deploys never reach the
remote. Git runs as a child process (generator.children: without the passphrase in its
environment).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import tomllib
from pathlib import Path

from generator import children
from generator.audit import raise_on_leaks
from generator.build import build
from generator.clock import today
from generator.config import CONFIG_NAME, load_config
from generator.errors import GrowthlogError
from generator.keys import KEYFILE
from generator.output import read_manifest
from generator.site_audit import audit_output
from generator.sources import is_entry_name
from generator.value import Value, frozen

AUTHOR = "growthlog"
EMAIL = "growthlog@users.noreply.github.com"
MESSAGE = "Publish site"


def commit_date(today: dt.date) -> str:
    """Midnight UTC on the first of the month of the push: no date from the log, nothing
    finer than the push itself shows the host, and not "26 years ago" on GitHub."""
    return f"{today.replace(day=1).isoformat()}T00:00:00+0000"


@frozen
class DeployReport(Value):
    """What a deploy pushed, and where."""

    remote: str
    branch: str
    files: int
    commit: str
    private: bool


def says_public(root: Path) -> bool:
    """True only when growthlog.toml explicitly says `private = false`."""
    try:
        data = tomllib.loads((root / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return data.get("private") is False


def deploy(root: Path, *, remote: str | None = None, branch: str = "gh-pages",
           public: bool = False, password: str | None = None,
           output: Path | None = None, force: bool = False) -> DeployReport:
    """Build (private unless the log says private = false and public is asked), audit, push.
    `force`: replace the branch even when growthlog did not make it."""
    if public and not says_public(root):
        raise GrowthlogError("--public needs `private = false` in growthlog.toml as well; "
                             "without both, deploy publishes the encrypted site")
    is_private = not public
    out_dir = output if output is not None else root / "output"
    build(root, output=out_dir, private=is_private, password=password)
    files = _published_files(out_dir, root)
    remote = remote or _origin(root)
    config = load_config(root)[0]  # its errors stopped the build above
    extra = {".nojekyll": b""}
    if config.cname:
        extra["CNAME"] = config.cname.strip().encode() + b"\n"
    if is_private:  # exactly what is pushed, read back from disk
        raise_on_leaks(audit_output(root, out_dir, {**files, **extra}))
    commit = _publish({**files, **extra}, remote, branch, force)
    return DeployReport(remote, branch, len(files) + len(extra), commit, is_private)


def _published_files(out_dir: Path, root: Path) -> dict[str, bytes]:
    """The files the build wrote (its manifest), and nothing that looks like a source."""
    files: dict[str, bytes] = {}
    for path in sorted(read_manifest(out_dir)):
        if is_entry_name(path) or path.startswith("content/") or path == KEYFILE.as_posix() \
                or Path(path).name == KEYFILE.name:
            raise GrowthlogError(f"refusing to deploy: the built site holds {path}")
        files[path] = (out_dir / path).read_bytes()
    if not files:
        raise GrowthlogError(f"{out_dir} holds no built files; nothing was pushed")
    return files


def _origin(root: Path) -> str:
    try:
        return _git(["remote", "get-url", "origin"], root).strip()
    except GrowthlogError:
        raise GrowthlogError("no --remote given and the log's folder has no git remote "
                             "'origin'; pass --remote URL") from None


def _publish(files: dict[str, bytes], remote: str, branch: str, force: bool = False) -> str:
    """One orphan commit of exactly these files, force-pushed to remote's branch: only
    over a branch that holds nothing but an earlier deploy, unless `force`."""
    date = commit_date(today())
    with tempfile.TemporaryDirectory(prefix="growthlog-deploy-") as temp:
        work = Path(temp)
        _git(["init", "-q"], work)
        if not force:
            _refuse_a_branch_we_did_not_make(work, remote, branch)
        _git(["symbolic-ref", "HEAD", f"refs/heads/{branch}"], work)
        for path, data in files.items():
            target = work / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _git(["add", "--all", "--force", "."], work)
        _git(["commit", "-q", "--no-verify", "-m", MESSAGE], work, date)
        commit = _git(["rev-parse", "HEAD"], work).strip()
        _git(["push", "--force", "--quiet", remote, f"HEAD:refs/heads/{branch}"], work)
    return commit


def _refuse_a_branch_we_did_not_make(work: Path, remote: str, branch: str) -> None:
    """A force-push replaces the branch: refuse when its tip is anything but one of our
    orphan commits (`--branch main` would otherwise wipe the author's history)."""
    if not _git(["ls-remote", "--heads", remote, f"refs/heads/{branch}"], work).strip():
        return  # a new branch
    _git(["fetch", "-q", "--depth=1", remote, f"refs/heads/{branch}"], work)
    author, parents, subject = _git(["log", "-1", "--format=%an <%ae>%n%P%n%s", "FETCH_HEAD"],
                                    work).split("\n")[:3]
    if (author, parents, subject) != (f"{AUTHOR} <{EMAIL}>", "", MESSAGE):
        raise GrowthlogError(f"refusing to deploy: branch {branch} of {remote} holds commits "
                             "growthlog did not make (its last is by "
                             f"{author.split(' <')[0]}: {subject[:60]!r}), and publishing "
                             "replaces the whole branch; choose another --branch, or pass "
                             "--force to replace it; nothing was pushed")


def _git(args: list[str], cwd: Path, date: str | None = None) -> str:
    identity = {"GIT_AUTHOR_NAME": AUTHOR, "GIT_AUTHOR_EMAIL": EMAIL,
                "GIT_COMMITTER_NAME": AUTHOR, "GIT_COMMITTER_EMAIL": EMAIL}
    if date is not None:
        identity |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    config = ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null",
              "-c", "core.autocrlf=false", "-c", "init.defaultBranch=main"]
    try:
        done = children.run(["git", *config, *args], cwd, identity)
    except FileNotFoundError:
        raise GrowthlogError("git is not installed; deploy needs it") from None
    if done.returncode != 0:
        raise GrowthlogError(f"git {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout
