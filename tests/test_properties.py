"""Property-based tests over the configuration space of every transform (hypothesis).

For a drawn configuration (valid or not) and input length, either both backends raise the same
:class:`ParameterError` (at construction or at the call), or both build and their outputs agree
(float64). Any other exception is a bug: an argument that slipped through validation and failed
deep inside torch/XLA/SciPy, or a warning (errors under the suite's warning policy).

Deterministic: ``derandomize=True``, no example database, few examples per class. A class joins
with one entry in ``SPACES`` (its keyword space and how to make an input of a given length);
``INVALID`` lists values of each keyword that no configuration accepts.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from backends import BACKENDS, TORCH, Backend
from cases import CASES
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from nnaudio_shared import ParameterError
from tolerances import assert_close, phasor

SETTINGS = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _repair(kw: dict[str, Any]) -> dict[str, Any]:
    """Resolve the usual dependencies between valid values (window within n_fft, band edges
    within Nyquist, n_mfcc within n_mels), so that most draws are valid configurations."""
    kw = dict(kw)
    n_fft = kw.get("n_fft", 2048)
    if kw.get("win_length") is not None:
        kw["win_length"] = min(kw["win_length"], n_fft)
    if kw.get("hop_length", 0) is None and (kw.get("win_length") or n_fft) < 4:
        kw["hop_length"] = 1
    nyquist = kw.get("sr", 22050) / 2
    if kw.get("fmax") is not None:
        kw["fmax"] = min(kw["fmax"], nyquist)
    top = kw["fmax"] if kw.get("fmax") is not None else nyquist
    if "fmin" in kw and kw["fmin"] >= top:
        kw["fmin"] = top / 4
    if kw.get("freq_scale") in ("log", "log2") and kw.get("fmin", 50) <= 0:
        kw["fmin"] = 50.0
    if kw.get("freq_scale", "no") == "no" and kw.get("freq_bins") is not None:
        kw["freq_bins"] = min(kw["freq_bins"], n_fft // 2 + 1)
    if kw.get("iSTFT") and (kw.get("freq_scale", "no") != "no" or kw.get("freq_bins") is not None):
        kw["iSTFT"] = False
    if "bins_per_octave" in kw:  # constant-Q: the top bin below Nyquist
        if kw["fmin"] >= 0.9 * nyquist:
            kw["fmin"] = nyquist / 8
        fit = 1 + int(kw["bins_per_octave"] * np.log2(0.9 * nyquist / kw["fmin"]))
        kw["n_bins"] = max(1, min(kw["n_bins"], fit))
    if "n_mfcc" in kw:
        kw["n_mfcc"] = min(kw["n_mfcc"], kw.get("n_mels", 128))
    return kw


@st.composite
def _space(
    draw: Any, valid: dict[str, Any], invalid: dict[str, list[Any]], optional: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A keyword dict: values from ``valid``, in four draws out of five with the usual
    dependencies resolved (``_repair``; the fifth keeps combinations such as
    ``win_length > n_fft``), and in a third of the draws with one key set to an ``invalid`` value."""
    kw = draw(st.fixed_dictionaries(valid, optional=optional or {}))
    # (hypothesis favours small integers: 0 means "repair, no invalid key")
    if draw(st.integers(0, 4)) != 4:
        kw = _repair(kw)
    if draw(st.integers(0, 2)) == 2:
        key = draw(st.sampled_from(sorted(invalid)))
        kw[key] = draw(st.sampled_from(invalid[key]))
    return kw


