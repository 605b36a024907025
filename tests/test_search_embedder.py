"""The bundled embedder against vectors made by real sentence-transformers (fp32, PyTorch)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tokenizers import Tokenizer

from dailypapers.errors import ConfigError
from dailypapers.search.embedder import (
    Embedder,
    OnnxEmbedder,
    load_embedder,
    model_id_for,
    spec_of,
)

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"
TOKENIZER = (
    Path(__file__).parents[1] / "src/dailypapers/search/data/all-MiniLM-L6-v2/tokenizer.json"
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder(threads=2)


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


def test_matches_sentence_transformers(embedder: Embedder, reference: dict[str, Any]) -> None:
    items = reference["items"]
    assert any(item["n_tokens_untruncated"] > 256 for item in items), "fixture must test truncation"
    expected = np.array([item["vector"] for item in items], dtype=np.float32)
    got = embedder.embed([item["text"] for item in items])
    cosines = (got * expected).sum(axis=1)
    worst = int(cosines.argmin())
    assert cosines.min() >= 0.99, f"{items[worst]['text'][:60]!r}: cosine {cosines[worst]:.4f}"


def test_shape_dtype_and_unit_length(embedder: Embedder) -> None:
    vectors = embedder.embed(["attention is all you need", "graph neural networks"])
    assert vectors.shape == (2, embedder.dim) == (2, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batch_invariance(embedder: Embedder, reference: dict[str, Any]) -> None:
    texts = [item["text"] for item in reference["items"]]
    alone = np.vstack([embedder.embed([t]) for t in texts])
    for batch_size in (3, 32):
        together = embedder.embed(texts, batch_size=batch_size)
        np.testing.assert_allclose(together, alone, atol=1e-5)


def test_empty_inputs(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, embedder.dim)
    empty = embedder.embed(["", "   "])
    assert np.isfinite(empty).all()
    np.testing.assert_allclose(np.linalg.norm(empty, axis=1), 1.0, atol=1e-5)


def test_model_id_tracks_max_length(embedder: Embedder) -> None:
    assert embedder.model_id.startswith("all-MiniLM-L6-v2")
    assert load_embedder(max_length=128).model_id != embedder.model_id


def test_a_shorter_max_length_cuts_the_text_as_sentence_transformers_does(
    embedder: Embedder, reference: dict[str, Any]
) -> None:
    """DAILYPAPERS_EMBEDDING_MAX_LENGTH changes only the truncation: [CLS], the first
    max_length - 2 word pieces, [SEP] (the tokenizer's own truncation, which
    sentence-transformers uses), through the same model the reference test checks."""
    short = load_embedder(max_length=128, threads=2)
    assert isinstance(short, OnnxEmbedder) and isinstance(embedder, OnnxEmbedder)
    tokenizer = Tokenizer.from_str(TOKENIZER.read_text(encoding="utf-8"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    long_texts = [i["text"] for i in reference["items"] if i["n_tokens_untruncated"] > 128]
    assert long_texts
    for text in long_texts:
        ids = tokenizer.encode(text).ids
        assert len(ids) > 128
        cut = np.array([[*ids[:127], ids[-1]]], dtype=np.int64)
        expected = embedder.run_padded(cut, np.ones_like(cut))[0]
        np.testing.assert_allclose(short.embed([text])[0], expected, atol=1e-5)
    brief = [i["text"] for i in reference["items"] if i["n_tokens_untruncated"] <= 128]
    np.testing.assert_allclose(short.embed(brief), embedder.embed(brief), atol=1e-5)


def test_model_ids_name_what_loads_them() -> None:
    """A stored model id leads back to the settings that make its vectors (so the old
    model can keep embedding queries while a new one is filled in)."""
    for max_length in (256, 128, 16):
        assert spec_of(model_id_for(max_length=max_length)) == ("default", max_length)
    assert spec_of("st:intfloat/e5-small/max512") == ("intfloat/e5-small", 512)
    assert spec_of("all-MiniLM-L6-v2-onnx-int8@000000000000") is None
    assert spec_of("something else") is None


def test_other_models_need_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # makes the import fail
    with pytest.raises(ConfigError, match="pip install sentence-transformers"):
        load_embedder("sentence-transformers/all-mpnet-base-v2")


def test_the_optimised_model_gives_the_same_vectors_and_is_made_once(
    embedder: Embedder, reference: dict[str, Any], tmp_path: Path
) -> None:
    texts = [item["text"] for item in reference["items"]]
    cached = load_embedder(threads=2, cache_dir=tmp_path)
    (folder,) = tmp_path.iterdir()
    saved = sorted(p.name for p in folder.iterdir())
    assert saved == ["model.optimised.onnx", "model.optimised.onnx.data"]
    assert cached.model_id == embedder.model_id
    np.testing.assert_allclose(cached.embed(texts), embedder.embed(texts), atol=1e-5)
    stamp = (folder / saved[0]).stat().st_mtime_ns
    load_embedder(threads=2, cache_dir=tmp_path)
    assert (folder / saved[0]).stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [folder.name], "no staging folder left"


def test_an_unwritable_cache_falls_back_to_the_packaged_model(
    embedder: Embedder, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    fallback = load_embedder(threads=2, cache_dir=blocker / "models")
    text = ["graph neural networks"]
    np.testing.assert_allclose(fallback.embed(text), embedder.embed(text), atol=1e-6)


def test_the_device_picks_onnxruntimes_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime as ort

    from dailypapers.search.embedder import providers_for

    cpu = ["CPUExecutionProvider"]
    monkeypatch.setattr(ort, "get_available_providers", lambda: cpu)
    assert providers_for("auto") == providers_for("cpu") == cpu
    with pytest.raises(ConfigError, match="onnxruntime-gpu"):
        providers_for("cuda")
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", *cpu])
    assert providers_for("auto") == providers_for("cuda") == ["CUDAExecutionProvider", *cpu]
    assert providers_for("cpu") == cpu
