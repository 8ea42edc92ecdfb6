"""Float64 references built from librosa, scipy and the textbook definitions (never from our code).

Every function takes the package's argument names, translates them to librosa's (explicit
``pad_mode``, float64 filterbanks, nnAudio2's mel ``norm`` meanings) and returns float64 or
complex128 NumPy arrays.
"""

from __future__ import annotations

import math
from typing import Any

import librosa
import numpy as np
import scipy.signal


def librosa_mel_norm(norm: Any) -> Any:
    """nnAudio2's mel ``norm`` (librosa 0.7 meanings) in modern librosa spelling."""
    if norm is None or (isinstance(norm, float) and math.isinf(norm)):
        return None
    assert norm in (1, "slaney"), norm
    return "slaney"


def librosa_stft(
    x: np.ndarray,
    *,
    n_fft: int,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: str = "reflect",
    freq_bins: int | None = None,
    **_: Any,
) -> np.ndarray:
    """``librosa.stft`` at complex128 (``freq_bins`` keeps the first rows)."""
    X = librosa.stft(
        np.asarray(x, dtype=np.float64),
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
        dtype=np.complex128,
    )
    return X if freq_bins is None else X[..., :freq_bins, :]


def librosa_mel(
    x: np.ndarray,
    *,
    sr: float,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: str = "reflect",
    power: float = 2.0,
    n_mels: int = 128,
    htk: bool = False,
    fmin: float = 0.0,
    fmax: float | None = None,
    norm: Any = 1,
) -> np.ndarray:
    """``librosa.feature.melspectrogram`` with a float64 filterbank."""
    return librosa.feature.melspectrogram(
        y=np.asarray(x, dtype=np.float64),
        sr=sr,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
        power=power,
        n_mels=n_mels,
        htk=htk,
        fmin=fmin,
        fmax=fmax,
        norm=librosa_mel_norm(norm),
        dtype=np.float64,
    )


def librosa_mfcc(
    x: np.ndarray,
    *,
    sr: float,
    n_mfcc: int = 20,
    norm: str | None = "ortho",
    ref: float = 1.0,
    amin: float = 1e-10,
    top_db: float | None = 80.0,
    **mel_kw: Any,
) -> np.ndarray:
    """MFCCs of ONE clip (librosa's ``top_db`` uses the maximum of the whole array it is given).

    With librosa's default dB settings this is one ``librosa.feature.mfcc(y=...)`` call;
    otherwise ``librosa.power_to_db`` then ``librosa.feature.mfcc(S=...)``.
    """
    x = np.asarray(x, dtype=np.float64)
    if (ref, amin, top_db) == (1.0, 1e-10, 80.0):
        mel_kw = dict(mel_kw)
        mel_kw.setdefault("pad_mode", "reflect")
        return librosa.feature.mfcc(y=x, sr=sr, n_mfcc=n_mfcc, dct_type=2, norm=norm, dtype=np.float64, **mel_kw)
    S = librosa.power_to_db(librosa_mel(x, sr=sr, **mel_kw), ref=ref, amin=amin, top_db=top_db)
    return librosa.feature.mfcc(S=S, n_mfcc=n_mfcc, dct_type=2, norm=norm)


def window_array(window: Any, win_length: int, n_fft: int) -> np.ndarray:
    """``scipy.signal.get_window`` (periodic), zero-padded to ``n_fft`` with librosa's centring."""
    w = scipy.signal.get_window(window, win_length, fftbins=True)
    lpad = (n_fft - win_length) // 2
    return np.pad(w, (lpad, n_fft - win_length - lpad))


