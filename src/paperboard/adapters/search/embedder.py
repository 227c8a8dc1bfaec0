"""Text embedders: the real model on onnxruntime, and a feature-hashing stand-in for tests.

Every embedder returns float32 vectors of unit length, so a dot product is the cosine. Its
``model_id`` (name and version) is stored with each vector: changing the model, its precision or
the way vectors are computed must change the id, so stored vectors are re-embedded, never mixed.

A paper is embedded as ``title + ". " + abstract`` (see ``document_text``); the model reads at
most 256 tokens of it, so the end of a long abstract is cut.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from paperboard.errors import UserError

# How many texts one onnxruntime call embeds: little changes above ~8 on a CPU, and small
# calls keep padding (texts are padded to the longest in the call) and memory low.
_INFERENCE_BATCH = 16
# Query vectors kept per embedder: one search embeds its text once for ranking and once more for
# listing every paper above the similarity floor; the second is a look-up (~6 ms saved on 2 cores).
_QUERY_CACHE = 64


@runtime_checkable
class Embedder(Protocol):
    model_id: str
    dimension: int

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dimension) float32, each row of unit length."""

    def embed_query(self, text: str) -> np.ndarray:
        """(dimension,) float32 of unit length."""


def document_text(title: str, abstract: str) -> str:
    """What a paper's vector is computed from."""
    title, abstract = (title or "").strip(), (abstract or "").strip()
    if title and abstract:
        return f"{title}. {abstract}"
    return title or abstract


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS and Windows lack sched_getaffinity
        return os.cpu_count() or 1


class OnnxEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime with the model's own WordPiece tokenizer.

    ``quantized`` picks the int8 graph (per-channel weight scales; about 1.7x faster on a CPU,
    cosine ~0.995 to fp32) or the fp32 one (identical to sentence-transformers). ``device`` is
    ``cpu``, ``cuda`` (fails when onnxruntime has no CUDA provider) or ``auto`` (CUDA when present).
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        quantized: bool = True,
        threads: int | None = None,
        device: str = "cpu",
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        from paperboard.adapters.search import onnx_bert

        files = onnx_bert.locate_model()
        self.model_id = f"{onnx_bert.MODEL_NAME}/onnx-{'int8-pc' if quantized else 'fp32'}@{onnx_bert.BUILDER_VERSION}"
        self.dimension = files.hidden_size
        self.max_tokens = files.max_seq_length
        self.model_path = onnx_bert.cached_model_path(cache_dir, files, quantized=quantized)

        self._tokenizer = Tokenizer.from_file(str(files.tokenizer))
        # tokenizer.json pads every input to 128 and cuts there; the model reads up to 256 tokens.
        # Padding is done here per inference call instead.
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer.no_padding()

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or available_cpus()
        options.inter_op_num_threads = 1
        self.providers = _providers(onnxruntime.get_available_providers(), device)
        self._session = onnxruntime.InferenceSession(str(self.model_path), options, providers=self.providers)
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Texts of similar length go together so that little of each call is padding.
        by_length = np.argsort([len(encoding.ids) for encoding in encodings], kind="stable")
        for start in range(0, len(texts), _INFERENCE_BATCH):
            rows = by_length[start : start + _INFERENCE_BATCH]
            vectors[rows] = self._run([encodings[row] for row in rows])
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        with self._cache_lock:
            vector = self._query_cache.get(text)
            if vector is not None:
                self._query_cache.move_to_end(text)
                return vector
        vector = self._run([self._tokenizer.encode(text)])[0]
        vector.setflags(write=False)  # shared by every caller of the cache
        with self._cache_lock:
            self._query_cache[text] = vector
            if len(self._query_cache) > _QUERY_CACHE:
                self._query_cache.popitem(last=False)
        return vector

    def _run(self, encodings: list) -> np.ndarray:
        width = max(len(encoding.ids) for encoding in encodings)
        input_ids = np.zeros((len(encodings), width), dtype=np.int64)  # 0 is [PAD]
        attention_mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            input_ids[row, : len(encoding.ids)] = encoding.ids
            attention_mask[row, : len(encoding.ids)] = 1
        return self._session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]


def _providers(available: list[str], device: str) -> list[str]:
    has_cuda = "CUDAExecutionProvider" in available
    if device == "cuda" and not has_cuda:
        raise UserError(
            "PAPERBOARD_EMBEDDING_DEVICE=cuda but onnxruntime has no CUDA provider: "
            "install onnxruntime-gpu or use cpu/auto"
        )
    if device in ("cuda", "auto") and has_cuda:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """A deterministic feature-hashing embedder: the test and offline stand-in, with NO semantics.

    Each lower-cased word and word pair is hashed (blake2b, so the same on every machine and
    process) to a signed slot; counts are damped with log(1 + tf) and the vector is L2-normalised.
    Texts that share words get similar vectors; synonyms do not. It needs no model files and
    embeds thousands of texts per second, which is what fast unit tests want. An empty text (no
    word at all) gets the zero vector, the one vector here that is not of unit length.
    """

    def __init__(self, dimension: int = 384) -> None:
        self.dimension = dimension
        self.model_id = f"hashing-{dimension}@1"

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            matrix[row] = self._vector(text)
        return matrix

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def _vector(self, text: str) -> np.ndarray:
        words = _WORD.findall(text.lower())
        features = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
        vector = np.zeros(self.dimension, dtype=np.float32)
        counts: dict[str, int] = {}
        for feature in features:
            counts[feature] = counts.get(feature, 0) + 1
        for feature, count in counts.items():
            digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
            sign = 1.0 if digest & 1 else -1.0
            vector[(digest >> 1) % self.dimension] += sign * np.log1p(count)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector


def create_embedder(settings) -> Embedder:
    """The embedder ``settings.embedding_model`` names (validated by the settings)."""
    if settings.embedding_model == "hashing":
        return HashingEmbedder()
    return OnnxEmbedder(
        settings.resolved_model_cache_dir,
        quantized=settings.embedding_model == "minilm-int8",
        threads=settings.embedding_threads or None,
        device=settings.embedding_device,
    )
