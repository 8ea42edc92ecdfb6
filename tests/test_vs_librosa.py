"""Forward transforms against float64 oracles: librosa, direct definitions, analytic values.

Every comparison is run per backend and kernel dtype; the signal is first rounded to that dtype
so the reference sees the same input. Interior frames and edge frames (those touching the
padding) are compared separately: padding mistakes only show at the edges.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from conftest import SR
from references import (
    as_complex,
    direct_stft,
    interior_frames,
    librosa_mel,
    librosa_mfcc,
    librosa_stft,
)
from tolerances import assert_close, phasor


def assert_frames_close(
    actual: np.ndarray,
    expected: np.ndarray,
    kind: str,
    dtype: str,
    *,
    n_fft: int,
    hop_length: int,
    length: int,
    center: bool,
) -> None:
    """Compare interior and edge frames (last axis) separately."""
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    inner = interior_frames(expected.shape[-1], n_fft=n_fft, hop_length=hop_length, length=length, center=center)
    assert inner.any()
    assert_close(actual[..., inner], expected[..., inner], kind, dtype, "interior frames")
    if center:
        assert (~inner).any()
        assert_close(actual[..., ~inner], expected[..., ~inner], kind, dtype, "edge frames")
    else:
        assert inner.all()


def _hop(kw: dict) -> int:
    if kw.get("hop_length") is not None:
        return kw["hop_length"]
    return kw.get("win_length", kw["n_fft"]) // 4


STFT_CASES = {
    "512-hann-hop128": dict(n_fft=512, hop_length=128),
    # win_length < n_fft, hop_length=None (win_length // 4 = 75, does not divide n_fft)
    "400-win300-kaiser-hopNone": dict(n_fft=400, win_length=300, window=("kaiser", 4.0)),
    "511-gaussian-hop100": dict(n_fft=511, hop_length=100, window=("gaussian", 50.0)),
}
STFT_PARAMS = [
    pytest.param({**kw, "pad_mode": pad}, id=f"{name}-{pad}")
    for name, kw in STFT_CASES.items()
    for pad in ("reflect", "constant")
] + [pytest.param(dict(n_fft=256, hop_length=96, center=False), id="256-hop96-nocenter")]


@pytest.mark.parametrize("kw", STFT_PARAMS)
def test_stft_complex_matches_librosa(backend, dtype, signal, kw):
    x = signal.astype(dtype)
    m = backend.build("STFT", **kw, dtype=dtype)
    out = backend.run(m, x)
    assert out.dtype == np.dtype(dtype)
    expected = librosa_stft(x, **kw)
    assert out.shape == (*expected.shape, 2)
    assert_frames_close(
        as_complex(out),
        expected,
        "stft",
        dtype,
        n_fft=kw["n_fft"],
        hop_length=_hop(kw),
        length=x.shape[-1],
        center=kw.get("center", True),
    )


@pytest.mark.parametrize("pad_mode", ["reflect", "constant"])
@pytest.mark.parametrize("fmt", ["Magnitude", "Phase"])
def test_stft_magnitude_and_phase_match_librosa(backend, dtype, signal, fmt, pad_mode):
    kw = dict(n_fft=512, hop_length=128, pad_mode=pad_mode)
    x = signal.astype(dtype)
    m = backend.build("STFT", **kw, output_format=fmt, dtype=dtype)
    out = backend.run(m, x)
    expected = librosa_stft(x, **kw)
    assert out.shape == expected.shape
    if fmt == "Magnitude":
        actual, expected = out, np.abs(expected)
    else:
        assert np.all(np.abs(out) <= np.pi + 1e-6)
        actual = phasor(out, np.abs(expected))
    assert_frames_close(actual, expected, "stft", dtype, n_fft=512, hop_length=128, length=x.shape[-1], center=True)


def test_output_format_override_per_call(backend, dtype, signal):
    """``m(x, output_format=...)`` overrides the constructor's format."""
    x = signal[:2000].astype(dtype)
    m = backend.build("STFT", n_fft=256, hop_length=64, output_format="Complex", dtype=dtype)
    expected = librosa_stft(x, n_fft=256, hop_length=64)
    mag = backend.run(m, x, output_format="Magnitude")
    assert_close(mag, np.abs(expected), "stft", dtype)
    phase = backend.run(m, x, output_format="Phase")
    assert_close(phasor(phase, np.abs(expected)), expected, "stft", dtype)
    assert backend.run(m, x).shape == (*expected.shape, 2)


