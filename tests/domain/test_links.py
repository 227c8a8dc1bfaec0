"""Link extraction from abstracts and comments."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.links import extract_links
from tests.conftest import SEED_PAGE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Code: https://github.com/choi403/DiffusionGuard.", ["https://github.com/choi403/DiffusionGuard"]),
        ("at https://github.com/naver-ai/tablevqabench{https://github.com/naver-ai/tablevqabench}.",
         ["https://github.com/naver-ai/tablevqabench"]),
        ("https://github.com/apple/corenet/tree/main/projects/kv-prediction", ["https://github.com/apple/corenet"]),
        ("https://github.com/selfsupervised-ai/Natural-GaLore.git", ["https://github.com/selfsupervised-ai/Natural-GaLore"]),
        ("(see https://github.com/a/b)", ["https://github.com/a/b"]),
        ("\\url{https://gitlab.com/group/sub/proj}", ["https://gitlab.com/group/sub/proj"]),
        ("https://gitlab.com/group/proj/-/tree/main", ["https://gitlab.com/group/proj"]),
        ("www.github.com/Owner/Repo;", ["https://github.com/Owner/Repo"]),
        ("https://github.com/topics/llm and https://github.com/onlyowner", []),
        ("twice https://github.com/a/b and https://github.com/a/b/issues", ["https://github.com/a/b"]),
    ],
)
def test_code_repositories(text, expected):
    assert extract_links(text).code == expected


def test_huggingface_and_project_pages():
    links = extract_links(
        "Models at https://huggingface.co/inclusionAI. Data: https://huggingface.co/datasets/org/set/tree/main",
        "Project page: https://yhyun225.github.io/DiffuseHigh/ and https://arxiv.org/abs/2401.01234",
    )
    assert links.huggingface == ["https://huggingface.co/inclusionAI", "https://huggingface.co/datasets/org/set"]
    assert links.project_page == "https://yhyun225.github.io/DiffuseHigh/"
    assert links.code == []


def test_every_github_link_on_the_seed_page_is_found_and_clean():
    text = SEED_PAGE.read_text()
    raw_repos = {
        "/".join(m.group(1).split("/")[:2]).removesuffix(".git").rstrip(".")
        for m in re.finditer(r"https?://github\.com/([\w.-]+/[\w.-]+)", text)
    }
    found = extract_links(text).code
    assert {url.removeprefix("https://github.com/") for url in found} == raw_repos
    assert all(not url.endswith((".", ",", ")", "}")) for url in found)


@given(st.text(max_size=300))
def test_never_raises_and_only_returns_normalised_urls(text):
    links = extract_links(text, text)
    for url in links.code:
        assert url.startswith(("https://github.com/", "https://gitlab.com/"))
        assert not url.endswith(".git")
