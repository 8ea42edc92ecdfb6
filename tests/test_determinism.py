"""Determinism on CPU: the same input gives bitwise-identical output across calls, rebuilt
modules and processes, in both backends (every configuration of ``cases.CASES``).

Bitwise identity holds for a fixed thread count (``torch.set_num_threads``, set in conftest and
in the child process): a different number of threads may split reductions differently.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from backends import BACKENDS
from conftest import TORCH_THREADS
from reliability import REPS, REPS_AND_TRAINABLE, params, valid_input

ROOT = Path(__file__).resolve().parents[1]


def _digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    return hashlib.sha256(a.tobytes() + str((a.shape, a.dtype)).encode()).hexdigest()


@pytest.mark.parametrize("case", params(REPS_AND_TRAINABLE))
def test_repeated_calls_and_rebuilt_modules_are_bitwise_identical(backend, case):
    x = valid_input(case, "float32", (2, 2000))
    m = case.build(backend, "float32")
    first = case.run(backend, m, x)
    assert _digest(case.run(backend, m, x)) == _digest(first)
    assert _digest(case.run(backend, case.build(backend, "float32"), x.copy())) == _digest(first)


CHILD = """
import json, sys
sys.path.insert(0, {tests!r})
import conftest  # the session's JAX configuration and torch thread count
from backends import BACKENDS
from conftest import TORCH_THREADS
from reliability import REPS, valid_input
from test_determinism import _digest
out = {{}}
for name in json.loads(sys.argv[1]):
    case = REPS[name]
    x = valid_input(case, "float32", (2, 2000))
    for b, backend in BACKENDS.items():
        out[f"{{b}}/{{name}}"] = _digest(case.run(backend, case.build(backend, "float32"), x))
print(json.dumps(out))
"""


@pytest.mark.slow
def test_outputs_are_bitwise_identical_across_processes():
    """A fresh interpreter (same thread count) reproduces every backend's output bit for bit."""
    here = {}
    for name, case in REPS.items():
        x = valid_input(case, "float32", (2, 2000))
        for b, backend in BACKENDS.items():
            here[f"{b}/{name}"] = _digest(case.run(backend, case.build(backend, "float32"), x))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD.format(tests=str(ROOT / "tests")), json.dumps(list(REPS))],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "NNAUDIO_DISABLE_CITATION_REMINDER": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    there = json.loads(proc.stdout.strip().splitlines()[-1])
    assert torch.get_num_threads() == TORCH_THREADS  # the child's count, from the same environment
    assert there == here, sorted(k for k in here if here[k] != there.get(k))
