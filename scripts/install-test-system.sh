#!/usr/bin/env bash
# System packages the test suite drives: Debian's Chromium for the browser tests (playwright uses
# it through executable_path; `playwright install` is never run). Quick when already installed.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    SUDO=sudo
else
    SUDO=
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium
