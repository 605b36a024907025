"""A small real store for the search tests: a handful of papers with distinct topics."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from dailypapers.models import PaperRecord
from dailypapers.runtime import Runtime
from dailypapers.search.embedder import Embedder
from dailypapers.search.sync import sync
from dailypapers.store.database import transaction
from dailypapers.store.papers import paper_id_for_arxiv, upsert_papers
from dailypapers.store.schema import papers


def paper(arxiv_id: str, title: str, abstract: str, **fields: Any) -> PaperRecord:
    """A record with sensible defaults for what the test does not care about."""
    record = PaperRecord(
        title=title,
        abstract=abstract,
        arxiv_id=arxiv_id,
        authors=["Ada Lovelace"],
        categories=["cs.LG"],
        published_at=datetime(2021, 6, 1, tzinfo=UTC),
    )
    return dataclasses.replace(record, **fields)


PAPERS = [
    paper(
        "1706.03762",
        "Attention Is All You Need",
        "The Transformer is a sequence transduction architecture based solely on attention "
        "mechanisms, dispensing with recurrence; it sets a new state of the art in machine "
        "translation.",
        authors=["Ashish Vaswani", "Noam Shazeer"],
        categories=["cs.CL", "cs.LG"],
        published_at=datetime(2017, 6, 12, tzinfo=UTC),
        code_url="https://github.com/tensorflow/tensor2tensor",
    ),
    paper(
        "1512.03385",
        "Deep Residual Learning for Image Recognition",
        "Residual networks with skip connections ease the training of very deep convolutional "
        "networks for image classification on ImageNet.",
        authors=["Kaiming He", "Xiangyu Zhang"],
        categories=["cs.CV"],
        published_at=datetime(2015, 12, 10, tzinfo=UTC),
    ),
    paper(
        "9912.00001",
        "Deep Residual Learning for Image Recognition",
        "A second copy of the residual networks paper, stored under another identifier.",
        authors=["Kaiming He"],
        categories=["cs.CV"],
        published_at=datetime(2016, 1, 1, tzinfo=UTC),
    ),
    paper(
        "2006.11239",
        "Denoising Diffusion Probabilistic Models",
        "Diffusion models generate high quality images by learning to reverse a gradual "
        "noising process; the sampler is a Markov chain of Gaussian denoising steps.",
        authors=["Jonathan Ho", "Pieter Abbeel"],
        published_at=datetime(2020, 6, 19, tzinfo=UTC),
        code_url="https://github.com/hojonathanho/diffusion",
    ),
    paper(
        "1707.06347",
        "Proximal Policy Optimization Algorithms",
        "Policy gradient methods for reinforcement learning that alternate between sampling "
        "data from the environment and optimising a clipped surrogate objective.",
        authors=["John Schulman"],
        published_at=datetime(2017, 7, 20, tzinfo=UTC),
    ),
    paper(
        "2107.00001",
        "Highly accurate protein structure prediction with AlphaFold",
        "AlphaFold predicts protein structures from sequences with atomic accuracy, using "
        "evolutionary information and a novel neural architecture.",
        authors=["John Jumper"],
        categories=["q-bio.BM"],
    ),
    paper(
        "2301.00002",
        "Bounds for <b>sorting</b> & searching when $x<y$",
        "We show that comparison sorting needs $n \\log n$ steps when $a < b$ & <script>x</script>"
        " holds; searching a sorted array is logarithmic.",
        authors=["Donald Knuth"],
        categories=["cs.DS"],
    ),
]


def add_papers(rt: Runtime, records: list[PaperRecord]) -> list[int]:
    """Upsert records through the store, as an import does; returns their paper ids."""
    with transaction(rt.engine) as conn:
        return upsert_papers(conn, records).paper_ids


def paper_id(rt: Runtime, arxiv_id: str) -> int:
    """The stored id of a test paper."""
    with rt.engine.connect() as conn:
        pid = paper_id_for_arxiv(conn, arxiv_id)
    assert pid is not None
    return pid


def indexed_store(rt: Runtime, embedder: Embedder) -> Runtime:
    """The test papers stored and embedded, with the runtime using the shared model."""
    rt.embedder = embedder
    add_papers(rt, PAPERS)
    sync(rt.engine, embedder, rt.searcher.dense)
    return rt


def delete_paper(rt: Runtime, pid: int) -> None:
    """Remove a paper as an admin would (cascades to its vector)."""
    with transaction(rt.engine) as conn:
        conn.execute(sa.delete(papers).where(papers.c.id == pid))
