"""Every bad input and every bad argument raises :class:`ParameterError` (a ``ValueError``) whose
message names the problem, identically in both backends."""

from __future__ import annotations

import jax.numpy as jnp
import nnaudio_shared
import numpy as np
import pytest
from backends import BACKENDS, JAX, TORCH
from cases import MEL, STFT

import nnaudio_jax
import nnaudio_torch

ParameterError = nnaudio_shared.ParameterError


def test_parameter_error_is_shared_and_a_value_error():
    assert nnaudio_torch.ParameterError is nnaudio_jax.ParameterError is ParameterError
    assert issubclass(ParameterError, ValueError)


# ---------------------------------------------------------------------------------------------
# bad signals
# ---------------------------------------------------------------------------------------------
SIGNAL_MODULES = {
    "STFT": ("STFT", dict(n_fft=512, hop_length=128)),
    "MelSpectrogram": ("MelSpectrogram", dict(sr=8000, n_fft=512, hop_length=128, n_mels=40)),
    "MFCC": ("MFCC", dict(sr=8000, n_fft=512, hop_length=128, n_mels=40, n_mfcc=13)),
}


def _with(value: float) -> np.ndarray:
    x = np.zeros(2000, dtype=np.float32)
    x[700] = value
    return x


BAD_SIGNALS = {
    "int16": (lambda: np.full(2000, 100, dtype=np.int16), {}, r"int16.*floating point"),
    "int32": (lambda: np.full(2000, 100, dtype=np.int32), {}, r"int32.*floating point"),
    "bool": (lambda: np.ones(2000, dtype=bool), {}, r"bool.*floating point"),
    "complex": (lambda: np.ones(2000, dtype=np.complex64), {}, r"complex64.*floating point"),
    "nan": (lambda: _with(np.nan), {}, r"NaN or Inf"),
    "inf": (lambda: _with(-np.inf), {}, r"NaN or Inf"),
    "empty": (lambda: np.zeros(0, dtype=np.float32), {}, r"empty"),
    "empty-batch": (lambda: np.zeros((3, 0), dtype=np.float32), {}, r"empty"),
    "too-short-for-reflect": (lambda: np.zeros(256, dtype=np.float32), {}, r"256 samples.*pad_mode='reflect'"),
    "too-short-nocenter": (
        lambda: np.zeros(511, dtype=np.float32),
        {"center": False},
        r"511 samples.*n_fft=512.*center=False",
    ),
    "0-d": (lambda: np.array(1.0, dtype=np.float32), {}, r"0-d"),
}


@pytest.mark.parametrize("module", SIGNAL_MODULES)
@pytest.mark.parametrize("bad", BAD_SIGNALS)
def test_bad_signals_raise_a_clear_parameter_error(backend, module, bad):
    make, extra, match = BAD_SIGNALS[bad]
    cls, kw = SIGNAL_MODULES[module]
    m = backend.build(cls, **kw, **extra)
    x = make()
    for inp in (x, backend.asarray(x)):  # NumPy and native arrays alike
        with pytest.raises(ParameterError, match=match):
            backend.call_eager(m, inp)


def test_short_signals_are_fine_with_constant_padding(backend):
    m = backend.build("STFT", n_fft=512, hop_length=128, pad_mode="constant", output_format="Magnitude")
    assert backend.run(m, np.ones(10, dtype=np.float32)).shape == (257, 1)
    m = backend.build("STFT", n_fft=512, hop_length=128, output_format="Magnitude")
    assert backend.run(m, np.ones(257, dtype=np.float32)).shape == (257, 3)  # > n_fft // 2 suffices


def test_non_arrays_are_rejected(backend):
    m = backend.build("STFT", **STFT)
    with pytest.raises(ParameterError, match="list"):
        backend.call_eager(m, [0.0] * 1000)


def test_under_jax_jit_value_checks_are_skipped_but_shape_and_dtype_checks_raise():
    """Documents the jit contract: values are not visible to a trace, so NaN/Inf pass (and
    propagate); everything known from shapes and dtypes is still checked."""
    m = JAX.build("MelSpectrogram", sr=8000, n_fft=512, hop_length=128, n_mels=40)
    with pytest.raises(ParameterError, match="NaN or Inf"):
        JAX.call_eager(m, jnp.asarray(_with(np.nan)))
    out = JAX.run(m, _with(np.nan))  # jitted: no error
    assert np.isnan(out).any()
    for bad in ("int16", "bool", "complex", "empty", "too-short-for-reflect", "0-d"):
        make, _, match = BAD_SIGNALS[bad]
        with pytest.raises(ParameterError, match=match):
            JAX.run(m, make())
    inv = JAX.build("iSTFT", **STFT)
    with pytest.raises(ParameterError, match="frequency bins"):
        JAX.run(inv, np.zeros((100, 10, 2), np.float32))


