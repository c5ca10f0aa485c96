"""Swapped builds into output folders that cannot be exchanged with a sibling, as in a
container: run by test_output_gaps.py in a namespace of its own.

    unshare --mount python mount_child.py KIND MOUNT_POINT

KIND 'overlay': the folder lies in the lower layer of an overlay file system (a container
built from an image; renameat2 fails with EXDEV). KIND 'bind': the folder is a bind mount of
the same file system (`docker run -v`; not a mount point to os.path.ismount, and nothing
can be hard-linked out of it). For these, a tmpfs is mounted on MOUNT_POINT (seen by this
namespace only), an old site built there and an author's file added. KIND 'protected':
MOUNT_POINT is the output folder, already built, holding a file of a user this namespace does
not map (fs.protected_hardlinks: no one else may link it). Then the new site is built.
Prints one JSON object: the report, the files the folder holds and whether anything was
left beside it. Exit code 3: a file system could not be mounted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from generator.output import staging_dir, write_output
from generator.render import OutputFile

from conftest import read_tree

CANNOT_MOUNT = 3


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr.strip() or "mount failed", file=sys.stderr)
        raise SystemExit(CANNOT_MOUNT)


def main() -> None:
    kind, mount = sys.argv[1], Path(sys.argv[2])
    old = [OutputFile("index.html", b"old"), OutputFile("tags/index.html", b"tags")]
    if kind == "protected":
        out = mount  # the old site, built by the test
    else:
        _mount("-t", "tmpfs", "growthlog-mount", str(mount))
    if kind == "overlay":
        lower, upper, work, merged = (mount / n for n in ("lower", "upper", "work", "merged"))
        for folder in (lower, upper, work, merged):
            folder.mkdir()
        write_output(old, lower / "out", swap=True)
        (lower / "out" / "CNAME").write_text("log.example.org\n")
        _mount("-t", "overlay", "growthlog-overlay", "-o",
               f"lowerdir={lower},upperdir={upper},workdir={work}", str(merged))
        out = merged / "out"
    elif kind == "bind":
        out = mount / "out"
        out.mkdir()
        _mount("--bind", str(out), str(out))
        write_output(old, out, swap=True)
        (out / "CNAME").write_text("log.example.org\n")
    report = write_output([OutputFile("index.html", b"new"),
                           OutputFile("tags/index.html", b"tags")], out, swap=True,
                          keep=True)
    print(json.dumps({"written": report.written, "unchanged": report.unchanged,
                      "files": {k: v.decode() for k, v in read_tree(out).items()},
                      "left_beside": staging_dir(out).exists()}))


if __name__ == "__main__":
    main()
