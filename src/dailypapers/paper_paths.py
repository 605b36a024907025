"""Where a paper lives on this site: `/papers/<arXiv id>`, or for a paper without one (from a
saved listing page) `/papers/t/<slug of its title>`.

The slug is the normalised title (`title_key`, which is how such papers are keyed on import)
with hyphens for spaces, so it is readable, stays the same across imports, maps back to the
indexed `title_key` column without a lookup table, and can never be mistaken for an arXiv
id. Once a sync resolves the paper to an arXiv id, the slug URL redirects to the id URL.
"""

from __future__ import annotations

from dailypapers.models import Paper
from dailypapers.titles import title_key

SLUG_PREFIX = "/papers/t/"


def title_slug(title: str) -> str:
    """`Attention Is All You Need!` → `attention-is-all-you-need`."""
    return title_key(title).replace(" ", "-")


def slug_key(slug: str) -> str:
    """The `title_key` a slug stands for (the inverse of `title_slug`)."""
    return slug.replace("-", " ").strip()


def paper_path(paper: Paper) -> str:
    """The canonical site path of a paper (the internal number only if its title has no
    letters or digits at all)."""
    if paper.arxiv_id:
        return f"/papers/{paper.arxiv_id}"
    slug = title_slug(paper.title)
    return f"{SLUG_PREFIX}{slug}" if slug else f"/papers/id/{paper.id}"