N_FFT = st.integers(1, 600)
HOP = st.one_of(st.none(), st.integers(1, 700))
WIN = st.one_of(st.none(), st.integers(1, 700))
WINDOW = st.sampled_from(["hann", "hamming", "blackman", "boxcar", "triang", ("kaiser", 4.0), ("gaussian", 40.0)])
SR = st.one_of(st.sampled_from([8000, 16000, 22050, 44100]), st.floats(100.0, 96000.0))
FMIN = st.floats(0.0, 12000.0)
FMAX = st.one_of(st.none(), st.floats(1.0, 30000.0))
PAD = st.sampled_from(["reflect", "constant"])
POWER = st.sampled_from([0.5, 1.0, 2.0, 3.0])
NORM = st.sampled_from([1, "slaney", None, np.inf])
B = st.booleans()
#: Values no configuration accepts, by keyword.
INVALID: dict[str, list[Any]] = {
    "n_fft": [0, -4, 512.0, "512", True],
    "hop_length": [0, -1, 64.5],
    "win_length": [0, -3],
    "window": ["nope", ("kaiser",), ()],
    "sr": [0, -8000, float("nan")],
    "fmin": [-10.0, float("inf")],
    "fmax": [-1.0, float("nan")],
    "pad_mode": ["edge", None],
    "power": [0.0, -1.0, float("nan")],
    "norm": [2, "l1"],
    "center": [1, "yes"],
    "htk": [1, None],
    "n_mels": [0, -1, 2.0],
    "n_bins": [0, -1],
    "n_mfcc": [0, -2],
    "top_db": [-1.0],
    "amin": [0.0, -1e-10],
    "ref": [0.0, -1.0],
    "freq_scale": ["x", None],
    "output_format": ["x", "complex"],
    "freq_bins": [0, -1, 10_000],
    "trainable": [1, "no"],
    "trainable_mel": [1],
    "trainable_STFT": ["yes"],
    "trainable_bins": [1],
    "trainable_kernels": [1],
    "trainable_window": ["yes"],
}


def _invalid(*keys: str) -> dict[str, list[Any]]:
    return {k: INVALID[k] for k in keys}


STFT_SPACE = _space(
    {"n_fft": N_FFT, "hop_length": HOP, "win_length": WIN, "window": WINDOW, "center": B, "pad_mode": PAD},
    _invalid(
        "n_fft",
        "hop_length",
        "win_length",
        "window",
        "center",
        "pad_mode",
        "freq_scale",
        "output_format",
        "freq_bins",
        "trainable",
        "sr",
        "fmin",
        "fmax",
    ),
    optional={
        "freq_scale": st.sampled_from(["no", "linear", "log", "log2"]),
        "freq_bins": st.one_of(st.none(), st.integers(1, 400)),
        "fmin": FMIN,
        "fmax": st.floats(1.0, 30000.0),
        "sr": SR,
        "trainable": B,
        "output_format": st.sampled_from(["Complex", "Magnitude", "Phase"]),
        "iSTFT": B,
    },
)
MEL_BASE = {
    "sr": SR,
    "n_fft": N_FFT,
    "hop_length": st.integers(1, 700),
    "win_length": WIN,
    "window": WINDOW,
    "center": B,
    "pad_mode": PAD,
    "power": POWER,
    "htk": B,
    "fmin": FMIN,
    "fmax": FMAX,
    "norm": NORM,
}
MEL_INVALID = _invalid(
    "sr", "n_fft", "hop_length", "win_length", "window", "center", "pad_mode", "power", "htk", "fmin", "fmax", "norm"
)
MEL_SPACE = _space(
    {**MEL_BASE, "n_mels": st.integers(1, 300)},
    {**MEL_INVALID, **_invalid("n_mels", "trainable_mel", "trainable_STFT")},
    optional={"trainable_mel": B, "trainable_STFT": B},
)
MFCC_SPACE = _space(
    {
        "sr": SR,
        "n_fft": N_FFT,
        "hop_length": st.integers(1, 700),
        "n_mels": st.integers(1, 200),
        "n_mfcc": st.integers(1, 60),
        "htk": B,
        "fmin": FMIN,
        "fmax": FMAX,
        "power": POWER,
    },
    {
        **_invalid(
            "sr",
            "n_fft",
            "hop_length",
            "n_mels",
            "n_mfcc",
            "htk",
            "fmin",
            "fmax",
            "power",
            "top_db",
            "amin",
            "ref",
            "window",
            "pad_mode",
        ),
        "norm": ["x", 1],
    },
    optional={
        "norm": st.sampled_from(["ortho", None]),
        "ref": st.sampled_from([1.0, 0.5, 1e-3]),
        "amin": st.sampled_from([1e-10, 1e-5]),
        "top_db": st.sampled_from([80.0, None, 0.0, 20.0]),
        "window": WINDOW,
        "pad_mode": PAD,
        "trainable_mel": B,
    },
)
ISTFT_SPACE = _space(
    {
        "n_fft": N_FFT,
        "hop_length": st.one_of(st.none(), st.integers(1, 80)),
        "win_length": WIN,
        "window": WINDOW,
        "center": B,
    },
    {
        **_invalid(
            "n_fft",
            "hop_length",
            "win_length",
            "window",
            "center",
            "freq_bins",
            "trainable_kernels",
            "trainable_window",
            "fmin",
            "fmax",
            "sr",
        ),
        "freq_scale": ["log", "x"],
    },
    optional={"freq_bins": st.none(), "trainable_kernels": B, "trainable_window": B, "sr": SR},
)
GAMMATONE_SPACE = _space(
    {**MEL_BASE, "htk": st.just(False), "norm": st.just(1), "n_bins": st.integers(1, 200)},
    {**MEL_INVALID, **_invalid("n_bins", "trainable_bins", "trainable_STFT")},
    optional={"trainable_bins": B, "trainable_STFT": B},
)


