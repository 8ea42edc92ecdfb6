"""Session set-up and shared fixtures.

JAX is configured here, before any test module touches it: float64 enabled and full-precision
matmuls (no reduced-precision passes). Strict dtype promotion and rank-promotion errors are
checked by a dedicated test (``test_jax_strict_promotion`` in ``test_consistency.py``) under
JAX's config context managers, so a violation is reported once, precisely, instead of failing
every numerical JAX test of the session.
"""

from __future__ import annotations

import gc
import os

os.environ.setdefault("NNAUDIO_DISABLE_CITATION_REMINDER", "1")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_default_matmul_precision", "highest")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from backends import BACKENDS, DTYPES, Backend  # noqa: E402

#: torch's thread count: one per pytest-xdist worker (the workers share the cores), else up to two.
#: A child interpreter that imports this file (``test_determinism``) inherits the environment and
#: so the same count.
TORCH_THREADS = 1 if os.environ.get("PYTEST_XDIST_WORKER") else max(1, min(2, os.cpu_count() or 1))
torch.set_num_threads(TORCH_THREADS)

#: Sampling rate of the synthetic test signals (Hz).
SR = 8000
#: Default signal length: one second.
LENGTH = 8000
SEED = 20240917


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():  # noqa: ANN202
    """Drop JAX's compiled programs after each test file.

    Every XLA CPU executable keeps about 15 memory mappings until its cache entry goes; the
    whole suite compiles thousands of programs, and one process passed Linux's default
    ``vm.max_map_count`` (65530) at about two thirds of the suite, where XLA's compiler then
    crashed (a segmentation fault while mapping a new program). Clearing per file keeps the
    count near that of the largest file.
    """
    yield
    jax.clear_caches()
    gc.collect()


@pytest.fixture(params=sorted(BACKENDS), ids=lambda name: name)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each backend through its adapter (see ``backends.py``)."""
    return BACKENDS[request.param]


@pytest.fixture(params=DTYPES)
def dtype(request: pytest.FixtureRequest) -> str:
    """Kernel (and signal) dtype name: ``'float32'`` or ``'float64'``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator per test (results do not depend on test order)."""
    return np.random.default_rng(SEED)


def synth(
    rng: np.random.Generator, shape: tuple[int, ...], *, sr: float = SR, n_tones: int = 3, noise: float = 0.01
) -> np.ndarray:
    """Sums of ``n_tones`` sines (random frequency, amplitude, phase per row) plus white noise, float64."""
    *lead, n = shape
    t = np.arange(n) / sr
    f = rng.uniform(80.0, 0.45 * sr, size=(*lead, n_tones, 1))
    a = rng.uniform(0.1, 0.4, size=(*lead, n_tones, 1))
    phi = rng.uniform(0.0, 2 * np.pi, size=(*lead, n_tones, 1))
    x = (a * np.sin(2 * np.pi * f * t + phi)).sum(axis=-2)
    return x + noise * rng.standard_normal(shape)


@pytest.fixture
def make_signal(rng: np.random.Generator):  # noqa: ANN201
    """Factory ``make_signal(*shape, sr=SR)`` of synthetic float64 signals."""

    def make(*shape: int, sr: float = SR, **kw: float) -> np.ndarray:
        return synth(rng, shape, sr=sr, **kw)

    return make


@pytest.fixture
def signal(make_signal) -> np.ndarray:  # noqa: ANN001
    """One second at 8 kHz, 1-D, float64."""
    return make_signal(LENGTH)
