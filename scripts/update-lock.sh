#!/usr/bin/env bash
# Re-resolve requirements/lock.txt: the exact versions of paperboard's dependencies and its test
# extras that scripts/install.sh installs (as pip constraints), so a fresh machine gets what CI ran.
#   scripts/update-lock.sh                    keep every pin that still satisfies pyproject.toml
#   scripts/update-lock.sh --upgrade          move everything to the newest allowed release
#   scripts/update-lock.sh -P httpx==0.29.0   move one package
# Then run .ci/run in a new venv before committing the changed lock.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
"$PYTHON" -m venv "$tools"
"$tools/bin/pip" install --quiet "pip-tools==7.6.2"
# --strip-extras: pip refuses extras in a constraints file; --allow-unsafe: pin pip/setuptools too
# when something depends on them; no index or find-links lines: those belong to the machine.
"$tools/bin/pip-compile" --quiet --extra test --strip-extras --allow-unsafe \
    --no-emit-index-url --no-emit-trusted-host --no-emit-find-links \
    --output-file requirements/lock.txt "$@" pyproject.toml
echo "requirements/lock.txt updated; review it with: git diff requirements/lock.txt"
