"""Slugs for entries, tags and companies: the one place a name becomes a URL part; pure."""

from __future__ import annotations

import re

from slugify import slugify


def make_slug(text: str) -> str:
    """ASCII, lower-case, hyphenated; never empty, never a path."""
    # Keep C, C++ and C# apart: they are different skills, so different tags.
    text = re.sub(r"(?<=\w)#", " sharp ", text.replace("+", " plus "))
    return slugify(text, max_length=80, word_boundary=True) or "entry"
