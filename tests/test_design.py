"""The NumPy design layer (``nnaudio_shared``) against librosa, scipy, numpy.fft and nnAudio2."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import librosa
import nnaudio_shared as ns
import numpy as np
import pytest
import scipy.fft
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from references import librosa_mel_norm, librosa_stft
from tolerances import assert_close

MEL_CASES = [
    dict(sr=16000, n_fft=512, n_mels=64, fmin=0.0, fmax=None, htk=False, norm=1),
    dict(sr=16000, n_fft=512, n_mels=64, fmin=0.0, fmax=None, htk=False, norm="slaney"),
    dict(sr=22050, n_fft=2048, n_mels=128, fmin=30.0, fmax=8000.0, htk=True, norm=None),
    dict(sr=8000, n_fft=400, n_mels=40, fmin=100.0, fmax=3800.0, htk=False, norm=np.inf),
    dict(sr=44100, n_fft=1023, n_mels=80, fmin=20.0, fmax=20000.0, htk=True, norm=1),
]


@pytest.mark.parametrize("kw", MEL_CASES, ids=lambda kw: f"{kw['sr']}-{kw['n_fft']}-htk{kw['htk']}-{kw['norm']}")
def test_mel_filterbank_matches_librosa(kw):
    ours = ns.mel_filterbank(**kw)
    ref = librosa.filters.mel(**{**kw, "norm": librosa_mel_norm(kw["norm"])}, dtype=np.float64)
    assert ours.dtype == np.float64
    assert not ours.flags.writeable
    assert_close(ours, ref, "design", "float64")


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    sr=st.sampled_from([8000, 16000, 22050, 44100]),
    n_fft=st.integers(16, 1024),
    n_mels=st.integers(1, 96),
    fmin_frac=st.floats(0.0, 0.3),
    fmax_frac=st.floats(0.4, 1.0),
    htk=st.booleans(),
    norm=st.sampled_from([1, "slaney", None, np.inf]),
)
def test_mel_filterbank_property_matches_librosa_and_its_warnings(sr, n_fft, n_mels, fmin_frac, fmax_frac, htk, norm):
    """Same weights as librosa for any configuration, and an empty-filter warning exactly when librosa warns."""
    kw = dict(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin_frac * sr / 2, fmax=fmax_frac * sr / 2, htk=htk)
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        ours = ns.mel_filterbank(**kw, norm=norm)
    with warnings.catch_warnings(record=True) as ref_w:
        warnings.simplefilter("always")
        ref = librosa.filters.mel(**kw, norm=librosa_mel_norm(norm), dtype=np.float64)
    assert_close(ours, ref, "design", "float64")
    ours_empty = any("mpty filters" in str(w.message) for w in ours_w)
    ref_empty = any("mpty filters" in str(w.message) for w in ref_w)
    assert ours_empty == ref_empty
    assert all(issubclass(w.category, UserWarning) for w in ours_w)


def test_mel_filterbank_warns_on_empty_filters():
    with pytest.warns(UserWarning, match="Empty filters"):
        ns.mel_filterbank(sr=16000, n_fft=64, n_mels=128)


@pytest.mark.parametrize("htk", [False, True])
def test_mel_scale_conversions_match_librosa(htk):
    f = np.array([0.0, 20.0, 440.0, 999.9, 1000.0, 1000.1, 8000.0, 22050.0])
    assert_close(ns.hz_to_mel(f, htk=htk), librosa.hz_to_mel(f, htk=htk), "design", "float64")
    m = librosa.hz_to_mel(f, htk=htk)
    assert_close(ns.mel_to_hz(m, htk=htk), librosa.mel_to_hz(m, htk=htk), "design", "float64")
    assert_close(
        ns.mel_frequencies(40, fmin=30.0, fmax=7000.0, htk=htk),
        librosa.mel_frequencies(40, fmin=30.0, fmax=7000.0, htk=htk),
        "design",
        "float64",
    )


def test_fft_frequencies_match_librosa():
    for sr, n_fft in [(16000, 512), (22050, 511)]:
        assert_close(
            ns.fft_frequencies(sr=sr, n_fft=n_fft), librosa.fft_frequencies(sr=sr, n_fft=n_fft), "design", "float64"
        )


@pytest.mark.parametrize("norm", ["ortho", None])
@pytest.mark.parametrize(("n_mfcc", "n_mels"), [(13, 40), (20, 20), (1, 7)])
def test_dct_matrix_matches_scipy(norm, n_mfcc, n_mels):
    D = ns.dct_matrix(n_mfcc=n_mfcc, n_mels=n_mels, norm=norm)
    assert D.shape == (n_mfcc, n_mels)
    assert not D.flags.writeable
    ref = scipy.fft.dct(np.eye(n_mels), type=2, norm=norm, axis=0)[:n_mfcc]
    assert_close(D, ref, "design", "float64")


def test_ortho_dct_rows_are_orthonormal():
    D = ns.dct_matrix(n_mfcc=32, n_mels=32, norm="ortho")
    assert_close(D @ D.T, np.eye(32), "design", "float64")


WINDOWS = ["hann", "hamming", "blackman", ("kaiser", 4.0), ("gaussian", 50.0), ("tukey", 0.25), "boxcar"]


@pytest.mark.parametrize("fftbins", [True, False])
@pytest.mark.parametrize("window", WINDOWS, ids=str)
@pytest.mark.parametrize("n", [400, 511])
def test_get_window_matches_scipy(window, n, fftbins):
    w = ns.get_window(window, n, fftbins=fftbins)
    assert w.dtype == np.float64 and w.shape == (n,)
    assert not w.flags.writeable
    assert_close(w, scipy.signal.get_window(window, n, fftbins=fftbins), "design", "float64")


def test_get_window_accepts_an_explicit_array_and_copies_it():
    src = np.linspace(0.0, 1.0, 64)
    w = ns.get_window(src, 64)
    np.testing.assert_array_equal(w, src)
    src[0] = 5.0
    assert w[0] == 0.0


@pytest.mark.parametrize(
    ("window", "match"),
    [
        ("nope", "window='nope'"),
        (np.ones(63), "win_length=64"),
        (np.ones((8, 8)), "1-D"),
        (np.full(64, np.nan), "NaN"),
        (np.hanning, "window=<function han.*invalid .function.: pass a scipy window name"),
    ],
)
def test_get_window_rejects_bad_windows(window, match):
    with pytest.raises(ns.ParameterError, match=match):
        ns.get_window(window, 64)


@pytest.mark.parametrize(("n", "size"), [(300, 400), (301, 400), (400, 400), (5, 16)])
def test_pad_center_matches_librosa(n, size):
    data = np.arange(1.0, n + 1.0)
    np.testing.assert_array_equal(ns.pad_center(data, size=size), librosa.util.pad_center(data, size=size))


def test_pad_center_rejects_shrinking():
    with pytest.raises(ns.ParameterError, match="size=3"):
        ns.pad_center(np.ones(4), size=3)


@pytest.mark.parametrize("top_db", [80.0, 20.0, None])
@pytest.mark.parametrize(("ref", "amin"), [(1.0, 1e-10), (0.5, 1e-5)])
def test_power_to_db_matches_librosa_on_one_spectrogram(rng, ref, amin, top_db):
    S = rng.random((20, 30)) ** 8  # values spanning many decades, some below amin
    S[0, 0] = 0.0
    ours = ns.power_to_db(S, ref=ref, amin=amin, top_db=top_db)
    assert_close(ours, librosa.power_to_db(S, ref=ref, amin=amin, top_db=top_db), "db", "float64")


def test_power_to_db_clips_each_example_against_its_own_peak(rng):
    """librosa clips a batch against the batch maximum; we clip each spectrogram on its own."""
    S = rng.random((2, 3, 16, 20)) + 1e-3
    S[0] *= 1e-6  # a quiet clip next to a loud one
    ours = ns.power_to_db(S, top_db=40.0)
    for idx in np.ndindex(S.shape[:2]):
        assert_close(ours[idx], librosa.power_to_db(S[idx], top_db=40.0), "db", "float64", f"example {idx}")
    whole = librosa.power_to_db(S, top_db=40.0)
    assert np.abs(ours - whole).max() > 10.0  # the two semantics really differ on this batch


@pytest.mark.parametrize(
    ("n_fft", "win_length", "window"), [(512, 512, "hann"), (400, 300, ("kaiser", 4.0)), (511, 400, "hamming")]
)
def test_uniform_fourier_kernels_match_numpy_fft(rng, n_fft, win_length, window):
    k = ns.fourier_kernels(n_fft=n_fft, win_length=win_length, freq_bins=n_fft // 2 + 1, window=window)
    frames = rng.standard_normal((7, n_fft))
    ours = frames @ k.wcos.T - 1j * (frames @ k.wsin.T)
    win = ns.pad_center(scipy.signal.get_window(window, win_length), size=n_fft)
    assert_close(ours, np.fft.rfft(frames * win, axis=-1), "design", "float64")
    assert_close(k.freqs, np.fft.rfftfreq(n_fft, d=1 / 22050), "design", "float64")


@pytest.mark.parametrize("freq_scale", ["no", "linear", "log", "log2"])
@pytest.mark.parametrize(("win_length", "window"), [(48, "hann"), (64, ("kaiser", 4.0)), (63, "hann")])
def test_fourier_kernels_match_nnaudio2(freq_scale, win_length, window):
    from nnAudio2.utils import create_fourier_kernels

    kw = dict(
        win_length=win_length, freq_bins=20, fmin=100.0, fmax=4000.0, sr=8000, freq_scale=freq_scale, window=window
    )
    wsin, wcos, freqs, bins, win = create_fourier_kernels(64, **kw, verbose=False)
    ours = ns.fourier_kernels(n_fft=64, **kw)
    assert_close(ours.wcos, wcos[:, 0, :] * win, "nnaudio2", "float64", "wcos")
    assert_close(ours.wsin, wsin[:, 0, :] * win, "nnaudio2", "float64", "wsin")
    assert_close(ours.freqs, np.asarray(freqs), "nnaudio2", "float64", "freqs")
    assert_close(ours.bins, np.asarray(bins), "nnaudio2", "float64", "bins")


@pytest.mark.parametrize("n_fft", [16, 17, 512])
def test_istft_kernels_match_numpy_irfft(rng, n_fft):
    kcos, ksin = ns.istft_kernels(n_fft=n_fft)
    X = rng.standard_normal((5, n_fft // 2 + 1)) + 1j * rng.standard_normal((5, n_fft // 2 + 1))
    assert_close(X.real @ kcos + X.imag @ ksin, np.fft.irfft(X, n=n_fft, axis=-1), "design", "float64")


@pytest.mark.parametrize(
    ("length", "n_fft", "hop", "center"),
    [
        (8000, 512, 128, True),
        (8001, 400, 75, True),
        (300, 256, 96, False),
        (256, 256, 1, False),
        (5, 4, 2, True),
    ],
)
def test_n_frames_matches_librosa(length, n_fft, hop, center):
    x = np.ones(length)
    expected = librosa_stft(x, n_fft=n_fft, hop_length=hop, center=center, pad_mode="constant").shape[-1]
    assert ns.n_frames(length, n_fft=n_fft, hop_length=hop, center=center) == expected


def test_configs_resolve_defaults_and_are_json_ready():
    cfg = ns.STFTConfig(n_fft=400, win_length=300, window=("kaiser", 4.0))
    assert (cfg.win_length, cfg.hop_length, cfg.freq_bins) == (300, 75, 201)
    assert ns.STFTConfig(n_fft=512).hop_length == 128
    d = json.loads(json.dumps(cfg.to_dict()))
    assert ns.STFTConfig(**d).to_dict() == cfg.to_dict()
    mel = ns.MelSpectrogramConfig(sr=8000, n_fft=512, n_mels=40, norm=np.inf)
    json.dumps(mel.to_dict())
    json.dumps(ns.MFCCConfig(sr=8000, n_mfcc=13, mel_kwargs=dict(n_fft=512, n_mels=40)).to_dict())
    with pytest.raises(AttributeError):
        cfg.n_fft = 1024  # type: ignore[misc]


def test_parameter_error_is_a_value_error():
    assert issubclass(ns.ParameterError, ValueError)


def test_importing_nnaudio_shared_loads_no_deep_learning_framework():
    code = (
        "import sys, nnaudio_shared\n"
        "nnaudio_shared.MFCCConfig(sr=16000, mel_kwargs=dict(n_fft=512, n_mels=40)).dct()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'jax', 'jaxlib', 'flax', 'optax'})\n"
        "print(repr(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert proc.stdout.strip() == "[]", proc.stdout
    assert proc.stderr == ""