BAD_SPECTRA = {
    "wrong-bins": (lambda: np.zeros((100, 10, 2), np.float32), {}, r"100 frequency bins.*129"),
    "two-sided-expected": (lambda: np.zeros((129, 10, 2), np.float32), {"onesided": False}, r"129 frequency bins.*256"),
    "magnitude-only": (lambda: np.zeros((129, 10), np.float32), {}, r"\(\.\.\., freq, frames, 2\)"),
    "last-axis-3": (lambda: np.zeros((129, 10, 3), np.float32), {}, r"\(\.\.\., freq, frames, 2\)"),
    "int": (lambda: np.zeros((129, 10, 2), np.int32), {}, r"int32"),
    "nan": (lambda: np.full((129, 10, 2), np.nan, np.float32), {}, r"NaN or Inf"),
    "no-frames": (lambda: np.zeros((129, 0, 2), np.float32), {}, r"no frames"),
    "bad-length": (lambda: np.zeros((129, 10, 2), np.float32), {"length": 0}, r"length=0"),
    "bad-onesided": (lambda: np.zeros((129, 10, 2), np.float32), {"onesided": "yes"}, r"onesided='yes'"),
}


@pytest.mark.parametrize("via", ["iSTFT", "STFT.inverse"])
@pytest.mark.parametrize("bad", BAD_SPECTRA)
def test_bad_spectrograms_raise_a_clear_parameter_error(backend, bad, via):
    make, call, match = BAD_SPECTRA[bad]
    if via == "iSTFT":
        m, method = backend.build("iSTFT", **STFT), "__call__"
    else:
        m, method = backend.build("STFT", **STFT, iSTFT=True), "inverse"
    with pytest.raises(ParameterError, match=match):
        backend.call_eager(m, backend.asarray(make()), method, **call)


def test_inverse_needs_istft_true(backend):
    m = backend.build("STFT", **STFT)
    with pytest.raises(ParameterError, match="iSTFT=True"):
        backend.call_eager(m, backend.asarray(np.zeros((129, 10, 2), np.float32)), "inverse")


def test_bad_output_format_at_call_time(backend):
    m = backend.build("STFT", **STFT)
    with pytest.raises(ParameterError, match="output_format='x'"):
        backend.call_eager(m, backend.asarray(np.zeros(1000, np.float32)), output_format="x")


