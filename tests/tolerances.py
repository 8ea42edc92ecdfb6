"""The one tolerance table of the suite, and the comparison helpers that use it.

Errors are relative norms of the difference against the expected array:
``rel_l2 = ||a - b|| / ||b||`` and ``rel_max = max|a - b| / max|b|``; outputs in dB and
reconstructed waveforms use an absolute ``abs_max = max|a - b|`` instead. Float32 entries are
measured against float64 oracles (librosa/scipy) and leave a few-fold margin; float64 entries
are tight. Backend-vs-backend and path-vs-path comparisons are at least as tight as the oracle
comparison of the same quantity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tol:
    rel_l2: float | None = None
    rel_max: float | None = None
    abs_max: float | None = None


_REL32 = Tol(rel_l2=1e-6, rel_max=1e-5)
_REL64 = Tol(rel_l2=1e-10, rel_max=1e-10)

TOLERANCES: dict[str, dict[str, Tol]] = {
    # STFT (complex, magnitude, magnitude-weighted phase) against float64 librosa / direct sums.
    "stft": {"float32": _REL32, "float64": _REL64},
    # Mel power spectrogram against librosa.feature.melspectrogram(dtype=float64).
    "mel": {"float32": _REL32, "float64": _REL64},
    # MFCC against librosa.feature.mfcc: absolute, in dB-like units.
    "mfcc": {"float32": Tol(abs_max=1e-3), "float64": Tol(abs_max=1e-8)},
    # iSTFT: round trip x -> STFT -> iSTFT and inverse against librosa.istft (signals |x| < 1.5).
    "istft": {"float32": Tol(abs_max=1e-5), "float64": Tol(abs_max=1e-10)},
    # torch vs JAX, batch vs per item, compiled vs eager, jit vs eager (same quantity, same dtype).
    "backend": {"float32": _REL32, "float64": _REL64},
    # FFT path vs matmul path (trainable kernels at initialisation): two float32 computations,
    # each within the "stft" tolerance of the exact value, so at most twice that apart.
    "paths": {"float32": Tol(rel_l2=2e-6, rel_max=2e-5), "float64": _REL64},
    # float64 design functions (nnaudio_shared) against librosa / scipy / numpy.fft.
    "design": {"float64": Tol(rel_l2=1e-12, rel_max=1e-12)},
    # power_to_db against librosa.power_to_db (dB).
    "db": {"float64": Tol(abs_max=1e-9)},
    # Design against nnAudio2's float32 kernels (the oracle itself is float32).
    "nnaudio2": {"float32": Tol(rel_l2=1e-6, rel_max=1e-6), "float64": Tol(rel_l2=1e-6, rel_max=1e-6)},
    # Outputs against nnAudio2's float32 modules (their own error against librosa: ~7e-7 / 2.3e-6).
    "nnaudio2_output": {"float32": Tol(rel_l2=2e-6, rel_max=1e-5), "float64": Tol(rel_l2=2e-6, rel_max=1e-5)},
    # float16 / bfloat16 inputs against the float32 computation on the same (rounded) input: the
    # output is rounded to the half type (unit roundoff 4.9e-4 / 3.9e-3), a few-fold margin above.
    "half": {"float16": Tol(rel_l2=1e-3), "bfloat16": Tol(rel_l2=8e-3)},
}


def tolerance(kind: str, dtype: str) -> Tol:
    try:
        return TOLERANCES[kind][dtype]
    except KeyError:
        raise KeyError(f"no tolerance for kind={kind!r}, dtype={dtype!r}") from None


def errors(actual: np.ndarray, expected: np.ndarray) -> dict[str, float]:
    """``rel_l2``, ``rel_max`` and ``abs_max`` of ``actual`` against ``expected`` (complex allowed)."""
    a = np.asarray(actual).astype(np.complex128 if np.iscomplexobj(actual) else np.float64)
    b = np.asarray(expected).astype(np.complex128 if np.iscomplexobj(expected) else np.float64)
    d = np.abs(a - b)
    abs_max = float(d.max()) if d.size else 0.0
    nb, mb = float(np.linalg.norm(b.ravel())), float(np.abs(b).max()) if b.size else 0.0
    return {
        "rel_l2": float(np.linalg.norm(d.ravel())) / nb if nb > 0 else float(np.linalg.norm(d.ravel())),
        "rel_max": abs_max / mb if mb > 0 else abs_max,
        "abs_max": abs_max,
    }


def assert_close(actual: np.ndarray, expected: np.ndarray, kind: str, dtype: str, what: str = "") -> None:
    """Assert ``actual`` matches ``expected`` within ``TOLERANCES[kind][dtype]``.

    The failure message reports every measured error next to its tolerance.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    label = f"{what} [{kind}, {dtype}]" if what else f"[{kind}, {dtype}]"
    assert actual.shape == expected.shape, f"{label}: shape {actual.shape} != expected {expected.shape}"
    assert np.all(np.isfinite(actual)), f"{label}: actual has {np.sum(~np.isfinite(actual))} non-finite values"
    tol = tolerance(kind, dtype)
    err = errors(actual, expected)
    failed = [
        f"{name} = {err[name]:.3g} > {limit:.1g}"
        for name, limit in (("rel_l2", tol.rel_l2), ("rel_max", tol.rel_max), ("abs_max", tol.abs_max))
        if limit is not None and not err[name] <= limit
    ]
    measured = ", ".join(f"{k}={v:.3g}" for k, v in err.items())
    assert not failed, f"{label}: {'; '.join(failed)} (measured {measured})"


def phasor(phase: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """``magnitude * exp(1j * phase)``: compares phases without wrap-around at +-pi and weighted by
    how well defined they are (the phase of a near-zero bin is noise in any implementation)."""
    return np.asarray(magnitude, dtype=np.float64) * np.exp(1j * np.asarray(phase, dtype=np.float64))