def test_stft_freq_bins_keeps_the_first_bins(backend, dtype, signal):
    kw = dict(n_fft=256, hop_length=64, freq_bins=100, pad_mode="constant")
    x = signal.astype(dtype)
    out = as_complex(backend.run(backend.build("STFT", **kw, dtype=dtype), x))
    assert out.shape[-2] == 100
    assert_close(out, librosa_stft(x, **kw), "stft", dtype)


FREQ_SCALE_KW = dict(n_fft=256, hop_length=64, freq_bins=96, fmin=60.0, fmax=3500.0, sr=SR)


@pytest.mark.parametrize("pad_mode", ["reflect", "constant"])
@pytest.mark.parametrize("freq_scale", ["linear", "log", "log2"])
def test_stft_freq_scale_matches_direct_definition(backend, dtype, signal, freq_scale, pad_mode):
    kw = dict(FREQ_SCALE_KW, freq_scale=freq_scale, pad_mode=pad_mode)
    x = signal.astype(dtype)
    out = backend.run(backend.build("STFT", **kw, dtype=dtype), x)
    expected = direct_stft(x, **kw)
    assert out.shape == (*expected.shape, 2)
    assert_frames_close(
        as_complex(out), expected, "stft", dtype, n_fft=256, hop_length=64, length=x.shape[-1], center=True
    )


def test_direct_definition_agrees_with_librosa_for_uniform_scale(signal):
    """Validates the test-side direct reference itself on the scale librosa also computes."""
    kw = dict(n_fft=400, win_length=300, hop_length=75, window=("kaiser", 4.0), sr=SR, pad_mode="reflect")
    assert_close(direct_stft(signal, **kw), librosa_stft(signal, **kw), "stft", "float64")