# ---------------------------------------------------------------------------------------------
# bad constructor arguments
# ---------------------------------------------------------------------------------------------
BAD_ARGS = [
    # (class, keywords, message pattern)
    ("STFT", dict(n_fft=0), r"n_fft=0 is invalid"),
    ("STFT", dict(n_fft=512.0), r"n_fft=512.0 is invalid: expected an integer"),
    ("STFT", dict(n_fft=512, hop_length=0), r"hop_length=0 is invalid"),
    ("STFT", dict(n_fft=512, win_length=600), r"win_length=600 is invalid: must be <= n_fft=512"),
    ("STFT", dict(n_fft=512, window="nope"), r"window='nope' is invalid"),
    ("STFT", dict(n_fft=512, window=np.ones(100)), r"win_length=512"),
    ("STFT", dict(n_fft=512, freq_scale="x"), r"freq_scale='x' is invalid"),
    ("STFT", dict(n_fft=512, pad_mode="edge"), r"pad_mode='edge' is invalid"),
    ("STFT", dict(n_fft=512, output_format="x"), r"output_format='x' is invalid"),
    ("STFT", dict(n_fft=512, freq_scale="log", fmin=50.0, fmax=9000.0, sr=16000), r"fmax=9000.0 is invalid.*Nyquist"),
    ("STFT", dict(n_fft=512, freq_scale="log", fmin=0.0, fmax=4000.0, sr=16000), r"fmin=0.0 is invalid"),
    ("STFT", dict(n_fft=512, freq_bins=300), r"freq_bins=300 is invalid"),
    ("STFT", dict(n_fft=512, trainable="yes"), r"trainable='yes' is invalid"),
    ("STFT", dict(n_fft=512, center=1), r"center=1 is invalid"),
    ("STFT", dict(n_fft=512, verbose="no"), r"verbose='no' is invalid"),
    ("STFT", dict(n_fft=512, sr=0), r"sr=0"),
    ("STFT", dict(n_fft=512, hop_length=600, iSTFT=True), r"hop_length=600 is invalid.*NOLA"),
    ("STFT", dict(n_fft=512, freq_scale="log", iSTFT=True, fmax=4000.0, sr=16000), r"iSTFT=True with freq_scale"),
    ("iSTFT", dict(n_fft=0), r"n_fft=0 is invalid"),
    ("iSTFT", dict(n_fft=512, hop_length=0), r"hop_length=0 is invalid"),
    ("iSTFT", dict(n_fft=512, win_length=600), r"win_length=600 is invalid"),
    ("iSTFT", dict(n_fft=512, window="nope"), r"window='nope' is invalid"),
    ("iSTFT", dict(n_fft=512, freq_scale="log"), r"freq_scale='log' is invalid for iSTFT"),
    ("iSTFT", dict(n_fft=512, freq_scale="x"), r"freq_scale='x' is invalid"),
    ("iSTFT", dict(n_fft=512, hop_length=600), r"hop_length=600 is invalid.*NOLA"),
    ("iSTFT", dict(n_fft=512, freq_bins=100), r"freq_bins=100 is invalid"),
    ("iSTFT", dict(n_fft=512, trainable_kernels="yes"), r"trainable_kernels='yes' is invalid"),
    ("iSTFT", dict(n_fft=512, trainable_window=1), r"trainable_window=1 is invalid"),
    ("iSTFT", dict(n_fft=512, refresh_win=None), r"refresh_win=None is invalid"),
    ("MelSpectrogram", dict(n_fft=0), r"n_fft=0 is invalid"),
    ("MelSpectrogram", dict(hop_length=0), r"hop_length=0 is invalid"),
    ("MelSpectrogram", dict(n_fft=512, win_length=600), r"win_length=600 is invalid"),
    ("MelSpectrogram", dict(window="nope"), r"window='nope' is invalid"),
    ("MelSpectrogram", dict(pad_mode="edge"), r"pad_mode='edge' is invalid"),
    ("MelSpectrogram", dict(sr=16000, fmax=9000.0), r"fmax=9000.0 is invalid.*Nyquist"),
    ("MelSpectrogram", dict(fmin=5000.0, fmax=4000.0), r"fmin=5000.0 is invalid"),
    ("MelSpectrogram", dict(norm=2), r"norm=2 is invalid"),
    ("MelSpectrogram", dict(norm="l1"), r"norm='l1' is invalid"),
    ("MelSpectrogram", dict(n_mels=0), r"n_mels=0 is invalid"),
    ("MelSpectrogram", dict(power=0.0), r"power=0.0 is invalid"),
    ("MelSpectrogram", dict(htk="yes"), r"htk='yes' is invalid"),
    ("MelSpectrogram", dict(trainable_mel="yes"), r"trainable_mel='yes' is invalid"),
    ("MelSpectrogram", dict(trainable_STFT=1), r"trainable_STFT=1 is invalid"),
    ("MelSpectrogram", dict(bogus=1), r"unexpected keyword argument.*bogus"),
    ("MFCC", dict(n_mfcc=50, n_mels=40), r"n_mfcc=50 is invalid: must be <= 40"),
    ("MFCC", dict(n_mfcc=0), r"n_mfcc=0 is invalid"),
    ("MFCC", dict(norm="x"), r"norm='x' is invalid"),
    ("MFCC", dict(amin=0), r"amin=0.0 is invalid"),
    ("MFCC", dict(ref=-1.0), r"ref=-1.0 is invalid"),
    ("MFCC", dict(top_db=-1), r"top_db=-1.0 is invalid"),
    ("MFCC", dict(bogus=1), r"unexpected keyword argument.*bogus"),
    ("MFCC", dict(n_fft=0), r"n_fft=0 is invalid"),
    ("MFCC", dict(n_fft=512, hop_length=0), r"hop_length=0 is invalid"),
    ("MFCC", dict(window="nope"), r"window='nope' is invalid"),
    ("MFCC", dict(pad_mode="edge"), r"pad_mode='edge' is invalid"),
    ("MFCC", dict(sr=16000, fmax=9000.0), r"fmax=9000.0 is invalid"),
    ("MFCC", dict(trainable_mel="yes"), r"trainable_mel='yes' is invalid"),
]


