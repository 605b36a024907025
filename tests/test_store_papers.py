"""Paper upserts on both backends: identity, merging, idempotency, UTC, constraints."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from dailypapers.models import FeatureRecord, PaperRecord
from dailypapers.runtime import Runtime
from dailypapers.store.database import transaction
from dailypapers.store.features import featured_between, upsert_features
from dailypapers.store.papers import get_papers, upsert_papers
from dailypapers.store.schema import users, votes
from dailypapers.store.users import ensure_submitters

T0 = datetime(2024, 1, 2, 5, 0, tzinfo=UTC)


def paper(
    arxiv_id: str | None = "2401.00001", title: str = "A Study of $x^2$ <b>", **kw: object
) -> PaperRecord:
    return PaperRecord(
        title=title,
        abstract=kw.pop("abstract", "We show  that\n$\\alpha < \\beta$ & more."),  # type: ignore[arg-type]
        authors=kw.pop("authors", ["Ada Lovelace", "Alan Turing"]),  # type: ignore[arg-type]
        arxiv_id=arxiv_id,
        published_at=T0,
        **kw,  # type: ignore[arg-type]
    )


def test_upsert_is_idempotent_and_keeps_text_exactly(rt: Runtime) -> None:
    with transaction(rt.engine) as conn:
        first = upsert_papers(conn, [paper(), paper("2401.00002", "Other")])
    with transaction(rt.engine) as conn:
        second = upsert_papers(conn, [paper(), paper("2401.00002", "Other")])
        stored = get_papers(conn, first.paper_ids)
    assert first.outcomes == ["inserted", "inserted"]
    assert second.outcomes == ["unchanged", "unchanged"]
    assert second.paper_ids == first.paper_ids
    assert stored[0].abstract == "We show  that\n$\\alpha < \\beta$ & more."
    assert stored[0].authors == ["Ada Lovelace", "Alan Turing"]
    assert stored[0].published_at == T0
    assert stored[0].arxiv_url == "https://arxiv.org/abs/2401.00001"


def test_changed_record_updates_without_erasing_known_fields(rt: Runtime) -> None:
    with transaction(rt.engine) as conn:
        ids = upsert_papers(conn, [paper(code_url="https://github.com/a/b", upvotes=5)]).paper_ids
    with transaction(rt.engine) as conn:
        result = upsert_papers(conn, [paper(authors=["Ada Lovelace"], upvotes=3)])
        (stored,) = get_papers(conn, ids)
    assert result.outcomes == ["updated"]
    assert stored.authors == ["Ada Lovelace"]
    assert stored.code_url == "https://github.com/a/b"
    assert stored.upvotes == 5


def test_title_match_joins_a_paper_without_id_but_not_two_ids(rt: Runtime) -> None:
    with transaction(rt.engine) as conn:
        listing = upsert_papers(conn, [paper(None, "Deep   Nets, Revisited!")])
        same = upsert_papers(conn, [paper("2401.00009", "deep nets revisited")])
        other = upsert_papers(conn, [paper("2401.00010", "Deep Nets Revisited")])
        (merged,) = get_papers(conn, listing.paper_ids)
    assert same.paper_ids == listing.paper_ids and same.outcomes == ["updated"]
    assert merged.arxiv_id == "2401.00009"
    assert other.outcomes == ["inserted"]


def test_repeats_inside_one_batch_are_written_once(rt: Runtime) -> None:
    with transaction(rt.engine) as conn:
        result = upsert_papers(conn, [paper(), paper(upvotes=9)])
    assert result.outcomes == ["inserted", "updated"]
    assert len(set(result.paper_ids)) == 1


def test_features_once_per_paper_and_date(rt: Runtime) -> None:
    feat = FeatureRecord(date(2024, 1, 2), submitted_by="akhaliq", submitted_at=T0, num_comments=2)
    with transaction(rt.engine) as conn:
        (pid,) = upsert_papers(conn, [paper()]).paper_ids
        subs = ensure_submitters(conn, [feat])
        changed = upsert_features(conn, [(pid, feat), (pid, feat)], submitter_ids=subs)
        assert changed == [True, False]
    with transaction(rt.engine) as conn:
        subs = ensure_submitters(conn, [feat])
        assert upsert_features(conn, [(pid, feat)], submitter_ids=subs) == [False]
        entries = featured_between(conn, date(2024, 1, 1), date(2024, 1, 31))
    assert [
        (e.paper.id, e.submitted_by, e.local_comments, e.imported_comments) for e in entries
    ] == [(pid, "akhaliq", 0, 2)]
    assert entries[0].submitted_at == T0


def test_one_vote_per_user_per_paper_is_enforced_by_the_database(rt: Runtime) -> None:
    with transaction(rt.engine) as conn:
        (pid,) = upsert_papers(conn, [paper()]).paper_ids
        uid = conn.execute(users.insert().returning(users.c.id), {"username": "u"}).scalar_one()
        conn.execute(votes.insert(), {"user_id": uid, "paper_id": pid})
    with pytest.raises(sa.exc.IntegrityError), transaction(rt.engine) as conn:
        conn.execute(votes.insert(), {"user_id": uid, "paper_id": pid})
    with rt.engine.connect() as conn:
        (stored,) = get_papers(conn, [pid])
    assert stored.upvotes == 1


def test_naive_datetimes_are_refused(rt: Runtime) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), transaction(rt.engine) as c:
        upsert_papers(c, [paper(updated_at=datetime(2024, 1, 1))])
