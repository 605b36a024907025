"""Regenerate docs/configuration.md from the Settings class."""

from pathlib import Path

from dailypapers.config import reference_markdown

TARGET = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"

if __name__ == "__main__":
    TARGET.write_text(reference_markdown(), encoding="utf-8")
    print(f"wrote {TARGET}")