CQT_BASE = {
    "sr": st.sampled_from([8000, 16000]),
    "hop_length": st.integers(16, 700),
    "fmin": st.floats(200.0, 3000.0),
    "n_bins": st.integers(1, 48),
    "bins_per_octave": st.integers(1, 24),
    "filter_scale": st.floats(0.25, 2.0),
    "window": WINDOW,
    "center": B,
    "pad_mode": PAD,
}
CQT_OPTIONAL = {
    "norm": st.sampled_from([1, 2, None]),
    "output_format": st.sampled_from(["Magnitude", "Complex", "Phase"]),
}
CQT_INVALID = {
    **_invalid("sr", "hop_length", "window", "center", "pad_mode", "output_format"),
    "fmin": [0.0, -5.0, float("nan")],
    "n_bins": [0, -1, 3.5],
    "bins_per_octave": [0, -12],
    "filter_scale": [0.0, -1.0],
    "norm": ["x"],
}
CQT1992V2_SPACE = _space(CQT_BASE, {**CQT_INVALID, **_invalid("trainable")}, optional={**CQT_OPTIONAL, "trainable": B})
MULTIRATE_BASE = {k: v for k, v in CQT_BASE.items() if k not in ("center",)}
MULTIRATE_OPTIONAL = {
    "norm": B,
    "basis_norm": st.sampled_from([1, 2, None]),
    "earlydownsample": B,
    "output_format": CQT_OPTIONAL["output_format"],
}
MULTIRATE_INVALID = {**{k: v for k, v in CQT_INVALID.items() if k not in ("center", "norm")}, "norm": [1.5, "x"]}
CQT2010V2_SPACE = _space(
    MULTIRATE_BASE, {**MULTIRATE_INVALID, **_invalid("trainable")}, optional={**MULTIRATE_OPTIONAL, "trainable": B}
)
CQT2010_SPACE = _space(
    MULTIRATE_BASE,
    {**MULTIRATE_INVALID, **_invalid("trainable_STFT")},
    optional={**MULTIRATE_OPTIONAL, "trainable_STFT": B, "trainable_CQT": B},
)
VQT_SPACE = _space(
    {**MULTIRATE_BASE, "gamma": st.one_of(st.none(), st.floats(0.0, 50.0))},
    {**MULTIRATE_INVALID, **_invalid("trainable"), "gamma": [-1.0, float("nan")]},
    optional={**MULTIRATE_OPTIONAL, "trainable": B},
)
CQT1992_SPACE = _space(
    CQT_BASE,
    {**CQT_INVALID, **_invalid("trainable_STFT")},
    optional={**CQT_OPTIONAL, "trainable_STFT": B, "trainable_CQT": B},
)


