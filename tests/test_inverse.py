"""Inverse STFT: perfect reconstruction (analytic oracle) and agreement with ``librosa.istft``."""

from __future__ import annotations

import numpy as np
import pytest
from references import as_complex, as_pairs, librosa_stft, two_sided
from tolerances import assert_close

ROUND_TRIP = {
    "512-hann-hop128": dict(n_fft=512, hop_length=128),
    "400-win300-kaiser-hop100": dict(n_fft=400, win_length=300, hop_length=100, window=("kaiser", 4.0)),
    "511-hamming-hop100": dict(n_fft=511, hop_length=100, window="hamming"),
}
VIA = ["STFT.inverse", "iSTFT", "iSTFT-trainable", "trainable-STFT.inverse"]


def _invert(backend, via: str, kw: dict, X: np.ndarray, dtype: str, **call) -> np.ndarray:
    if via.endswith("STFT.inverse"):
        m = backend.build("STFT", **kw, iSTFT=True, trainable=via.startswith("trainable"), dtype=dtype)
        return backend.run(m, X, "inverse", **call)
    trainable = via.endswith("trainable")
    m = backend.build("iSTFT", **kw, trainable_kernels=trainable, trainable_window=trainable, dtype=dtype)
    return backend.run(m, X, **call)


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("name", ROUND_TRIP)
def test_stft_then_inverse_reconstructs_the_signal(backend, dtype, signal, name, via):
    kw = ROUND_TRIP[name]
    x = signal.astype(dtype)
    X = backend.run(backend.build("STFT", **kw, iSTFT=True, dtype=dtype), x)
    y = _invert(backend, via, kw, X, dtype, length=len(x))
    assert y.dtype == np.dtype(dtype)
    assert_close(y, x, "istft", dtype, f"round trip via {via}")


@pytest.mark.parametrize("via", ["STFT.inverse", "iSTFT"])
@pytest.mark.parametrize("n_fft", [512, 511])
def test_inverse_of_a_two_sided_spectrum(backend, dtype, signal, n_fft, via):
    kw = dict(n_fft=n_fft, hop_length=128)
    x = signal.astype(dtype)
    X = as_complex(backend.run(backend.build("STFT", **kw, dtype=dtype), x))
    full = two_sided(X, n_fft)
    assert full.shape[-2] == n_fft
    y = _invert(backend, via, kw, as_pairs(full, dtype), dtype, onesided=False, length=len(x))
    assert_close(y, x, "istft", dtype, "onesided=False")


@pytest.mark.parametrize("via", ["STFT.inverse", "iSTFT"])
def test_inverse_accepts_a_complex_array(backend, dtype, signal, via):
    kw = dict(n_fft=512, hop_length=128)
    x = signal.astype(dtype)
    X = as_complex(backend.run(backend.build("STFT", **kw, dtype=dtype), x))
    X = X.astype(np.complex64 if dtype == "float32" else np.complex128)
    y = _invert(backend, via, kw, X, dtype, length=len(x))
    assert y.dtype == np.dtype(dtype)
    assert_close(y, x, "istft", dtype, "complex input")


ISTFT_CASES = [
    pytest.param(dict(n_fft=512, hop_length=128), None, id="512-lengthNone"),
    pytest.param(
        dict(n_fft=400, win_length=300, hop_length=75, window=("kaiser", 4.0)), None, id="400-win300-lengthNone"
    ),
    pytest.param(dict(n_fft=512, hop_length=128), 8000 + 37, id="512-length-longer"),
    pytest.param(dict(n_fft=511, hop_length=100), 7000, id="511-length-shorter"),
    pytest.param(dict(n_fft=512, hop_length=128, center=False), None, id="512-nocenter-lengthNone"),
]


@pytest.mark.parametrize(("kw", "length"), ISTFT_CASES)
def test_istft_matches_librosa(backend, dtype, signal, kw, length):
    """Any complex spectrogram (not only an STFT's): same samples and same trimming/padding as librosa."""
    X = librosa_stft(signal, pad_mode="constant", **kw)
    X = X * np.exp(0.3j * np.arange(X.shape[-1]))  # not the STFT of any signal
    expected = __import__("librosa").istft(X, length=length, dtype=np.float64, **kw)
    m = backend.build("iSTFT", **kw, dtype=dtype)
    y = backend.run(m, as_pairs(X, dtype), length=length)
    assert y.shape == expected.shape
    if kw.get("center", True):
        assert_close(y, expected, "istft", dtype)
    else:
        # without centring the first/last samples are divided by a window sum close to zero,
        # which amplifies rounding; compare where the window sum is at least 1 % of its peak
        n_fft, hop = kw["n_fft"], kw["hop_length"]
        w2 = np.hanning(n_fft + 1)[:-1] ** 2
        wss = np.zeros(y.shape[-1])
        for t in range(X.shape[-1]):
            seg = wss[t * hop : t * hop + n_fft]
            seg += w2[: len(seg)]
        ok = wss > 0.01 * wss.max()
        assert ok.sum() > 0.9 * ok.size
        assert_close(y[ok], expected[ok], "istft", dtype, "samples with window sum >= 1 % of peak")


def test_istft_length_none_trims_like_librosa(backend):
    X = librosa_stft(np.zeros(1000), n_fft=256, hop_length=64)
    y = backend.run(backend.build("iSTFT", n_fft=256, hop_length=64), as_pairs(X, "float32"))
    assert y.shape == (64 * (X.shape[-1] - 1),)
