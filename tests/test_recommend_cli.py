"""`dailypapers recommend USER --json` on a small imported archive with its vectors."""

from __future__ import annotations

import json
from pathlib import Path

from dailypapers.config import Settings
from dailypapers.runtime import Runtime
from dailypapers.services import accounts, foryou
from dailypapers.store.readers import Preferences
from test_cli import FILES, assert_one_line_error, cli, env

__all__ = ["env"]


def test_recommend_prints_the_readers_ranking_with_reasons(
    env: dict[str, str], tmp_path: Path
) -> None:
    cli(env, "init", "--no-sample")
    cli(env, "import", str(FILES / "hf-daily.sample.jsonl"))
    cli(env, "user", "create", "ada", "--password", "a-long-password")
    rt = Runtime(Settings(data_dir=tmp_path / "data"))
    rt.sync_vectors()
    user = accounts.find_user(rt.engine, "ada")
    assert user is not None
    prefs = Preferences(authors=["Yihong Luo"])
    foryou.save_preferences(rt.recommender, user_id=user.id, prefs=prefs)
    rt.close()
    out = cli(env, "recommend", "ada", "--since", "2024-01-01", "--limit", "5", "--json")
    ranked = json.loads(out.stdout)
    assert len(ranked) == 5
    assert ranked[0]["reason"] == "by Yihong Luo, whom you follow"
    assert "Yihong Luo" in ranked[0]["authors"]
    assert ranked == sorted(ranked, key=lambda r: -r["score"])
    assert_one_line_error(cli(env, "recommend", "nobody", ok=False), "no user 'nobody'")
    assert_one_line_error(cli(env, "recommend", "ada", "--since", "May", ok=False), "invalid date")
