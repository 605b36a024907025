"""The personal section of digests through the real HybridSearcher, on both backends."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from dailypapers.digest.compose import InterestRanker, Sizes, compose, load_candidates, period_for
from dailypapers.models import FeatureRecord, PaperRecord
from dailypapers.runtime import Runtime
from dailypapers.search.embedder import Embedder, load_embedder
from dailypapers.search.sync import sync
from dailypapers.store import subscriptions as store
from dailypapers.store.database import transaction
from dailypapers.store.features import upsert_features
from dailypapers.store.schema import subscriptions, users, votes
from dailypapers.store.subscriptions import Interests, Subscription
from dailypapers.store.users import ensure_submitters
from search_helpers import PAPERS, add_papers, paper_id

DAY = date(2024, 6, 3)
SIZES = Sizes(top=1, personal=3)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder(threads=2)


def _featured(record: PaperRecord, *, upvotes: int = 0) -> PaperRecord:
    """A test paper published two days before DAY and featured on it."""
    return dataclasses.replace(
        record,
        published_at=datetime(2024, 6, 1, tzinfo=UTC),
        upvotes=upvotes,
        feature=FeatureRecord(DAY, submitted_by="alice", submitted_at=datetime.now(UTC)),
    )


@pytest.fixture
def ranker(rt: Runtime) -> InterestRanker:
    """The test papers featured on DAY, "Attention Is All You Need" the most upvoted."""
    records = [_featured(r, upvotes=10 if r.arxiv_id == "1706.03762" else 0) for r in PAPERS]
    ids = add_papers(rt, records)
    with transaction(rt.engine) as conn:
        features = [r.feature for r in records if r.feature]
        submitters = ensure_submitters(conn, features)
        pairs = [(pid, r.feature) for pid, r in zip(ids, records, strict=True) if r.feature]
        upsert_features(conn, pairs, submitter_ids=submitters)
    period = period_for("daily", DAY)
    return InterestRanker(rt.searcher, period, load_candidates(rt.engine, period))


def _subscriber(**interests: Any) -> Subscription:
    return Subscription(
        id=1,
        email="r@example.org",
        interests=Interests(**interests),
        status="active",
        token_version=0,
        confirm_sent_at=None,
        confirmed_at=None,
        failure_count=0,
        created_at=datetime.now(UTC),
    )


def _personal(ranker: InterestRanker, *, sent: set[int] | None = None, **interests: Any) -> list:
    digest = compose(_subscriber(**interests), ranker, already_sent=sent or set(), sizes=SIZES)
    return [p.arxiv_id for p in digest.personal]


def test_topics_pick_the_period_papers_by_keyword_without_repeats(
    rt: Runtime, ranker: InterestRanker
) -> None:
    assert _personal(ranker, topics=["diffusion models"]) == ["2006.11239"]
    assert _personal(ranker, topics=["Diffusion", "policy"]) == ["2006.11239", "1707.06347"]
    assert _personal(ranker, topics=["attention"]) == []  # already the top paper
    ddpm = paper_id(rt, "2006.11239")
    assert _personal(ranker, topics=["diffusion"], sent={ddpm}) == []
    assert _personal(ranker, topics=["year:20", ""]) == []  # unreadable topics are skipped
    assert _personal(ranker, categories=["q-bio.BM"]) == ["2107.00001"]


def test_a_topic_is_searched_once_per_run(
    ranker: InterestRanker, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    search = ranker.searcher.search

    def counting(query: str, **kw: Any) -> Any:
        calls.append(query)
        return search(query, **kw)

    monkeypatch.setattr(ranker.searcher, "search", counting)
    for _ in range(3):
        _personal(ranker, topics=["Diffusion ", "reinforcement learning"])
    assert calls == ["diffusion", "reinforcement learning"]


def test_papers_outside_the_period_are_left_out(rt: Runtime, ranker: InterestRanker) -> None:
    later = period_for("daily", DAY + timedelta(days=1))
    empty = InterestRanker(rt.searcher, later, load_candidates(rt.engine, later))
    assert not empty.candidates
    assert _personal(empty, topics=["diffusion"]) == []


def test_meaning_and_upvotes_once_vectors_exist(
    rt: Runtime, ranker: InterestRanker, embedder: Embedder
) -> None:
    rt.embedder = embedder
    sync(rt.engine, embedder, rt.searcher.dense)
    assert _personal(ranker, topics=["amino acid folding"])[0] == "2107.00001"
    liked = paper_id(rt, "2006.11239")
    digest = compose(
        _subscriber(), ranker, already_sent=set(), upvoted=[liked], sizes=Sizes(top=0, personal=9)
    )
    near = [p.arxiv_id for p in digest.personal]
    assert near and "2006.11239" not in near  # neighbours, not the upvoted paper itself


def test_upvotes_reach_the_subscription_with_the_accounts_address(rt: Runtime) -> None:
    ids = add_papers(rt, PAPERS[:3])
    with transaction(rt.engine) as conn:
        uid = conn.execute(
            users.insert().values(username="ada", email="Ada@Example.org", role="member")
        ).inserted_primary_key[0]
        conn.execute(votes.insert(), [{"user_id": uid, "paper_id": pid} for pid in ids[:2]])
        rows = [
            {"email": e, "cadence": "daily", "topics": [], "followed_authors": [], "categories": []}
            for e in ("ada@example.org", "bob@example.org")
        ]
        sub_ids = [
            conn.execute(subscriptions.insert().values(r)).inserted_primary_key[0] for r in rows
        ]
    with rt.engine.connect() as conn:
        found = store.upvoted_papers(conn, sub_ids)
    assert set(found) == {sub_ids[0]} and set(found[sub_ids[0]]) == set(ids[:2])


def test_a_readers_model_orders_the_personal_section(
    rt: Runtime, ranker: InterestRanker, embedder: Embedder
) -> None:
    from dailypapers.services import foryou
    from dailypapers.store import readers

    rt.embedder = embedder
    sync(rt.engine, embedder, rt.searcher.dense)
    with transaction(rt.engine) as conn:
        uid = conn.execute(
            users.insert().values(username="ada", email="ada@example.org", role="member")
        ).inserted_primary_key[0]
        row = {"email": "ada@example.org", "cadence": "daily", "topics": ["transformers"]}
        sub_id = conn.execute(subscriptions.insert().values(row)).inserted_primary_key[0]
    with rt.engine.connect() as conn:
        assert readers.readers_of_subscriptions(conn, [sub_id]) == {}  # no model yet
    prefs = readers.Preferences(topics=["protein folding"])
    foryou.save_preferences(rt.recommender, user_id=uid, prefs=prefs)
    with rt.engine.connect() as conn:
        assert readers.readers_of_subscriptions(conn, [sub_id]) == {sub_id: uid}
    ids = [c.paper.id for c in ranker.candidates]
    order = [r.paper.id for r in rt.recommender.rank(uid, ids, limit=len(ids))]
    sizes = Sizes(top=0, personal=3)
    digest = compose(_subscriber(), ranker, already_sent=set(), sizes=sizes, personal_order=order)
    assert digest.personal[0].arxiv_id == "2107.00001"  # the model's pick, not the topic's
