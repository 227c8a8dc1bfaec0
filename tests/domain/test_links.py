"""Link extraction from abstracts and comments."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.links import extract_links, safe_link
from tests.conftest import SEED_PAGE
from tests.hostile_links import HOSTILE_LINKS


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


@pytest.mark.parametrize("url", HOSTILE_LINKS)
def test_hostile_links_are_not_safe(url):
    assert safe_link(url) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/abs/2401.01234v2", "https://arxiv.org/abs/2401.01234v2"),
        ("http://arxiv.org/pdf/2401.01234", "http://arxiv.org/pdf/2401.01234"),
        ("  https://github.com/a/b\n", "https://github.com/a/b"),  # a file field's blanks
        ("HTTPS://GitHub.com/a/b?tab=readme#usage", "HTTPS://GitHub.com/a/b?tab=readme#usage"),
        ("https://[2001:db8::1]:8443/x", "https://[2001:db8::1]:8443/x"),
        ("https://bücher.example/", "https://bücher.example/"),
        ("https://example.org/a%20b", "https://example.org/a%20b"),
    ],
)
def test_well_formed_http_links_are_kept(url, expected):
    assert safe_link(url) == expected


@pytest.mark.parametrize(
    "url",
    ["", None, 42, "/papers/1", "ftp://example.org/f", "https://", "https://ex ample.org", "https://-bad-.org/",
     "https://a..b/", "https://example.org:99999/", "https://[nope]/", "https://" + "a" * 64 + ".org/",
     "https://example.org/" + "a" * 3000],
)
def test_malformed_links_are_not_safe(url):
    assert safe_link(url) is None


def test_extracted_links_are_safe_links():
    links = extract_links("Project: https://project@evil.example/ and https://arxiv.org@github.com/a/b")
    assert links == extract_links("")


@given(st.text(max_size=200))
def test_safe_link_never_raises_and_keeps_only_http(text):
    for candidate in (text, "https://" + text, "http://example.org/" + text):
        url = safe_link(candidate)
        if url is not None:
            assert url.lower().startswith(("http://", "https://")) and url.isprintable() and " " not in url