def test_pure_tone_has_the_analytic_spectrum(backend, dtype):
    """A cosine on DFT bin k0 under a periodic Hann window: interior frames are exactly
    ``A N / 4`` at k0, ``A N / 8`` at k0 +- 1 and zero elsewhere."""
    n_fft, hop, k0, amp = 512, 128, 37, 0.5
    n = np.arange(6 * n_fft)
    x = (amp * np.cos(2 * np.pi * k0 * n / n_fft)).astype(dtype)
    out = backend.run(backend.build("STFT", n_fft=n_fft, hop_length=hop, output_format="Magnitude", dtype=dtype), x)
    inner = interior_frames(out.shape[-1], n_fft=n_fft, hop_length=hop, length=len(n), center=True)
    expected = np.zeros((n_fft // 2 + 1, int(inner.sum())))
    expected[k0] = amp * n_fft / 4
    expected[[k0 - 1, k0 + 1]] = amp * n_fft / 8
    assert_close(out[:, inner], expected, "stft", dtype, "interior frames")


MEL_PARAMS = [
    pytest.param(dict(sr=SR, n_fft=512, hop_length=128, n_mels=40, pad_mode=pad), id=f"slaney-norm1-p2-{pad}")
    for pad in ("reflect", "constant")
] + [
    pytest.param(
        dict(
            sr=SR,
            n_fft=400,
            win_length=300,
            hop_length=160,
            n_mels=32,
            power=1.0,
            htk=True,
            norm=None,
            fmin=50.0,
            fmax=3500.0,
            window=("kaiser", 4.0),
            pad_mode="constant",
        ),
        id="htk-normNone-p1-win300",
    ),
    pytest.param(
        dict(sr=SR, n_fft=512, hop_length=100, n_mels=24, norm=np.inf, fmin=100.0, center=False), id="normInf-nocenter"
    ),
    pytest.param(
        dict(
            sr=SR,
            n_fft=511,
            hop_length=128,
            n_mels=30,
            norm="slaney",
            htk=True,
            power=1.5,
            window=("gaussian", 50.0),
            pad_mode="reflect",
        ),
        id="slaney-htk-p1.5-511",
    ),
]


@pytest.mark.parametrize("kw", MEL_PARAMS)
def test_melspectrogram_matches_librosa(backend, dtype, signal, kw):
    x = signal.astype(dtype)
    out = backend.run(backend.build("MelSpectrogram", **kw, dtype=dtype), x)
    assert out.dtype == np.dtype(dtype)
    expected = librosa_mel(x, **kw)
    assert_frames_close(
        out,
        expected,
        "mel",
        dtype,
        n_fft=kw["n_fft"],
        hop_length=kw["hop_length"],
        length=x.shape[-1],
        center=kw.get("center", True),
    )


MFCC_PARAMS = [
    pytest.param(dict(sr=SR, n_mfcc=13, n_fft=512, hop_length=128, n_mels=40, pad_mode=pad), id=f"ortho-{pad}")
    for pad in ("reflect", "constant")
] + [
    pytest.param(
        dict(
            sr=SR,
            n_mfcc=20,
            norm=None,
            n_fft=400,
            hop_length=160,
            n_mels=32,
            htk=True,
            top_db=None,
            ref=0.01,
            amin=1e-6,
            pad_mode="constant",
        ),
        id="normNone-topdbNone-ref",
    ),
    pytest.param(
        dict(sr=SR, n_mfcc=16, n_fft=512, hop_length=128, n_mels=40, top_db=12.0, power=1.0, center=False),
        id="ortho-topdb12-p1-nocenter",
    ),
]


@pytest.mark.parametrize("kw", MFCC_PARAMS)
def test_mfcc_matches_librosa(backend, dtype, signal, kw):
    x = signal.astype(dtype)
    out = backend.run(backend.build("MFCC", **kw, dtype=dtype), x)
    assert out.dtype == np.dtype(dtype)
    expected = librosa_mfcc(x, **kw)
    assert_frames_close(
        out,
        expected,
        "mfcc",
        dtype,
        n_fft=kw["n_fft"],
        hop_length=kw["hop_length"],
        length=x.shape[-1],
        center=kw.get("center", True),
    )


def test_mfcc_top_db_is_active_in_the_test_signal(signal):
    """Guards the top_db=12 case above: the clip must actually change some values."""
    kw = dict(sr=SR, n_fft=512, hop_length=128, n_mels=40, power=1.0, center=False)
    clipped = librosa_mfcc(signal, n_mfcc=16, top_db=12.0, **kw)
    unclipped = librosa_mfcc(signal, n_mfcc=16, top_db=None, **kw)
    assert np.abs(clipped - unclipped).max() > 1.0


def test_explicit_window_array_equals_the_named_window(backend, dtype, signal):
    x = signal[:4000].astype(dtype)
    win = scipy.signal.get_window(("kaiser", 4.0), 300)
    kw = dict(n_fft=400, win_length=300, hop_length=100)
    out = as_complex(backend.run(backend.build("STFT", **kw, window=win, dtype=dtype), x))
    assert_close(out, librosa_stft(x, **kw, window=("kaiser", 4.0)), "stft", dtype)
    mel = backend.run(backend.build("MelSpectrogram", sr=SR, **kw, n_mels=32, window=win, dtype=dtype), x)
    assert_close(mel, librosa_mel(x, sr=SR, **kw, n_mels=32, window=("kaiser", 4.0)), "mel", dtype)