def direct_stft(
    x: np.ndarray,
    *,
    n_fft: int,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Any = "hann",
    freq_bins: int | None = None,
    freq_scale: str = "no",
    fmin: float = 50.0,
    fmax: float = 6000.0,
    sr: float = 22050.0,
    center: bool = True,
    pad_mode: str = "reflect",
    **_: Any,
) -> np.ndarray:
    """The STFT summed from its definition, ``sum_n w[n] x[t hop + n] exp(-2j pi f_k n / sr)``.

    Frequencies ``f_k`` (``k = 0 .. freq_bins - 1``), nnAudio2's definitions: ``'no'``: ``k sr / n_fft``;
    ``'linear'``: ``fmin + k (fmax - fmin) / freq_bins``; ``'log'``/``'log2'``:
    ``fmin (fmax / fmin) ** (k / freq_bins)``.
    """
    win_length = n_fft if win_length is None else win_length
    hop_length = win_length // 4 if hop_length is None else hop_length
    freq_bins = n_fft // 2 + 1 if freq_bins is None else freq_bins
    w = window_array(window, win_length, n_fft)
    x = np.asarray(x, dtype=np.float64)
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)], mode=pad_mode)
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft, axis=-1)[..., ::hop_length, :]
    k = np.arange(freq_bins, dtype=np.float64)
    if freq_scale == "no":
        f = k * sr / n_fft
    elif freq_scale == "linear":
        f = fmin + k * (fmax - fmin) / freq_bins
    else:
        assert freq_scale in ("log", "log2"), freq_scale
        f = fmin * (fmax / fmin) ** (k / freq_bins)
    kernel = np.exp(-2j * np.pi * np.outer(f, np.arange(n_fft)) / sr) * w
    return np.einsum("...tn,fn->...ft", frames, kernel)


def interior_frames(n_frames: int, *, n_fft: int, hop_length: int, length: int, center: bool) -> np.ndarray:
    """Boolean mask of the frames that lie wholly inside the unpadded signal."""
    start = np.arange(n_frames) * hop_length - (n_fft // 2 if center else 0)
    return (start >= 0) & (start + n_fft <= length)


def two_sided(X: np.ndarray, n_fft: int) -> np.ndarray:
    """Full ``n_fft``-bin spectrum ``(..., n_fft, T)`` from a one-sided ``(..., n_fft // 2 + 1, T)`` one."""
    n_neg = n_fft - X.shape[-2]
    return np.concatenate([X, np.conj(X[..., 1 : n_neg + 1, :][..., ::-1, :])], axis=-2)


def as_complex(out: np.ndarray) -> np.ndarray:
    """``(..., F, T, 2)`` (real, imag) -> complex ``(..., F, T)``."""
    out = np.asarray(out, dtype=np.float64)
    assert out.shape[-1] == 2, out.shape
    return out[..., 0] + 1j * out[..., 1]


def as_pairs(X: np.ndarray, dtype: str) -> np.ndarray:
    """Complex ``(..., F, T)`` -> ``(..., F, T, 2)`` (real, imag) in ``dtype``."""
    return np.stack([X.real, X.imag], axis=-1).astype(dtype)


def direct_cqt(
    x: np.ndarray, kernels: Any, *, hop_length: int, width: int, center: bool = True, pad_mode: str = "reflect"
) -> np.ndarray:
    """Float64 constant-Q transform by definition, frame by frame.

    ``X[..., k, t] = sum_j frame_t[width // 2 + offsets[k] + j] * conj(kernel_k[j])`` with
    ``frame_t = x_padded[t * hop : t * hop + width]``, ``x`` padded by ``width // 2`` on both sides
    with ``np.pad(mode=pad_mode)`` when ``center`` (repeated reflection for short clips).
    ``kernels`` is a :class:`nnaudio_shared.CQTKernels` (float64 design, no scaling applied).
    """
    x = np.asarray(x, dtype=np.float64)
    if center:
        p = width // 2
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(p, p)], mode=pad_mode)
    n_frames = 1 + (x.shape[-1] - width) // hop_length
    dense = np.conj(kernels.dense(width))  # (n_bins, width)
    out = np.empty((*x.shape[:-1], dense.shape[0], n_frames), dtype=np.complex128)
    for t in range(n_frames):
        out[..., t] = x[..., t * hop_length : t * hop_length + width] @ dense.T
    return out