@pytest.mark.parametrize(
    ("cls", "kw", "match"),
    [pytest.param(c, k, m, id=f"{c}-{'-'.join(f'{a}={v}' for a, v in k.items())}") for c, k, m in BAD_ARGS],
)
def test_bad_constructor_arguments_raise_the_same_clear_error_in_both_backends(cls, kw, match):
    messages = {}
    for name, backend in BACKENDS.items():
        with pytest.raises(ParameterError, match=match) as info:
            getattr(backend.lib, cls)(**kw)
        messages[name] = str(info.value)
    assert messages["torch"] == messages["jax"]


@pytest.mark.parametrize("cls", ["STFT", "iSTFT"])
def test_unknown_keywords_are_rejected_by_classes_without_kwargs(backend, cls):
    """STFT and iSTFT take no ``**kwargs`` (as in nnAudio2): Python rejects unknown keywords
    with a TypeError that names them."""
    with pytest.raises(TypeError, match="bogus"):
        getattr(backend.lib, cls)(512, bogus=1)


@pytest.mark.parametrize("cls", ["STFT", "iSTFT", "MelSpectrogram", "MFCC"])
def test_options_after_the_first_are_keyword_only(backend, cls):
    with pytest.raises(TypeError):
        getattr(backend.lib, cls)(512, 128)


@pytest.mark.parametrize("bad", ["nope", "int32", "float16"])
@pytest.mark.parametrize("cls", ["STFT", "iSTFT", "MelSpectrogram", "MFCC"])
def test_bad_kernel_dtype_raises(backend, cls, bad):
    kw = {"STFT": STFT, "iSTFT": STFT, "MelSpectrogram": MEL, "MFCC": MEL}[cls]
    with pytest.raises(ParameterError, match=f"dtype={bad!r} is invalid"):
        getattr(backend.lib, cls)(**kw, dtype=bad)


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_kernel_dtype_by_name(backend, name):
    m = backend.lib.STFT(**STFT, dtype=name)
    assert backend.state(m)["window"].dtype == np.dtype(name)


def test_torch_and_jax_reject_the_other_librarys_arrays():
    """Each backend accepts its own arrays and NumPy; the other library's tensors are refused clearly."""
    x = np.zeros(1000, np.float32)
    with pytest.raises(ParameterError, match="must be a torch.Tensor or numpy.ndarray"):
        TORCH.call_eager(TORCH.build("STFT", **STFT), JAX.asarray(x))
    with pytest.raises(ParameterError, match="must be a jax.Array or numpy.ndarray"):
        JAX.call_eager(JAX.build("STFT", **STFT), TORCH.asarray(x))


# ---------------------------------------------------------------------------------------------
# arguments whose range used to bite only at call time, and call-time arguments
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [2**32, 2**40, -1, True, 1.0, np.float64(3.0)])
def test_griffin_lim_random_state_is_checked_at_construction(backend, seed):
    """NumPy's RandomState (librosa's draw) takes seeds in [0, 2**32): 2**32 used to construct,
    save, and fail on the first call with NumPy's error."""
    with pytest.raises(ParameterError, match=r"^random_state="):
        backend.lib.Griffin_Lim(256, hop_length=64, random_state=seed)


def test_griffin_lim_largest_random_state_runs(backend):
    m = backend.lib.Griffin_Lim(256, hop_length=64, n_iter=1, random_state=np.uint32(2**32 - 1))
    assert m.random_state == 2**32 - 1
    assert backend.run(m, np.ones((129, 8), np.float32)).shape == (448,)


@pytest.mark.parametrize("shape", [(3, 129, 8), (2, 1, 129, 8), (129,), (2, 8)])
def test_griffin_lim_init_phase_must_broadcast_to_the_spectrogram(backend, shape):
    """A phase with more leading axes than S used to fail deep inside torch/JAX."""
    m = backend.lib.Griffin_Lim(256, hop_length=64, n_iter=1)
    with pytest.raises(ParameterError, match=r"^init_phase has shape .*must broadcast to S's shape \(129, 8\)"):
        m(np.ones((129, 8), np.float32), init_phase=np.zeros(shape, np.float32))


