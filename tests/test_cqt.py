"""Full-rate constant-Q transforms (CQT1992v2 = CQT, CQT1992) and their kernel design.

Oracles: librosa's float64 filter design (``librosa.filters.wavelet``), a float64 direct
definition built from ``nnaudio_shared`` kernels (frame-by-frame inner products, padded with
``np.pad``), ``librosa.cqt`` (``sparsity=0``; magnitudes, see ``cqt_librosa`` in tolerances.py),
and analytic expectations (pure tones, white-noise energy).
"""

from __future__ import annotations

import functools
import inspect

import librosa
import nnAudio2.features.cqt
import nnaudio_shared as ns
import numpy as np
import pytest
import torch
from backends import JAX, TORCH, adam_steps
from conftest import SR
from nnaudio_shared import ParameterError
from references import (
    as_complex,
    direct_cqt,
    interior_frames,
    librosa_cqt_dropped_negative_frequencies,
    librosa_wavelet_cqt,
)
from test_api import _params
from tolerances import assert_close, phasor

import nnaudio_jax
import nnaudio_torch

# ---------------------------------------------------------------------------------------------
# Design (float64, nnaudio_shared) against librosa
# ---------------------------------------------------------------------------------------------

DESIGNS = {
    "c1-84": dict(n_bins=84, fmin=32.70319566257483, bins_per_octave=12),
    "bpo24-kaiser-fs0.7": dict(n_bins=60, fmin=110.0, bins_per_octave=24, window=("kaiser", 4.0), filter_scale=0.7),
    "bpo36-gamma": dict(n_bins=72, fmin=55.0, bins_per_octave=36, gamma=12.0),
    "erb-blackman-norm2": dict(n_bins=30, fmin=200.0, bins_per_octave=12, gamma=None, window="blackman", norm=2),
    "norminf": dict(n_bins=20, fmin=300.0, bins_per_octave=12, norm=np.inf),
    "normNone": dict(n_bins=20, fmin=300.0, bins_per_octave=12, norm=None),
    "hamming": dict(n_bins=84, fmin=32.70319566257483, bins_per_octave=12, window="hamming"),
    "tukey-norm2": dict(n_bins=48, fmin=65.0, bins_per_octave=12, window=("tukey", 0.5), norm=2),
    "boxcar-gamma": dict(n_bins=36, fmin=100.0, bins_per_octave=12, window="boxcar", gamma=20.0),
}


