"""What the embedder is given for a paper; pure, so any process can reproduce the vectors."""

from __future__ import annotations


def paper_text(title: str, abstract: str) -> str:
    """ "title. abstract" (just the abstract when untitled), as docs/embedding-model.md says."""
    return f"{title}. {abstract}" if title else abstract
