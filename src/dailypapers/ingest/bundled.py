"""The real sample shipped in the package and loaded on first run (see sample/ATTRIBUTION.md)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_SAMPLE = resources.files("dailypapers.ingest") / "sample"
SAMPLE_VECTORS = Path(str(_SAMPLE)) / "vectors.npz"


def sample_files() -> list[Path]:
    """The sample's data files, in load order (HF feed first, then listing pages)."""
    root = Path(str(_SAMPLE))
    return sorted(p for p in root.iterdir() if p.suffix in (".gz", ".txt"))
