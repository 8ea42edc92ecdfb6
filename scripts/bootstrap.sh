#!/usr/bin/env bash
# Set up a fresh machine: a virtual environment in .venv with the CPU build of torch 2.13.0
# (installed first, so nothing pulls a multi-GB CUDA build), then the project with all extras.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[jax,torch,dev]"