WINDOWS = {
    "list-name-and-int": (["hann", 3], r"window=\('hann', 3\) is invalid"),
    "list-number-and-str": (
        [1.0, "a"],
        r"window=\[1.0, 'a'\] is invalid: explicit window samples must be real numbers, got 'a' \(str\)",
    ),
    "tuple-str-param": (("kaiser", "a"), r"window parameters must be real numbers, got 'a'"),
    "tuple-bool-param": (("kaiser", True), r"window parameters must be real numbers, got True"),
    "tuple-no-name": ((4.0, "kaiser"), r"a window tuple is \(name, \*parameters\)"),
    "bools": ([True] * 256, r"got True \(bool\)"),
    "complex": ([1 + 1j] * 256, r"got \(1\+1j\) \(complex\)"),
    "complex-array": (np.ones(256, complex), r"got dtype complex128"),
    "str-array": (np.array(["a"] * 256), r"got dtype <U1"),
    "nones": ([None] * 256, r"got None \(NoneType\)"),
    "ragged": ([[1.0], [2.0, 3.0]], r"got \[1.0\] \(list\)"),
    "dict": ({"a": 1}, r"window=\{'a': 1\} is invalid \(dict\)"),
    "callable": (np.hanning, r"is invalid \(function\)"),
}


@pytest.mark.parametrize("bad", WINDOWS)
def test_window_specs_are_validated_with_a_clear_message(backend, bad):
    window, match = WINDOWS[bad]
    messages = set()
    for cls in ("STFT", "iSTFT", "Griffin_Lim"):
        with pytest.raises(ParameterError, match=match) as info:
            getattr(backend.lib, cls)(256, hop_length=64, window=window)
        messages.add(str(info.value))
    assert len(messages) == 1


def test_numeric_window_lists_and_json_tuples_still_work(backend):
    ref = backend.state(backend.lib.STFT(n_fft=8, hop_length=2, window=("kaiser", 4.0)))["window"]
    for window in (["kaiser", 4.0], ("kaiser", np.float32(4.0)), list(ref), list(ref.astype(np.float32))):
        got = backend.state(backend.lib.STFT(n_fft=8, hop_length=2, window=window))["window"]
        np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_string_subclass_options_are_accepted_as_plain_strings(backend):
    """``np.str_`` (e.g. read from a NumPy array or .npz) matches its option; the config keeps a str."""
    m = backend.lib.STFT(**STFT, output_format=np.str_("Magnitude"))
    assert type(m.output_format) is str
    x = np.zeros(1000, np.float32)
    assert backend.run(m, x).shape == backend.run(m, x, output_format=np.str_("Magnitude")).shape


CHUNKED_BAD = {
    "list": (lambda: [0.1] * 4000, {}, r"^x must be a (torch.Tensor|jax.Array) or numpy.ndarray, got list"),
    "numpy-scalar": (lambda: np.float32(0.1), {}, r"^x must be a .* got float32"),
    "0-d": (lambda: np.zeros((), np.float32), {}, r"^x is 0-d"),
    "unknown-keyword": (
        lambda: np.zeros(4000, np.float32),
        {"output_format": "Magnitude"},
        r"^output_format='Magnitude' is invalid for chunked MelSpectrogram: its call takes no keywords",
    ),
    "chunk-frames-float": (
        lambda: np.zeros(4000, np.float32),
        {"chunk_frames": np.float64(4.0)},
        r"^chunk_frames=.* expected an integer",
    ),
    "chunk-frames-bool": (lambda: np.zeros(4000, np.float32), {"chunk_frames": True}, r"^chunk_frames=True"),
}


@pytest.mark.parametrize("fn", ["chunked", "iter_chunked"])
@pytest.mark.parametrize("bad", CHUNKED_BAD)
def test_chunked_arguments_are_validated_before_any_computation(backend, bad, fn):
    make, kw, match = CHUNKED_BAD[bad]
    mel = backend.build("MelSpectrogram", **MEL)
    kw = {"chunk_frames": 4, **kw}
    with pytest.raises(ParameterError, match=match):
        result = getattr(backend.lib, fn)(mel, make(), **kw)
        if fn == "iter_chunked":
            next(iter(result))


@pytest.mark.parametrize("fmt", ["bogus", 1, True])
def test_chunked_output_format_override_is_validated(backend, fmt):
    m = backend.build("STFT", **STFT)
    with pytest.raises(ParameterError, match=rf"^output_format={fmt!r} is invalid: must be one of"):
        backend.lib.chunked(m, np.zeros(4000, np.float32), chunk_frames=4, output_format=fmt)
