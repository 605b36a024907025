"""The search commands in-process (typer's runner) against a real store and the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dailypapers.cli.main import app
from dailypapers.errors import InputError
from dailypapers.runtime import Runtime
from search_helpers import PAPERS, add_papers

DATA = Path(__file__).parent / "data"
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_reindex_then_search_and_similar_as_json(rt: Runtime) -> None:
    add_papers(rt, PAPERS)
    assert "embedded 7 papers" in _run("reindex")
    assert "embedded 0 papers" in _run("reindex")
    found = json.loads(_run("search", "denoising diffusion", "--json", "--limit", "3"))
    assert found[0]["arxiv_id"] == "2006.11239"
    assert {"arxiv_id", "title", "score"} <= found[0].keys()
    since = json.loads(_run("search", "learning", "--since", "2020-01-01", "--json"))
    assert {r["arxiv_id"] for r in since} <= {"2006.11239", "2107.00001", "2301.00002"}
    similar = json.loads(_run("similar", "1512.03385", "--json", "--limit", "3"))
    assert len(similar) == 3
    assert not {"1512.03385", "9912.00001"} & {r["arxiv_id"] for r in similar}


def test_an_import_after_reindex_embeds_the_new_papers(rt: Runtime) -> None:
    add_papers(rt, PAPERS[:2])
    _run("reindex")
    out = _run("import", str(DATA / "files" / "hf-daily.sample.jsonl"))
    assert "search: embedded" in out
    assert "embedded 0 papers" in _run("reindex")


def test_bad_input_is_a_one_line_error(rt: Runtime) -> None:
    with pytest.raises(InputError, match="empty query"):
        CliRunner().invoke(app, ["search", "  "], catch_exceptions=False)
    with pytest.raises(InputError, match="no such paper"):
        CliRunner().invoke(app, ["similar", "0000.00000"], catch_exceptions=False)


def test_eval_on_a_tiny_collection_gives_sane_metrics(rt: Runtime) -> None:
    scores = json.loads(_run("eval", str(DATA / "beir_tiny"), "--json"))
    assert set(scores) == {"bm25", "dense", "hybrid"}
    for metrics in scores.values():
        assert set(metrics) == {"ndcg@10", "map@100", "recall@100"}
        assert all(0.0 <= v <= 1.0 for v in metrics.values())
    assert scores["hybrid"]["recall@100"] > 0.5
