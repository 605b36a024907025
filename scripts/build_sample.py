"""Rebuild the bundled sample from the shared real data (a maintainer's tool, not run-time).

Usage: python scripts/build_sample.py ../shared/data [--months 4]
Keeps the last N calendar months of the Hugging Face daily-papers archive, byte for byte,
and copies the four saved listing pages; attribution lives in sample/ATTRIBUTION.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "dailypapers" / "ingest" / "sample"


def main() -> None:
    """Write the sample files into the package."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("shared_data", type=Path)
    parser.add_argument("--months", type=int, default=4)
    args = parser.parse_args()
    source = args.shared_data / "hf-daily-papers.jsonl.gz"
    with gzip.open(source, "rt", encoding="utf-8") as f:
        lines = f.readlines()
    months = sorted({json.loads(line)["feed_date"][:7] for line in lines})[-args.months :]
    kept = [line for line in lines if json.loads(line)["feed_date"][:7] in months]
    target = SAMPLE / "hf-daily-papers-sample.jsonl.gz"
    with gzip.GzipFile(target, "wb", compresslevel=9, mtime=0) as out:
        out.write("".join(kept).encode("utf-8"))
    for page in sorted((args.shared_data / "listing-pages").glob("*.txt")):
        shutil.copyfile(page, SAMPLE / f"listing-{page.name}")
    print(f"{len(kept)} HF records from {months[0]} to {months[-1]} → {target}")


if __name__ == "__main__":
    main()
