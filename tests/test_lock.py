"""requirements/lock.txt pins every dependency that pyproject.toml declares, within its range.

A dependency added to pyproject.toml but not to the lock would install whatever release the
registry holds that day; this test fails instead (rerun scripts/update-lock.sh)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def test_every_declared_dependency_is_pinned_inside_its_range():
    locked = _locked()
    assert len(locked) > 50  # the whole tree, not only the direct dependencies
    for requirement in _declared():
        if requirement.marker and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements/lock.txt: run scripts/update-lock.sh"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{name}=={locked[name]} is outside {requirement.specifier}: run scripts/update-lock.sh"
        )


def test_the_install_script_installs_with_the_lock():
    script = (ROOT / "scripts" / "install.sh").read_text()
    assert 'LOCK=requirements/lock.txt' in script
    assert script.count('-c "$LOCK"') == 2  # the application alone, and with the test extras
