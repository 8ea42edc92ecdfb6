#!/usr/bin/env bash
# Set up a fresh machine: a virtual environment in .venv with the CPU build of torch 2.13.0
# (installed first, so nothing pulls a multi-GB CUDA build), then the project with all extras.
set -euo pipefail
cd "$(dirname "$0")/.."
# espeak-ng (Debian package) synthesises the offline keyword data set of tutorials/ and its tests.
if ! command -v espeak-ng >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq espeak-ng; } >/dev/null \
        || echo "bootstrap: could not install espeak-ng (apt-get install espeak-ng); the keyword tutorials need it" >&2
fi
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[jax,torch,dev]"
