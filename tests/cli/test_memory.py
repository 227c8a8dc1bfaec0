"""The servers cap glibc's malloc arenas (cli/memory.py): in this process at once, in the worker
processes they start through the environment, and never over a person's own MALLOC_ARENA_MAX."""

from __future__ import annotations

import os
import subprocess
import sys

from paperboard.cli import memory


def test_the_cap_applies_here_and_reaches_child_processes(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "unset below; restored after the test")
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    assert memory.limit_malloc_arenas() is True  # this machine's libc is glibc
    child = subprocess.run([sys.executable, "-c", "import os; print(os.environ['MALLOC_ARENA_MAX'])"],
                           capture_output=True, text=True, check=True)
    assert child.stdout.strip() == str(memory.ARENAS)


def test_a_persons_own_setting_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert memory.limit_malloc_arenas() is False
    assert os.environ["MALLOC_ARENA_MAX"] == "8"