def _signal(kw: dict[str, Any], rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal(n)


def _spectrum(kw: dict[str, Any], rng: np.random.Generator, n: int) -> np.ndarray:
    n_fft = kw["n_fft"] if isinstance(kw.get("n_fft"), int) and kw["n_fft"] > 0 else 16
    return rng.standard_normal((n_fft // 2 + 1, max(1, n // 100), 2))


@dataclass(frozen=True)
class Space:
    """The keyword space of a class and how to make an input of ``n`` (drawn) samples."""

    kwargs: st.SearchStrategy[dict[str, Any]]
    make_input: Callable[[dict[str, Any], np.random.Generator, int], np.ndarray] = _signal
    call: dict[str, Any] = field(default_factory=dict)
    max_examples: int = 10  # fewer for the costlier transforms


SPACES: dict[str, Space] = {
    "STFT": Space(STFT_SPACE),
    "iSTFT": Space(ISTFT_SPACE, _spectrum),
    "MelSpectrogram": Space(MEL_SPACE),
    "MFCC": Space(MFCC_SPACE),
    "Gammatonegram": Space(GAMMATONE_SPACE),
    "CQT1992v2": Space(CQT1992V2_SPACE, max_examples=6),
    "CQT1992": Space(CQT1992_SPACE, max_examples=6),
    "CQT2010v2": Space(CQT2010V2_SPACE, max_examples=5),
    "CQT2010": Space(CQT2010_SPACE, max_examples=5),
    "VQT": Space(VQT_SPACE, max_examples=5),
}


def test_every_class_has_a_configuration_space():
    missing = {c.cls for c in CASES.values()} - set(SPACES)
    assert not missing, f"add a Space for {sorted(missing)} to SPACES in tests/test_properties.py"


def _attempt(
    backend: Backend, cls: str, kw: dict[str, Any], x: np.ndarray, call: dict[str, Any]
) -> tuple[str, Any, list[str]]:
    """``('build-error', msg)``, ``('call-error', msg)`` or ``('ok', output)``, and the warnings
    raised on the way. Any other exception propagates (a bug); the only warnings allowed are the
    design's own (``nnaudio_shared``, e.g. librosa's empty-mel-filter warning), the same in both
    backends."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            m = backend.build(cls, **kw, dtype="float64")
        except ParameterError as e:
            result: tuple[str, Any] = ("build-error", str(e))
        else:
            try:
                result = ("ok", backend.run(m, x, **call))
            except ParameterError as e:
                result = ("call-error", str(e))
    for w in caught:
        assert "nnaudio_shared" in w.filename and w.category is UserWarning, (w.category, w.filename, w.message)
    return (*result, sorted(str(w.message) for w in caught))


def _comparable(cls: str, kw: dict[str, Any], out: np.ndarray, x: np.ndarray) -> np.ndarray:
    if kw.get("output_format") == "Phase":  # phases weighted by magnitude (noise where |X| ~ 0)
        mag = TORCH.run(TORCH.build(cls, **{**kw, "output_format": "Magnitude"}, dtype="float64"), x)
        if out.ndim == mag.ndim + 1:  # constant-Q 'Phase' is (cos, sin) pairs (nnAudio2's layout)
            out = np.arctan2(out[..., 1], out[..., 0])
        return phasor(out, mag)
    return out


@pytest.mark.parametrize("cls", sorted(SPACES))
def test_every_configuration_builds_and_agrees_or_raises_parameter_error(cls):
    space = SPACES[cls]
    outcomes: list[str] = []

    @settings(SETTINGS, max_examples=space.max_examples)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        kw = data.draw(space.kwargs, label="kwargs")
        n = data.draw(st.integers(1, 3000), label="n_samples")
        x = space.make_input(kw, np.random.default_rng(n), n)
        results = {name: _attempt(b, cls, kw, x, space.call) for name, b in BACKENDS.items()}
        _agree(cls, kw, n, x, results)
        outcomes.append(results["torch"][0])

    check()
    # "both raise the same error" is a pass: the space must also reach configurations that build
    # and compute, or a constructor that rejected everything would go unnoticed
    assert "ok" in outcomes, f"{cls}: no drawn configuration built and ran ({sorted(set(outcomes))})"


def _agree(cls: str, kw: dict[str, Any], n: int, x: np.ndarray, results: dict[str, Any]) -> None:
    (st_t, v_t, w_t), (st_j, v_j, w_j) = results["torch"], results["jax"]
    event(st_t)
    assert w_t == w_j
    assert st_t == st_j, f"torch: {st_t} {v_t if st_t != 'ok' else ''}; jax: {st_j} {v_j if st_j != 'ok' else ''}"
    if st_t != "ok":  # the same error, message included
        assert v_t == v_j
        return
    assert v_t.shape == v_j.shape and v_t.dtype == v_j.dtype == np.float64
    assert np.all(np.isfinite(v_t)) and np.all(np.isfinite(v_j))
    assert_close(
        _comparable(cls, kw, v_j, x),
        _comparable(cls, kw, v_t, x),
        "mfcc" if cls == "MFCC" else "backend",
        "float64",
        f"{cls}({kw}) on {n} samples: jax vs torch",
    )


@pytest.mark.parametrize("window", [(), ("kaiser",), ("tukey", 0.5, 1, 2, 3)], ids=str)
def test_malformed_window_tuples_raise_parameter_error(backend, window):
    """Found by the property test: scipy raised IndexError for an empty tuple."""
    with pytest.raises(ParameterError, match=r"window=.* is invalid"):
        backend.build("STFT", n_fft=64, window=window)
