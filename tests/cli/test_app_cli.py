"""The ``paperboard`` command itself: options that belong to no subcommand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from paperboard import __version__


def test_version_in_process(run_paperboard):
    code, out, err = run_paperboard("--version")
    assert (code, out, err) == (0, f"paperboard {__version__}\n", "")


def test_version_from_the_installed_console_script(tmp_path):
    # The script pip made next to this interpreter: what a user types, not ``python -m``.
    script = Path(sys.executable).with_name("paperboard")
    finished = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert (finished.returncode, finished.stdout, finished.stderr) == (0, f"paperboard {__version__}\n", "")


def test_version_through_python_dash_m(tmp_path):
    finished = subprocess.run([sys.executable, "-m", "paperboard", "--version"], capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)
    assert (finished.returncode, finished.stdout) == (0, f"paperboard {__version__}\n")