def librosa_wavelet_cqt(
    x: np.ndarray,
    *,
    sr: float,
    fmin: float,
    n_bins: int,
    hop_length: int,
    bins_per_octave: int = 12,
    window: Any = "hann",
    filter_scale: float = 1.0,
    norm: Any = 1,
    gamma: float | None = 0.0,
    center: bool = True,
    pad_mode: str = "constant",
    scale: bool = True,
) -> np.ndarray:
    """The float64 definition ``librosa.cqt`` approximates: the convolution with ``librosa.filters.wavelet``.

    ``librosa.cqt`` multiplies the DFT of each filter (centre-padded to the ``pad_fft`` frame of
    ``N`` samples) with the STFT (``window='ones'``) of the frame, i.e. ``(1 / N) sum_f H[f] D[f]``
    over the non-negative frequencies; over all ``N`` frequencies that sum is the circular
    convolution in the frame, ``X[k, t] = sum_n frame_t[n] h_k[(-n) mod N]``, computed here directly
    at every bin and full rate, times ``sqrt(lengths)`` when ``scale`` (``librosa.cqt``'s default).
    Frames as ``librosa.stft``: centred on ``t * hop_length``, padded by ``N // 2`` with ``pad_mode``.
    """
    freqs = librosa.cqt_frequencies(n_bins, fmin=fmin, bins_per_octave=bins_per_octave)
    alpha = None if n_bins > 1 else (2 ** (2 / bins_per_octave) - 1) / (2 ** (2 / bins_per_octave) + 1)
    basis, lengths = librosa.filters.wavelet(
        freqs=freqs,
        sr=sr,
        window=window,
        filter_scale=filter_scale,
        norm=norm,
        gamma=gamma,
        alpha=alpha,
        pad_fft=True,
        dtype=np.complex128,
    )
    n = basis.shape[1]
    reversed_basis = basis[:, (-np.arange(n)) % n]
    x = np.asarray(x, dtype=np.float64)
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n // 2, n // 2)], mode=pad_mode)
    frames = np.lib.stride_tricks.sliding_window_view(x, n, axis=-1)[..., ::hop_length, :]
    out = np.einsum("...tn,kn->...kt", frames, reversed_basis)
    return out * np.sqrt(lengths)[:, None] if scale else out


def librosa_cqt_dropped_negative_frequencies(
    x: np.ndarray,
    *,
    sr: float,
    fmin: float,
    n_bins: int,
    hop_length: int,
    bins_per_octave: int = 12,
    window: Any = "hann",
    pad_mode: str = "constant",
) -> np.ndarray:
    """What ``librosa.cqt`` leaves out of its top octave: the negative frequencies of its filters.

    In the top octave (computed at the full rate when no early downsampling applies, e.g. a
    ``hop_length`` with few factors of two) ``librosa.cqt`` is
    ``sqrt(L) / N sum_{f = 0}^{N/2} H[f] D[f]`` with ``H`` the DFT of the octave's filters
    (``librosa.filters.wavelet``, ``pad_fft`` frame of ``N`` samples) and ``D`` the STFT
    (``window='ones'``); the terms ``f = N/2 + 1 .. N - 1`` returned here complete it to the
    convolution (:func:`librosa_wavelet_cqt`). Shape ``(bins_per_octave, frames)``.
    """
    freqs = librosa.cqt_frequencies(n_bins, fmin=fmin, bins_per_octave=bins_per_octave)
    alpha = librosa.filters._relative_bandwidth(freqs=freqs)[-bins_per_octave:]  # librosa.vqt's
    basis, lengths = librosa.filters.wavelet(
        freqs=freqs[-bins_per_octave:], sr=sr, window=window, alpha=alpha, pad_fft=True, dtype=np.complex128
    )
    n = basis.shape[1]
    H = np.fft.fft(basis, axis=1)
    D = librosa.stft(
        np.asarray(x, dtype=np.float64),
        n_fft=n,
        hop_length=hop_length,
        window="ones",
        pad_mode=pad_mode,
        dtype=np.complex128,
    )
    f = np.arange(1, n // 2)
    return np.sqrt(lengths)[:, None] / n * (H[:, n - f] @ np.conj(D[..., f, :]))
