"""Trending means "hot now": one scorer, true ages from the first feature, a stale instance
says so; and the one period parser behind pages, API, CLI and feeds."""

from __future__ import annotations

from datetime import date

import pytest

import hf_sample
from dailypapers.errors import InputError
from dailypapers.models import FeatureRecord
from dailypapers.periods import Period, containing, parse_period, period_of
from dailypapers.runtime import Runtime
from dailypapers.services import feed, hf_api, trending
from dailypapers.store import features
from dailypapers.store.community import add_vote
from dailypapers.store.database import transaction
from dailypapers.store.papers import paper_id_for_arxiv
from dailypapers.store.users import create_user, ensure_submitters
from web_helpers import seed


def _ranked(result: trending.Trending) -> list[tuple[str, int]]:
    return [(t.entry.paper.title, t.age_days) for t in result.entries]


def test_trending_counts_true_ages_to_today_and_says_when_it_is_stale(rt: Runtime) -> None:
    seed(rt.engine)  # featured on 2024-06-01 (Older Paper) and 2024-06-03 (the others)
    fresh = trending.trending(rt.engine, today=date(2024, 6, 5), window_days=7)
    assert not fresh.stale and (fresh.start, fresh.end) == (date(2024, 5, 30), date(2024, 6, 5))
    assert _ranked(fresh) == [
        ("Evil Abstract Paper", 2),  # 10 / 4^1.5 = 1.25
        ("Diffusion Models Are Great", 2),  # 5 / 8
        ("Older Paper", 4),  # 3 / 6^1.5 = 0.20
        ("A Listing Page Paper Without Id", 2),  # 1 / 8
    ]
    assert fresh.entries[0].score == pytest.approx(trending.score(10, 2)) == 1.25

    later = trending.trending(rt.engine, today=date(2024, 9, 11), window_days=7)
    assert later.stale and (later.start, later.end) == (date(2024, 5, 28), date(2024, 6, 3))
    assert ("Evil Abstract Paper", 100) in _ranked(later)  # a true age, never "0 d old"


def test_featuring_an_old_paper_again_does_not_make_it_trend(rt: Runtime) -> None:
    ids = seed(rt.engine)
    today = date(2024, 6, 20)
    with transaction(rt.engine) as conn:
        who = ensure_submitters(conn, [FeatureRecord(today, submitted_by="bob")])["bob"]
        features.add_feature(conn, ids["Older Paper"], today, submitted_by=who)
    result = trending.trending(rt.engine, today=today, window_days=7)
    assert result.stale  # nothing *new* in the last 7 days: the 7 days up to 06-03 are shown
    assert _ranked(result) == [
        ("Evil Abstract Paper", 17),
        ("Diffusion Models Are Great", 17),
        ("Older Paper", 19),  # aged from its first feature, not made new by today's
        ("A Listing Page Paper Without Id", 17),
    ]
    # Ranking any span (the API's `week` + `sort=trending`) also ages it from its first day.
    week = (date(2024, 6, 17), date(2024, 6, 23))
    query = hf_api.DailyQuery(span=week, sort="trending", today=today)
    page = hf_api.daily_page(rt.engine, query)
    items = hf_api.daily_entries(rt.engine, page.keys)
    assert [items[k].title for k in page.keys] == ["Older Paper"]
    ranked = trending.rank_period(rt.engine, *week, today=today)
    assert [(r.paper_id, r.age_days) for r in ranked] == [(ids["Older Paper"], 19)]


def test_the_api_ranks_features_as_the_site_ranks_entries(rt: Runtime) -> None:
    """The JSON API ranks (paper, date) keys without loading papers; the order is the one
    `trending` gives the site, and a period's is the same score over feed entries (each
    paper once, its latest feature there), on real HF records with real vote counts."""
    hf_sample.load(rt)
    days = sorted(hf_sample.by_feed_date())  # 2024-06-03, 2025-06-02, 2025-06-03
    today = date.fromisoformat(days[-1])
    with transaction(rt.engine) as conn:  # an old paper featured again; votes cast here
        again = paper_id_for_arxiv(conn, hf_sample.by_feed_date()[days[0]][0]["paper"]["id"])
        voted = paper_id_for_arxiv(conn, "2505.19621")
        assert again and voted
        users = [create_user(conn, f"voter{i}", email=None, password_hash="x") for i in range(5)]
        features.add_feature(conn, again, today, submitted_by=users[0].id)
        for user in users:
            add_vote(conn, user.id, voted)
    site = trending.trending(rt.engine, today=today, window_days=30)
    api = trending.trending_features(rt.engine, today=today, window_days=30)
    assert len(api) == 10 and again not in {r.paper_id for r in api}
    assert [(r.paper_id, r.feature_date, r.score) for r in api] == [
        (t.entry.paper.id, t.entry.feature_date, t.score) for t in site.entries
    ]
    start, end = date.fromisoformat(days[0]), today
    entries = feed.featured(rt.engine, start, end)  # best first: a paper's latest first
    by_paper = {}
    for e in entries:
        by_paper.setdefault(e.paper.id, e)
    first = {pid: min(e.feature_date for e in entries if e.paper.id == pid) for pid in by_paper}
    expected = sorted(
        by_paper.values(),
        key=lambda e: (
            trending.score(e.paper.upvotes, (today - first[e.paper.id]).days),
            e.paper.upvotes,
            e.submitted_at,
        ),
        reverse=True,
    )
    ranked = trending.rank_period(rt.engine, start, end, today=today)
    assert [(r.paper_id, r.feature_date) for r in ranked] == [
        (e.paper.id, e.feature_date) for e in expected
    ]
    assert len(ranked) == 16 and (again, today) in {(r.paper_id, r.feature_date) for r in ranked}


def test_one_period_parser_steps_weeks_and_months() -> None:
    week = parse_period("week", "2024-W01")
    assert (week.start, week.end) == (date(2024, 1, 1), date(2024, 1, 7))
    assert week.step(-1).key == "2023-W52" and week.step(1).key == "2024-W02"
    month = parse_period("month", "2024-12")
    assert month.step(1) == Period("month", date(2025, 1, 1), date(2025, 1, 31))
    assert month.step(-12).key == "2023-12"
    assert containing("week", date(2024, 2, 29)).key == "2024-W09"
    assert period_of(day="2024-02-29") == Period("day", date(2024, 2, 29), date(2024, 2, 29))
    assert period_of() is None
    for bad in ({"day": "2024-02-30"}, {"week": "2024-W54"}, {"month": "2024-13"}):
        with pytest.raises(InputError):
            period_of(**bad)
    with pytest.raises(InputError, match="only one"):
        period_of(day="2024-01-01", week="2024-W01")
