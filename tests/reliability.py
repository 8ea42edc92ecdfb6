"""Registries of the reliability tests (bad inputs, precision, compilers and exporters, chunking,
devices, properties, determinism).

Everything here is derived from ``cases.CASES``: a class joins every reliability test as soon as
it has an entry there (and, for the hypothesis tests, a configuration space in ``SPACES``).
Exceptions are declared here with their reason, never silently skipped.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
from backends import TORCH
from cases import CASES, Case, L
from conftest import SEED, synth


#: The argument name a module's error messages use for its input (``x``, ``X``, ``S``, ...).
def arg_name(module: Any, method: str = "__call__") -> str:
    fn = getattr(module, "forward" if method == "__call__" and hasattr(module, "forward") else method)
    return next(iter(inspect.signature(fn).parameters))


_TRAINABLE: dict[str, bool] = {}


def is_trainable(case: Case) -> bool:
    """Whether the module holds trainable parameters (decided by building the torch module)."""
    key = repr(case)
    if key not in _TRAINABLE:
        _TRAINABLE[key] = any(True for _ in case.build(TORCH, "float32").parameters())
    return _TRAINABLE[key]


def _select(cases: dict[str, Case], trainable: bool) -> dict[str, Case]:
    out: dict[str, Case] = {}
    seen: set[tuple[str, str, bool]] = set()
    for name, case in cases.items():
        key = (case.cls, case.method, is_trainable(case))
        if key in seen or (key[2] and not trainable):
            continue
        seen.add(key)
        out[name] = case
    return out


#: One configuration per (class, method): the first entry of CASES for it.
REPS: dict[str, Case] = _select(CASES, trainable=False)
#: REPS plus the first trainable configuration of each (class, method), where CASES has one.
REPS_AND_TRAINABLE: dict[str, Case] = _select(CASES, trainable=True)


def is_signal(case: Case) -> bool:
    """Whether the module's input is a signal ``(..., time)`` (not a spectrogram)."""
    return not case.inverse


def signal(shape: tuple[int, ...] = (L,), seed: int = SEED) -> np.ndarray:
    """A deterministic synthetic float64 signal (tones plus noise)."""
    return synth(np.random.default_rng(seed), shape)


def valid_input(case: Case, dtype: str = "float32", shape: tuple[int, ...] = (L,)) -> np.ndarray:
    """The module input for the standard test signal of ``shape``."""
    return case.input(signal(shape), dtype)


def kind(case: Case) -> str:
    """Tolerance kind for comparing two computations of the same module output."""
    return "mfcc" if case.cls == "MFCC" else "backend"


def params(cases: dict[str, Case]) -> list[Any]:
    return [pytest.param(c, id=name) for name, c in cases.items()]


# ---------------------------------------------------------------------------------------------
# Exporters: classes that cannot be exported, by exporter, with the error that pins the reason
# (the class docstring says so too). Empty today: every transform exports.
# ---------------------------------------------------------------------------------------------
#: {(class, exporter): (exception type, message regex)}; exporter in {"torch.export", "onnx",
#: "torch.compile", "jax.export"}.
NOT_EXPORTABLE: dict[tuple[str, str], tuple[type[BaseException], str]] = {}
