"""Compound names ("DiffusionNet", "GraphSAGE", "Qwen3"): indexed whole and by their parts, and
marked by the part a search matched."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.analysis import analyze, compound_parts, index_terms
from paperboard.domain.snippet import build_snippet


def _parts(word: str) -> list[str]:
    return [word[start:end] for start, end in compound_parts(word)]


@pytest.mark.parametrize(("word", "parts"), [
    ("DiffusionNet", ["Diffusion", "Net"]),
    ("DiffusionNFT", ["Diffusion", "NFT"]),
    ("GraphSAGE", ["Graph", "SAGE"]),
    ("BERTScore", ["BERT", "Score"]),
    ("OpenAI", ["Open", "AI"]),
    ("Qwen3", ["Qwen"]),
    ("GSM8K", ["GSM"]),
    ("ResNet50", ["ResNet", "Res", "Net"]),
])
def test_a_compound_name_has_parts_that_look_like_words(word, parts):
    assert _parts(word) == parts


@pytest.mark.parametrize("word", [
    "LoRA", "CoT", "LLaMA", "mRNA", "iPhone", "PyTorch", "ViT", "LLMs", "3D", "F1", "8B", "H100", "DINOv3",
    "diffusion", "Diffusion", "DIFFUSION", "aDiffusionNet",
])
def test_words_whose_parts_would_not_be_words_stay_whole(word):
    assert compound_parts(word) == ()


def test_the_index_holds_the_whole_name_and_then_its_parts():
    text = "DiffusionNet, a GraphSAGE model on Qwen3 with LoRA."
    assert analyze(text) == ["diffusionnet", "graphsag", "model", "qwen3", "lora"]
    # The parts follow the text's own terms, so a phrase of its words is still contiguous.
    assert index_terms(text) == [*analyze(text), "diffus", "net", "graph", "sage", "qwen"]
    assert index_terms("YouTube") == ["youtub", "tube"]  # a stopword part ("You") is dropped like any stopword
    assert index_terms("") == [] and index_terms("plain words only") == analyze("plain words only")


@given(st.text(alphabet=st.sampled_from("aAbBzZ09 -é"), max_size=40))
def test_the_index_terms_begin_with_the_analyzed_terms(text):
    terms = index_terms(text)
    assert terms[: len(analyze(text))] == analyze(text)
    assert all(term and term.isalnum() for term in terms)  # letters and digits only: quoted safely by both engines


def _marked(text: str, query: str) -> list[str]:
    return [span.text for span in build_snippet(text, set(analyze(query)), None, query.split()).spans if span.marked]


def test_snippets_mark_the_part_of_a_compound_that_matched():
    assert _marked("We present DiffusionNet and diffusion maps.", "diffusion") == ["Diffusion", "diffusion"]
    assert _marked("ResNet50 beats ImageNet baselines.", "net") == ["Net", "Net"]
    assert _marked("GraphSAGE on graphs", "graph sage") == ["Graph", "SAGE", "graphs"]
    assert _marked("Qwen3 and Qwen2.5-VL", "qwen") == ["Qwen", "Qwen"]


def test_snippets_mark_a_whole_compound_typed_whole():
    assert _marked("DiffusionNet and ResNet50.", "DiffusionNet resnet") == ["DiffusionNet", "ResNet"]
    assert _marked("ResNet50", "resnet50") == ["ResNet50"]


@given(st.text(alphabet=st.sampled_from("aAnNeEtT9 ."), max_size=60), st.sampled_from(["net", "ne", "a", "tt"]))
def test_snippets_of_compounds_are_still_pieces_of_the_text(text, query):
    spans = build_snippet(text, set(analyze(query)) or {query}, None, [query]).spans
    assert "".join(span.text for span in spans) == text