@pytest.mark.parametrize("name", DESIGNS)
def test_kernels_are_librosas_wavelet_filters(name):
    kw = dict(DESIGNS[name])
    n_bins, fmin, bpo = kw.pop("n_bins"), kw.pop("fmin"), kw.pop("bins_per_octave")
    norm = kw.pop("norm", 1)
    freqs = ns.cqt_frequencies(n_bins, fmin=fmin, bins_per_octave=bpo)
    assert_close(freqs, librosa.cqt_frequencies(n_bins, fmin=fmin, bins_per_octave=bpo), "design", "float64")
    lengths, cutoff = ns.wavelet_lengths(freqs, sr=22050, **kw)
    lib_lengths, lib_cutoff = librosa.filters.wavelet_lengths(freqs=freqs, sr=22050, **kw)
    assert_close(lengths, lib_lengths, "design", "float64", "lengths")
    assert cutoff == pytest.approx(lib_cutoff, rel=1e-12)
    k = ns.wavelet_kernels(freqs, sr=22050, norm=norm, **kw)
    basis, _ = librosa.filters.wavelet(freqs=freqs, sr=22050, norm=norm, dtype=np.complex128, **kw)
    # librosa.cqt convolves with its filters in a circular frame of `width` samples:
    # X = sum_n frame[n] basis[(-n) mod width]; ours correlate, X = sum_n frame[n] conj(dense[n])
    width = basis.shape[1]
    assert k.width == width
    expected = np.conj(basis[:, (-np.arange(width)) % width])
    for i in range(n_bins):
        assert_close(k.dense(width)[i], expected[i], "design", "float64", f"filter {i}")
    # each kernel at librosa's integer length n_k = len(arange(-L // 2, L // 2)); the last tap of
    # the reversed filter carries w[0] and is stored first when w[0] = 0 (hann: n_k // 2 before
    # the centre), else it stays last (first sample 1 - n_k // 2) unless it wraps around the frame
    sizes = np.array([len(np.arange(-L // 2, L // 2)) for L in lib_lengths])
    w0 = np.array([ns.get_window(kw.get("window", "hann"), n)[0] for n in sizes])
    wraps = (w0 != 0) & (1 - sizes // 2 + sizes > width - width // 2)
    np.testing.assert_array_equal(k.sizes, np.where(wraps, width, sizes))
    np.testing.assert_array_equal(k.offsets, np.where(wraps, -(width // 2), -(sizes // 2) + (w0 != 0)))
    assert k.packed_real.shape == (k.sizes.sum(),) and k.packed_imag.shape == (k.sizes.sum(),)
    for i in (0, n_bins // 2, n_bins - 1):
        s = k.starts[i]
        np.testing.assert_array_equal(k.packed_real[s : s + k.sizes[i]], k.kernels[i].real)
        np.testing.assert_array_equal(k.packed_imag[s : s + k.sizes[i]], k.kernels[i].imag)
    assert not k.packed_real.flags.writeable and not k.kernels[0].flags.writeable


def test_hann_kernels_are_the_windowed_sinusoids_referenced_to_the_centre():
    """w[0] = 0: the reversed filter is the plain windowed sinusoid at p = j - n_k // 2, bitwise
    (the layout and values of earlier versions, so stored float32 states still equal the design)."""
    freqs = ns.cqt_frequencies(84, fmin=32.70319566257483)
    k = ns.wavelet_kernels(freqs, sr=22050)
    for i in (0, 41, 83):
        n = k.sizes[i]
        p = np.arange(n, dtype=np.float64) - (n // 2)
        phase = p * 2 * np.pi * freqs[i] / 22050
        sig = (np.cos(phase) + 1j * np.sin(phase)) * ns.get_window("hann", n)
        np.testing.assert_array_equal(k.kernels[i], sig / np.sum(np.abs(sig)))
        assert k.offsets[i] == -(n // 2)


def test_kernels_wrap_around_librosas_frame_like_librosa():
    """A hamming filter whose fractional length is within 2 samples of the frame (1022.5 of 1024):
    its w[0] tap falls one past the frame and librosa's circular frame puts it at the first sample."""
    alpha = ns.relative_bandwidth(12)
    freqs = (8000 / alpha / 1022.5) * 2.0 ** (np.arange(13) / 12)
    for window in ("hamming", "hann"):
        k = ns.wavelet_kernels(freqs, sr=8000, window=window, alpha=alpha)
        basis, lengths = librosa.filters.wavelet(freqs=freqs, sr=8000, window=window, alpha=alpha, dtype=np.complex128)
        assert basis.shape[1] == 1024 and len(np.arange(-lengths[0] // 2, lengths[0] // 2)) == 1023
        assert_close(k.dense(1024), np.conj(basis[:, (-np.arange(1024)) % 1024]), "design", "float64", window)
    assert (k.sizes[0], k.offsets[0]) == (1023, -511)  # hann: w[0] = 0, nothing to wrap


@pytest.mark.parametrize("bpo", [1, 12, 24, 36])
def test_relative_bandwidth_is_librosas(bpo):
    freqs = librosa.cqt_frequencies(8, fmin=100.0, bins_per_octave=bpo)
    assert ns.relative_bandwidth(bpo) == pytest.approx(librosa.filters._relative_bandwidth(freqs=freqs)[3], rel=1e-12)


@pytest.mark.parametrize(("hop", "group_size", "phase"), [(512, 6, 0), (500, 12, 250), (37, 5, 20), (64, 1, 0)])
def test_polyphase_plan_rebuilds_every_kernel_sample_once(hop, group_size, phase):
    k = ns.wavelet_kernels(ns.cqt_frequencies(40, fmin=60.0, bins_per_octave=12), sr=8000)
    plan = ns.polyphase_plan(k.offsets, k.sizes, hop, group_size=group_size, phase=phase)
    assert [g.start for g in plan] == list(range(0, 40, group_size))
    seen = np.zeros(k.sizes.sum(), dtype=int)
    for g in plan:
        idx = g.gather_index
        assert idx.shape == (hop, g.n_blocks, g.n_bins)
        for i in range(g.n_bins):
            b = g.start + i
            col = idx[:, :, i].T.reshape(-1)  # block-major samples of the group's span
            assert g.lead[i] + k.sizes[b] + g.trail[i] == g.n_blocks * hop
            np.testing.assert_array_equal(col[g.lead[i] : g.lead[i] + k.sizes[b]], k.starts[b] + np.arange(k.sizes[b]))
            assert np.all(col[: g.lead[i]] == -1) and np.all(col[g.lead[i] + k.sizes[b] :] == -1)
            # sample j sits at offset (first_block + q) * hop + r - phase from the frame centre
            q, r = divmod(int(g.lead[i]), hop)
            assert (g.first_block + q) * hop + r - phase == k.offsets[b]
            seen[col[col >= 0]] += 1
        for q in range(g.n_blocks):
            lo, hi = g.bin_ranges[q]
            hits = [b for b in range(g.start, g.stop) if np.any(idx[:, q, b - g.start] >= 0)]
            assert hits == list(range(lo, hi))
    assert np.all(seen == 1)
    layout = ns.polyphase_layout(k.offsets, k.sizes, hop, group_size=group_size, phase=phase)
    assert np.array_equal(np.sort(layout.index[layout.index >= 0]), np.arange(k.sizes.sum()))


@pytest.mark.parametrize(("n", "left", "right"), [(5, 3, 2), (5, 17, 23), (2, 7, 0), (1, 4, 4), (9, 0, 0)])
def test_reflect_indices_are_numpys_repeated_reflection(n, left, right):
    x = np.arange(n) * 1.5 + 2
    np.testing.assert_array_equal(x[ns.reflect_indices(n, left, right)], np.pad(x, (left, right), mode="reflect"))


def test_fmax_gives_nnaudio2s_bin_count():
    cfg = ns.CQT1992v2Config(fmin=55.0, fmax=1000.0, n_bins=3)
    assert cfg.n_bins == int(np.ceil(12 * np.log2(1000.0 / 55.0)))
    assert ns.CQT1992v2Config(fmin=55.0, fmax=110.0).n_bins == 12  # exactly one octave: 12 bins, not 13


def test_packed_kernels_take_a_seventh_of_nnaudio2s_buffers():
    m = nnaudio_torch.CQT1992v2()
    ours = m.cqt_kernels_real.numel() + m.cqt_kernels_imag.numel()
    theirs = nnAudio2.features.cqt.CQT1992v2(verbose=False)
    theirs_n = theirs.cqt_kernels_real.numel() + theirs.cqt_kernels_imag.numel()
    assert theirs_n == 2 * 84 * 16384
    assert ours == 2 * int(m.config.kernels().sizes.sum())
    assert ours <= 0.16 * theirs_n


# ---------------------------------------------------------------------------------------------
# Transforms against the float64 definition
# ---------------------------------------------------------------------------------------------

V2_CASES = {
    "100Hz-36bins-hop64-reflect": dict(sr=SR, fmin=100.0, n_bins=36, hop_length=64),
    "bpo24-hop50-constant": dict(sr=SR, fmin=110.0, n_bins=72, bins_per_octave=24, hop_length=50, pad_mode="constant"),
    "kaiser-norm2-fs0.8-nocenter": dict(
        sr=SR, fmin=150.0, n_bins=30, hop_length=100, window=("kaiser", 5.0), norm=2, filter_scale=0.8, center=False
    ),
    "fmax-norminf-hop37": dict(sr=SR, fmin=120.0, fmax=2000.0, hop_length=37, norm=np.inf),
    "normNone-blackman": dict(sr=SR, fmin=200.0, n_bins=24, hop_length=128, norm=None, window="blackman"),
}
V1992_CASES = {
    "200Hz-36bins-hop64-reflect": dict(sr=SR, fmin=200.0, n_bins=36, hop_length=64),
    "trainableSTFT-constant-nocenter": dict(
        sr=SR, fmin=300.0, n_bins=24, hop_length=100, pad_mode="constant", center=False, trainable_STFT=True
    ),
    "bpo24-hop50-trainableCQT": dict(
        sr=SR, fmin=250.0, n_bins=48, bins_per_octave=24, hop_length=50, trainable_CQT=True
    ),
}
NORMALIZATION = {"librosa": None, "convolutional": 1.0, "wrap": 2.0}


def _expected(m, x: np.ndarray, normalization_type: str = "librosa") -> np.ndarray:
    cfg = m.config
    k = cfg.kernels()
    X = direct_cqt(x, k, hop_length=cfg.hop_length, width=cfg.width, center=cfg.center, pad_mode=cfg.pad_mode)
    scale = NORMALIZATION[normalization_type]
    return X * (np.sqrt(k.lengths)[:, None] if scale is None else scale)


def _check_against_definition(backend, dtype, cls, kw, x, fmt, normalization_type):
    m = backend.build(cls, **kw, dtype=dtype)
    # the reference reads padding and centring from the module's config: pin them to the arguments
    assert (m.config.pad_mode, m.config.center) == (kw.get("pad_mode", "reflect"), kw.get("center", True))
    xd = x.astype(dtype)
    out = backend.run(m, xd, output_format=fmt, normalization_type=normalization_type)
    assert out.dtype == np.dtype(dtype)
    expected = _expected(m, xd, normalization_type)
    if fmt == "Complex":
        assert_close(as_complex(out), expected, "cqt", dtype, f"{cls} complex")
    elif fmt == "Magnitude":
        assert_close(out, np.abs(expected), "cqt", dtype, f"{cls} magnitude")
    else:
        assert out.shape == (*expected.shape, 2)
        cos_sin = out[..., 0] + 1j * out[..., 1]
        assert_close(np.abs(cos_sin), np.ones(cos_sin.shape), "cqt", dtype, "|(cos, sin)| = 1")
        assert_close(
            phasor(np.angle(cos_sin), np.abs(expected)),
            phasor(np.angle(expected), np.abs(expected)),
            "cqt",
            dtype,
            f"{cls} magnitude-weighted phase",
        )


@pytest.mark.parametrize("name", V2_CASES)
def test_cqt1992v2_matches_the_definition(backend, dtype, make_signal, name):
    _check_against_definition(backend, dtype, "CQT1992v2", V2_CASES[name], make_signal(2, SR), "Complex", "librosa")


@pytest.mark.parametrize("name", V1992_CASES)
def test_cqt1992_matches_the_definition(backend, dtype, make_signal, name):
    _check_against_definition(backend, dtype, "CQT1992", V1992_CASES[name], make_signal(2, SR), "Complex", "librosa")


@pytest.mark.parametrize("cls", ["CQT1992v2", "CQT1992"])
@pytest.mark.parametrize(
    ("fmt", "normalization_type"),
    [("Magnitude", "convolutional"), ("Phase", "wrap"), ("Magnitude", "wrap"), ("Complex", "convolutional")],
)
def test_output_formats_and_normalizations(backend, dtype, make_signal, cls, fmt, normalization_type):
    kw = dict(sr=SR, fmin=220.0, n_bins=30, hop_length=80)
    _check_against_definition(backend, dtype, cls, kw, make_signal(SR // 2), fmt, normalization_type)


def test_cqt_alias_and_default_output_is_magnitude(backend, make_signal):
    assert backend.lib.CQT is backend.lib.CQT1992v2
    m = backend.build("CQT", sr=SR, fmin=200.0, n_bins=24, hop_length=64)
    x = make_signal(SR // 2)
    out = backend.run(m, x.astype(np.float32))
    assert out.shape == (24, 1 + (SR // 2) // 64)
    assert_close(out, np.abs(_expected(m, x.astype(np.float32))), "cqt", "float32")


# ---------------------------------------------------------------------------------------------
# Against librosa.cqt
# ---------------------------------------------------------------------------------------------

LIBROSA_CASES = {
    "84bins-C1-hop512": dict(sr=22050, fmin=32.70319566257483, n_bins=84, hop_length=512),
    "hop500": dict(sr=22050, fmin=55.0, n_bins=72, hop_length=500),
    "bpo24-hop256": dict(sr=22050, fmin=65.40639132514966, n_bins=120, bins_per_octave=24, hop_length=256),
    "bpo36-hop1148": dict(sr=22050, fmin=55.0, n_bins=180, bins_per_octave=36, hop_length=1148),
}


@functools.lru_cache(maxsize=8)
def _librosa_cqt(name: str) -> tuple[np.ndarray, np.ndarray]:
    kw = LIBROSA_CASES[name]
    sr = kw["sr"]
    rng = np.random.default_rng(7)
    t = np.arange(3 * sr) / sr
    x = 0.05 * rng.standard_normal(t.size) + np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 97.3 * t + 1)
    x += 0.3 * np.sin(2 * np.pi * 1730 * t) * (t > 1.2)
    X = librosa.cqt(
        x,
        sr=sr,
        hop_length=kw["hop_length"],
        fmin=kw["fmin"],
        n_bins=kw["n_bins"],
        bins_per_octave=kw.get("bins_per_octave", 12),
        sparsity=0,
        pad_mode="constant",
        dtype=np.complex128,
    )
    return x, X


NOISE_CASES = {
    "84bins-C1-hop512": dict(sr=22050, fmin=32.70319566257483, n_bins=84, hop_length=512),
    "48bins-500Hz-hop64": dict(sr=22050, fmin=500.0, n_bins=48, hop_length=64),
}


@functools.lru_cache(maxsize=4)
def _librosa_cqt_noise(name: str) -> tuple[np.ndarray, np.ndarray]:
    kw = NOISE_CASES[name]
    x = np.random.default_rng(11).standard_normal(2 * kw["sr"])
    X = librosa.cqt(
        x,
        sr=kw["sr"],
        hop_length=kw["hop_length"],
        fmin=kw["fmin"],
        n_bins=kw["n_bins"],
        sparsity=0,
        pad_mode="constant",
        dtype=np.complex128,
    )
    return x, X


@pytest.mark.parametrize("name", NOISE_CASES)
def test_cqt1992v2_complex_values_match_librosa_on_white_noise(backend, dtype, name):
    """Phase and window alignment: librosa convolves with its filters, so ours are referenced to match."""
    x, X = _librosa_cqt_noise(name)
    m = backend.build("CQT1992v2", **NOISE_CASES[name], pad_mode="constant", output_format="Complex", dtype=dtype)
    out = backend.run(m, x.astype(dtype))
    out = out[..., 0] + 1j * out[..., 1]
    assert out.shape == X.shape
    inner = slice(X.shape[1] // 6, X.shape[1] - X.shape[1] // 6)
    top = slice(X.shape[0] - 12, X.shape[0])
    assert_close(out[top, inner], X[top, inner], "cqt_librosa_full_rate", dtype, "top octave, complex")
    assert_close(np.abs(out[:, inner]), np.abs(X[:, inner]), "cqt_librosa_noise", dtype, "all octaves, magnitude")


@pytest.mark.parametrize("name", LIBROSA_CASES)
def test_cqt1992v2_matches_librosa_cqt(backend, dtype, name):
    x, X = _librosa_cqt(name)
    m = backend.build("CQT1992v2", **LIBROSA_CASES[name], pad_mode="constant", dtype=dtype)
    out = backend.run(m, x.astype(dtype))
    assert out.shape == X.shape
    inner = interior_frames(
        X.shape[-1], n_fft=m.config.width, hop_length=m.config.hop_length, length=x.size, center=True
    )
    assert inner.sum() >= 5
    assert_close(out[:, inner], np.abs(X[:, inner]), "cqt_librosa", dtype, "interior frames")


def test_pure_tones_peak_at_their_bin_and_wrap_gives_their_amplitude(backend, dtype):
    m = backend.build("CQT1992v2", sr=SR, fmin=100.0, n_bins=48, hop_length=64, pad_mode="constant", dtype=dtype)
    t = np.arange(2 * SR) / SR
    inner = interior_frames(1 + t.size // 64, n_fft=m.config.width, hop_length=64, length=t.size, center=True)
    for k in (0, 7, 19, 30, 47):
        x = (0.8 * np.cos(2 * np.pi * m.frequencies[k] * t + 0.3)).astype(dtype)
        out = backend.run(m, x, normalization_type="wrap")[:, inner]
        assert np.all(np.argmax(out, axis=0) == k)
        # a cosine of amplitude a at a bin centre: |X| = a (L1-normalised filters, 'wrap' = x2)
        assert_close(out[k], np.full(out.shape[1], 0.8), "cqt_tone", dtype, f"bin {k}")


def test_white_noise_energy_per_octave(backend):
    """E|X_k|^2 = sigma^2 * lengths[k] * sum_j |kernel_k[j]|^2 for unit white noise ('librosa' scale)."""
    m = backend.build("CQT1992v2", sr=SR, fmin=100.0, n_bins=48, hop_length=64, pad_mode="constant", dtype="float64")
    x = np.random.default_rng(1).standard_normal(10 * SR)
    power = backend.run(m, x) ** 2
    k = m.config.kernels()
    expected = k.lengths * np.array([np.sum(np.abs(kern) ** 2) for kern in k.kernels])
    inner = interior_frames(power.shape[-1], n_fft=m.config.width, hop_length=64, length=x.size, center=True)
    for octave in range(4):
        sl = slice(12 * octave, 12 * octave + 12)
        ratio = power[sl][:, inner].mean() / expected[sl].mean()
        # statistical error of the estimate: measured <= 4.2 % (10 s of noise, seed 1)
        assert abs(ratio - 1) < 0.1, f"octave {octave}: measured / expected energy = {ratio:.3f}"


# ---------------------------------------------------------------------------------------------
# Every window: the convolution with librosa's filters (issue 11)
# ---------------------------------------------------------------------------------------------

#: Windows with w[0] = 0 (hann, tukey) and without (hamming, blackman's -1e-17, kaiser).
WINDOWS = ["hann", "hamming", "blackman", ("kaiser", 4.0), ("tukey", 0.5)]
#: 4 octaves at 8 kHz; hop 100 has two factors of two, so librosa.cqt does no early downsampling
#: and computes its top octave at the full rate.
WINDOW_CASE = dict(sr=SR, fmin=100.0, n_bins=48, hop_length=100)


@functools.lru_cache(maxsize=8)
def _window_reference(window: str | tuple) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(5).standard_normal(SR)
    return x, librosa_wavelet_cqt(x, **WINDOW_CASE, window=window, pad_mode="constant")


@pytest.mark.parametrize("window", WINDOWS, ids=str)
def test_cqt1992v2_is_the_convolution_with_librosas_filters_for_every_window(backend, dtype, window):
    """All bins, complex, every frame, against ``references.librosa_wavelet_cqt`` (built from
    ``librosa.filters.wavelet`` alone): measured <= 8.4e-16 (float64), 2.5e-7 (float32) for every
    window; kernels one tap off (w[0] at the wrong end) gave 1.1e-2 for hamming and kaiser."""
    x, X = _window_reference(window)
    m = backend.build("CQT1992v2", **WINDOW_CASE, window=window, pad_mode="constant", dtype=dtype)
    out = as_complex(backend.run(m, x.astype(dtype), output_format="Complex"))
    assert_close(out, X, "cqt", dtype, f"window={window}")


@pytest.mark.parametrize("window", ["hamming", ("kaiser", 4.0)], ids=str)
def test_cqt1992_is_the_convolution_with_librosas_filters(backend, dtype, window):
    x, X = _window_reference(window)
    m = backend.build("CQT1992", **WINDOW_CASE, window=window, pad_mode="constant", dtype=dtype)
    out = as_complex(backend.run(m, x.astype(dtype), output_format="Complex"))
    assert_close(out, X, "cqt", dtype, f"CQT1992 window={window}")


@pytest.mark.parametrize("window", WINDOWS, ids=str)
def test_top_octave_is_librosa_cqt_plus_the_negative_frequencies_it_drops(backend, window):
    """``librosa.cqt``'s top octave (full rate here) keeps the non-negative frequencies of each
    filter; adding back the rest (``references.librosa_cqt_dropped_negative_frequencies``) must
    give ours, complex, every frame (measured <= 8.8e-8: librosa designs its filters in
    complex64; 1.7e-2 for hamming one tap off). Ours against librosa.cqt alone: 7.6e-3 for
    hamming, whose side lobes reach the negative frequencies, 6.4e-5 for hann."""
    x, _ = _window_reference(window)
    kw = dict(WINDOW_CASE, window=window, pad_mode="constant")
    lib = librosa.cqt(x, **kw, sparsity=0, dtype=np.complex128)[-12:]
    expected = lib + librosa_cqt_dropped_negative_frequencies(x, **kw)
    m = backend.build("CQT1992v2", **kw, dtype="float64")
    out = as_complex(backend.run(m, x, output_format="Complex"))[-12:]
    assert_close(out, expected, "cqt_librosa_top_octave", "float64", f"window={window}")


@pytest.mark.parametrize(("cls", "kw"), [("CQT2010v2", {}), ("VQT", dict(gamma=10.0)), ("VQT", dict(gamma=None))])
def test_multirate_transforms_are_the_convolution_with_librosas_filters(backend, cls, kw):
    """The multirate transforms sample the same kernels: hamming against the float64 definition."""
    x = np.random.default_rng(5).standard_normal(SR)
    ref_kw = dict(WINDOW_CASE, hop_length=128, window="hamming")
    X = librosa_wavelet_cqt(x, **ref_kw, gamma=kw.get("gamma", 0.0), pad_mode="constant")
    m = backend.build(cls, **ref_kw, **kw, pad_mode="constant", output_format="Complex", dtype="float64")
    out = as_complex(backend.run(m, x))
    assert_close(out, X, "cqt_multirate", "float64", f"{cls}{kw}")


@pytest.mark.parametrize("cls", ["CQT2010v2", "VQT", "CQT1992v2"])
def test_librosa_unscaled_output_is_our_unnormalised_output_times_the_lengths(backend, cls):
    """``librosa.cqt(scale=False)`` scales each filter's DFT by ``lengths / n_fft``: it is our
    ``'convolutional'`` output (``norm=False``) times ``lengths``, not that output itself (the
    relation the multirate docstrings state; measured 2.4e-3 here, librosa's approximation)."""
    x, _ = _librosa_cqt("hop500")
    kw = LIBROSA_CASES["hop500"]
    lib = librosa.cqt(x, **kw, scale=False, sparsity=0, pad_mode="constant", dtype=np.complex128)
    arg = dict(norm=False) if cls != "CQT1992v2" else {}
    m = backend.build(cls, **kw, **arg, pad_mode="constant", output_format="Complex", dtype="float64")
    out = as_complex(backend.run(m, x, normalization_type="convolutional"))
    lengths = backend.state(m)["lengths"][:, None]
    inner = interior_frames(lib.shape[-1], n_fft=8192, hop_length=kw["hop_length"], length=x.size, center=True)
    assert_close(np.abs(out * lengths)[:, inner], np.abs(lib[:, inner]), "vqt_librosa", "float64", cls)
    assert np.linalg.norm(np.abs(out[:, inner]) - np.abs(lib[:, inner])) > 0.5 * np.linalg.norm(lib[:, inner])


# ---------------------------------------------------------------------------------------------
# Backends, short clips, training, gradients
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "kw"),
    [
        ("CQT1992v2", V2_CASES["bpo24-hop50-constant"]),
        ("CQT1992v2", V2_CASES["kaiser-norm2-fs0.8-nocenter"]),
        ("CQT1992", V1992_CASES["200Hz-36bins-hop64-reflect"]),
    ],
)
def test_torch_matches_jax(dtype, make_signal, cls, kw):
    x = make_signal(2, SR).astype(dtype)
    a = TORCH.run(TORCH.build(cls, **kw, dtype=dtype), x, output_format="Complex")
    b = JAX.run(JAX.build(cls, **kw, dtype=dtype), x, output_format="Complex")
    assert_close(a, b, "backend", dtype)


@pytest.mark.parametrize("pad_mode", ["reflect", "constant"])
@pytest.mark.parametrize("n", [1, 64, 300, 1500])
def test_short_clips_follow_the_definition(backend, make_signal, pad_mode, n):
    """Clips shorter than the longest kernel (693 samples), down to one hop and one sample."""
    m = backend.build("CQT1992v2", sr=SR, fmin=200.0, n_bins=36, hop_length=64, pad_mode=pad_mode, dtype="float64")
    x = make_signal(n)
    out = backend.run(m, x, output_format="Complex")
    assert out.shape == (36, 1 + n // 64, 2)
    assert_close(as_complex(out), _expected(m, x), "cqt", "float64")


def test_short_clip_frames_equal_the_long_clip_cut_to_that_length(backend, dtype, make_signal):
    """Where a kernel lies inside the short clip, its value is the long clip's (nnAudio2 crashes)."""
    kw = dict(sr=22050, hop_length=512)  # 84 bins from 32.7 Hz: longest kernel 11 686 samples
    m = backend.build("CQT1992v2", **kw, dtype=dtype)
    long = make_signal(30000, sr=22050).astype(dtype)
    n = 3000
    full = as_complex(backend.run(m, long, output_format="Complex"))
    short = as_complex(backend.run(m, long[:n], output_format="Complex"))
    assert short.shape == (84, 1 + n // 512)
    k = m.config.kernels()
    start = np.arange(short.shape[1])[None, :] * 512 + k.offsets[:, None]
    inside = (start >= 0) & (start + k.sizes[:, None] <= n)
    assert 10 <= inside.sum() < inside.size
    assert_close(short[inside], full[:, : short.shape[1]][inside], "backend", dtype)


TRAINABLE = {
    "v2": (
        "CQT1992v2",
        dict(sr=SR, fmin=200.0, n_bins=24, hop_length=64, trainable=True),
        {"cqt_kernels_real", "cqt_kernels_imag"},
        {"lengths"},
    ),
    "1992-both": (
        "CQT1992",
        dict(sr=SR, fmin=400.0, n_bins=24, hop_length=64, trainable_STFT=True, trainable_CQT=True),
        {"cqt_kernels_real", "cqt_kernels_imag", "wcos", "wsin"},
        {"lengths"},
    ),
    "1992-cqt": (
        "CQT1992",
        dict(sr=SR, fmin=400.0, n_bins=24, hop_length=64, trainable_CQT=True),
        {"cqt_kernels_real", "cqt_kernels_imag"},
        {"lengths"},
    ),
    "v2-frozen": (
        "CQT1992v2",
        dict(sr=SR, fmin=200.0, n_bins=24, hop_length=64),
        set(),
        {"cqt_kernels_real", "cqt_kernels_imag", "lengths"},
    ),
}


@pytest.mark.parametrize("name", TRAINABLE)
def test_trainable_kernels_receive_gradients_and_train(backend, make_signal, name):
    cls, kw, trainable, frozen = TRAINABLE[name]
    m = backend.build(cls, **kw, dtype="float32")
    assert backend.param_names(m) == trainable
    assert set(backend.state(m)) == trainable | frozen  # checkpoint keys (derived index buffers excluded)
    x = make_signal(2, 4000).astype(np.float32)
    before = backend.run(m, x)
    w = np.random.default_rng(2).standard_normal(before.shape)
    grads = backend.grad_params(m, x, w)
    assert set(grads) == trainable
    for key, g in grads.items():
        assert np.all(np.isfinite(g)) and np.any(g != 0), key
    if trainable:
        adam_steps(backend, m, x)
        after = backend.run(m, x)
        assert np.all(np.isfinite(after))
        assert not np.allclose(after, before, rtol=1e-4, atol=0), "three Adam steps changed nothing"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("v2", "Magnitude"),
        ("v2", "Phase"),
        ("v2-frozen", "Magnitude"),
        ("v2-frozen", "Phase"),
        ("1992-both", "Magnitude"),
    ],
)
def test_gradients_are_finite_at_digital_silence(backend, dtype, fmt, name):
    cls, kw, _, _ = TRAINABLE[name]
    m = backend.build(cls, **kw, dtype=dtype)
    x = np.zeros((2, 1000), dtype=dtype)
    out = backend.run(m, x, output_format=fmt)
    assert np.all(np.isfinite(out))
    w = np.random.default_rng(0).standard_normal(out.shape)
    g = backend.grad_input(m, x, w, output_format=fmt)
    assert np.all(np.isfinite(g)), f"{np.mean(~np.isfinite(g)):.0%} of the input gradient is not finite"
    for key, gk in backend.grad_params(m, x, w, output_format=fmt).items():
        assert np.all(np.isfinite(gk)), key


@pytest.mark.parametrize(("cls", "fmt"), [("CQT1992v2", "Complex"), ("CQT1992v2", "Magnitude"), ("CQT1992", "Complex")])
def test_input_gradient_matches_finite_differences(backend, make_signal, cls, fmt):
    kw = dict(sr=16000, fmin=1500.0, n_bins=8, hop_length=16, center=True)
    backend.check_grads(backend.build(cls, **kw, dtype="float64"), make_signal(64, sr=16000), output_format=fmt)


# ---------------------------------------------------------------------------------------------
# API and errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ["CQT1992v2", "CQT1992"])
def test_nnaudio2_arguments_defaults_and_order(backend, cls):
    theirs = [p for p in _params(getattr(nnAudio2.features.cqt, cls))]
    ours = {p.name: p for p in _params(getattr(backend.lib, cls))}
    for p in theirs:
        assert p.name in ours, p.name
        assert ours[p.name].default == p.default, (p.name, ours[p.name].default, p.default)
    order = [n for n in ours if n in {p.name for p in theirs}]
    assert order == [p.name for p in theirs]
    sig = list(
        inspect.signature(
            getattr(backend.lib, cls).forward if backend is TORCH else getattr(backend.lib, cls).__call__
        ).parameters
    )
    assert sig == ["self", "x", "output_format", "normalization_type"]


def test_nnaudio2_import_path():
    from nnaudio_torch.features.cqt import CQT, CQT1992, CQT1992v2

    assert CQT is CQT1992v2 is nnaudio_torch.CQT1992v2 and CQT1992 is nnaudio_torch.CQT1992
    assert nnaudio_jax.CQT is nnaudio_jax.CQT1992v2


BAD_ARGS = [
    ("CQT1992v2", dict(sr=0), r"^sr=0"),
    ("CQT1992v2", dict(hop_length=0), r"^hop_length=0"),
    ("CQT1992v2", dict(hop_length=512.0), r"^hop_length=512.0 .*integer"),
    ("CQT1992v2", dict(fmin=-1.0), r"^fmin=-1.0"),
    ("CQT1992v2", dict(fmin=100.0, fmax=50.0), r"^fmax=50.0 .*fmin"),
    ("CQT1992v2", dict(n_bins=0), r"^n_bins=0"),
    ("CQT1992v2", dict(bins_per_octave=0), r"^bins_per_octave=0"),
    ("CQT1992v2", dict(filter_scale=0), r"^filter_scale=0"),
    ("CQT1992v2", dict(norm=0), r"^norm=0"),
    ("CQT1992v2", dict(norm=True), r"^norm=True"),
    ("CQT1992v2", dict(norm="l1"), r"^norm='l1'"),
    ("CQT1992v2", dict(window="nope"), r"^window='nope'"),
    ("CQT1992v2", dict(window=np.hanning(64)), r"every bin has its own length"),
    ("CQT1992v2", dict(center="yes"), r"^center='yes'"),
    ("CQT1992v2", dict(pad_mode="wrap"), r"^pad_mode='wrap'"),
    ("CQT1992v2", dict(trainable=1), r"^trainable=1"),
    ("CQT1992v2", dict(output_format="mag"), r"^output_format='mag'"),
    ("CQT1992v2", dict(verbose=None), r"^verbose=None"),
    ("CQT1992v2", dict(n_bins=108), r"top bin .*Nyquist frequency sr / 2 = 11025"),
    ("CQT1992v2", dict(fmin=32.7, fmax=12000.0), r"top bin .*Nyquist"),
    ("CQT1992", dict(), r"top bin \(26579.50 Hz of 84 bins\).*Nyquist"),
    ("CQT1992", dict(n_bins=48, trainable_STFT="no"), r"^trainable_STFT='no'"),
    ("CQT1992", dict(n_bins=48, trainable_CQT=None), r"^trainable_CQT=None"),
    ("CQT1992", dict(n_bins=48, norm=-2), r"^norm=-2"),
]


@pytest.mark.parametrize(("cls", "kw", "match"), BAD_ARGS, ids=lambda v: str(v)[:40])
def test_invalid_arguments_raise_a_clear_parameter_error(backend, cls, kw, match):
    with pytest.raises(ParameterError, match=match):
        getattr(backend.lib, cls)(**kw)


@pytest.mark.parametrize("cls", ["CQT1992v2", "CQT1992"])
def test_invalid_call_arguments_and_signals(backend, cls):
    m = backend.build(cls, sr=SR, fmin=300.0, n_bins=24, hop_length=64)
    x = np.zeros(1000, np.float32)
    with pytest.raises(ParameterError, match=r"^normalization_type='Librosa'"):
        backend.call_eager(m, x, normalization_type="Librosa")
    with pytest.raises(ParameterError, match=r"^output_format='complex'"):
        backend.call_eager(m, x, output_format="complex")
    with pytest.raises(ParameterError, match=r"^x is empty"):
        backend.call_eager(m, x[:0])
    nocenter = backend.build(cls, sr=SR, fmin=300.0, n_bins=24, hop_length=64, center=False)
    with pytest.raises(ParameterError, match=r"^x has 100 samples, fewer than the frame width 512"):
        backend.call_eager(nocenter, x[:100])


def test_design_functions_validate_their_arguments():
    with pytest.raises(ParameterError, match=r"^freqs=.*strictly ascending"):
        ns.wavelet_lengths([200.0, 100.0], sr=8000)
    with pytest.raises(ParameterError, match=r"^alpha=None .*single frequency"):
        ns.wavelet_kernels([200.0], sr=8000)
    with pytest.raises(ParameterError, match=r"^gamma=-1"):
        ns.wavelet_lengths([100.0, 200.0], sr=8000, gamma=-1.0)
    with pytest.raises(ParameterError, match=r"^sr=0"):
        ns.wavelet_lengths([100.0, 200.0], sr=0)
    with pytest.raises(ParameterError, match=r"^offsets and sizes"):
        ns.polyphase_plan([0, 1], [3], 4, group_size=1)
    with pytest.raises(ParameterError, match=r"^phase=8"):
        ns.polyphase_plan([0], [3], 8, group_size=1, phase=8)
    k = ns.wavelet_kernels([200.0], sr=8000, alpha=ns.relative_bandwidth(12))
    assert k.sizes.tolist() == [len(np.arange(-k.lengths[0] // 2, k.lengths[0] // 2))]


def test_trainable_kernels_at_init_match_the_definition(backend, dtype, make_signal):
    """Trainable modules use the direct polyphase GEMM; frozen float32 ones the low-rank path."""
    kw = V2_CASES["100Hz-36bins-hop64-reflect"]
    x = make_signal(2, SR).astype(dtype)
    frozen = backend.build("CQT1992v2", **kw, dtype=dtype)
    trained = backend.build("CQT1992v2", **kw, trainable=True, dtype=dtype)
    a = as_complex(backend.run(trained, x, output_format="Complex"))
    b = as_complex(backend.run(frozen, x, output_format="Complex"))
    expected = _expected(frozen, x)
    assert_close(a, expected, "cqt", dtype, "trainable (direct path)")
    assert_close(b, expected, "cqt", dtype, "frozen")


def _set_state(backend, m, name: str, value: np.ndarray) -> None:
    if backend is TORCH:
        m.load_state_dict({**m.state_dict(), name: torch.from_numpy(value)})
    else:
        getattr(m, name).set_value(JAX.asarray(value))


def test_frozen_kernels_changed_after_construction_are_the_ones_evaluated(backend, make_signal):
    """Eagerly, other values loaded into a frozen module are detected and evaluated exactly."""
    kw = V2_CASES["100Hz-36bins-hop64-reflect"]
    m = backend.build("CQT1992v2", **kw, dtype="float32")
    x = make_signal(SR).astype(np.float32)
    k = m.config.kernels()
    rng = np.random.default_rng(5)
    real = (k.packed_real * (1 + 0.3 * rng.standard_normal(k.packed_real.shape))).astype(np.float32)
    _set_state(backend, m, "cqt_kernels_real", real)
    out = as_complex(backend.to_numpy(backend.call_eager(m, backend.asarray(x), output_format="Complex")))
    changed = ns.CQTKernels(
        kernels=tuple(
            real[s : s + n].astype(np.float64) + 1j * k.packed_imag[s : s + n]
            for s, n in zip(k.starts, k.sizes, strict=True)
        ),
        offsets=k.offsets,
        lengths=k.lengths,
        freqs=k.freqs,
    )
    cfg = m.config
    expected = direct_cqt(x, changed, hop_length=cfg.hop_length, width=cfg.width, center=True, pad_mode=cfg.pad_mode)
    assert_close(out, expected * np.sqrt(k.lengths)[:, None], "cqt", "float32")


@pytest.mark.parametrize("cls", ["CQT1992v2", "CQT1992"])
def test_signatures_and_documented_parameters_agree_across_backends(cls):
    from test_api import _display_names, _spec, documented_parameters

    t, j = getattr(nnaudio_torch, cls), getattr(nnaudio_jax, cls)
    assert _spec(t) == _spec(j)
    assert _spec(t.forward) == _spec(j.__call__)
    assert documented_parameters(t) == _display_names(t)
    assert documented_parameters(j) == documented_parameters(t)
    assert documented_parameters(t.forward) == _display_names(t.forward)
    assert documented_parameters(j.__call__) == documented_parameters(t.forward)
    params = inspect.signature(t.__init__).parameters
    assert [p.kind for p in params.values()][1:3] == [
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    ]
