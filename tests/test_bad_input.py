"""The bad-input matrix: every transform of ``reliability.REPS`` (one configuration per class and
method of ``cases.CASES``) x every kind of unusual input x both backends.

Each input gets one of three outcomes; errors are checked eagerly (where value checks run),
outputs of the JAX backend are computed under ``jax.jit``:

* ``RAISES``: a :class:`ParameterError` whose message starts with the input's argument name
  (``x``, ``X``, ...) and matches a pattern; nothing from deep inside torch/XLA.
* ``EQUALS``: a correct output, compared with the same backend's output on a clean equivalent
  input (per item for batches, the float32 computation for other dtypes).
* ``AGREE`` (inputs whose validity depends on the configuration, e.g. a signal shorter than the
  window): both backends raise the same ``ParameterError``, or both return finite outputs that
  agree (in float64).

Under ``jax.jit`` values are not visible: shape and dtype errors still raise (tested), NaN/Inf
propagate (documented), and :func:`nnaudio_jax.check_finite` with ``checkify`` is the opt-in
check (tested).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
import torch
from backends import BACKENDS, JAX, TORCH, Backend
from cases import Case
from jax.experimental import checkify
from nnaudio_shared import ParameterError
from reliability import REPS, arg_name, is_signal, kind, valid_input
from tolerances import assert_close

import nnaudio_jax


@dataclass(frozen=True)
class Bad:
    """One kind of unusual input: ``make(inp, case)`` derives it from the valid float32 input."""

    make: Callable[[np.ndarray, Case], Any]
    outcome: str  # "RAISES", "EQUALS", "AGREE"
    match: str = ""  # RAISES: regex the message must match
    value_check: bool = False  # RAISES only eagerly (values are invisible under jax.jit)
    reference: Callable[[Backend, Any, np.ndarray, Case], np.ndarray] | None = None  # EQUALS


def _items(backend: Backend, m: Any, inp: np.ndarray, case: Case, lead: tuple[int, ...]) -> np.ndarray:
    """Reference of a batched input: the module applied to each item, stacked."""
    flat = inp.reshape(-1, *inp.shape[len(lead) :])
    outs = [_eager(backend, m, item, case) for item in flat]
    return np.stack(outs).reshape(*lead, *outs[0].shape)


def _scaled(inp: np.ndarray) -> np.ndarray:
    return np.stack([inp, 0.5 * inp])


def _four_d(inp: np.ndarray) -> np.ndarray:
    return (np.array([1.0, 0.3, -0.7, 0.1], np.float32).reshape(2, 1, 2, *([1] * inp.ndim)) * inp).astype(np.float32)


def _same_as_clean(backend: Backend, m: Any, inp: np.ndarray, case: Case) -> np.ndarray:
    return _eager(backend, m, inp, case)


def _float32_of(backend: Backend, m: Any, inp: np.ndarray, case: Case) -> np.ndarray:
    # the float32 computation of the same (rounded) values
    return _eager(backend, m, np.asarray(inp, dtype=np.float64).astype(np.float32), case)


def _pairs_to_complex(inp: np.ndarray, case: Case) -> np.ndarray:
    if not is_signal(case) and inp.shape[-1] == 2:  # (real, imag) pairs: the complex form is valid
        return (inp[..., 0] + 1j * inp[..., 1]).astype(np.complex64)
    return inp.astype(np.complex64)


def _with_value(value: float) -> Callable[[np.ndarray, Case], np.ndarray]:
    def make(inp: np.ndarray, case: Case) -> np.ndarray:
        out = inp.copy()
        out.flat[out.size // 3] = value
        return out

    return make


def _strided(inp: np.ndarray, case: Case) -> np.ndarray:
    """The same values as a strided (non-contiguous) NumPy view."""
    view = np.stack([inp, -inp], axis=-1)[..., 0]
    assert not view.flags.c_contiguous
    return view


def _reversed(inp: np.ndarray, case: Case) -> np.ndarray:
    """The same values as a view with negative strides (``torch.from_numpy`` refuses those)."""
    view = np.ascontiguousarray(inp[..., ::-1])[..., ::-1]
    assert view.strides[-1] < 0
    return view


BAD: dict[str, Bad] = {
    # shapes
    "0-d": Bad(lambda inp, c: np.asarray(inp.flat[0]), "RAISES", r"0-d|shape \(\)"),
    "empty": Bad(lambda inp, c: inp[:0], "RAISES", r"empty"),
    "empty-batch": Bad(lambda inp, c: np.zeros((3, *inp.shape[:-1], 0), inp.dtype), "RAISES", r"empty"),
    # for inverses (spectrogram input (freq, frames, 2)) the length is the number of frames
    "length-1": Bad(lambda inp, c: np.ascontiguousarray(inp[..., :1] if is_signal(c) else inp[:, :1]), "AGREE"),
    "shorter-than-window": Bad(
        lambda inp, c: np.ascontiguousarray(inp[..., :100] if is_signal(c) else inp[:, :2]), "AGREE"
    ),
    "stereo": Bad(lambda inp, c: _scaled(inp), "EQUALS", reference=lambda b, m, x, c: _items(b, m, x, c, (2,))),
    "4-D": Bad(lambda inp, c: _four_d(inp), "EQUALS", reference=lambda b, m, x, c: _items(b, m, x, c, (2, 1, 2))),
    # dtypes
    "int16-PCM": Bad(lambda inp, c: (inp * 10000).astype(np.int16), "RAISES", r"int16"),
    "int32-PCM": Bad(lambda inp, c: (inp * 1e8).astype(np.int32), "RAISES", r"int32"),
    "bool": Bad(lambda inp, c: inp > 0, "RAISES", r"bool"),
    "complex": Bad(
        lambda inp, c: _pairs_to_complex(inp, c),
        "RAISES",
        r"complex64",
    ),
    "float16": Bad(lambda inp, c: inp.astype(np.float16), "EQUALS", reference=_float32_of),
    "bfloat16": Bad(lambda inp, c: inp.astype(ml_dtypes.bfloat16), "EQUALS", reference=_float32_of),
    "float64": Bad(lambda inp, c: inp.astype(np.float64), "EQUALS", reference=_float32_of),
    # values
    "nan": Bad(_with_value(np.nan), "RAISES", r"NaN or Inf", value_check=True),
    "inf": Bad(_with_value(np.inf), "RAISES", r"NaN or Inf", value_check=True),
    "-inf": Bad(_with_value(-np.inf), "RAISES", r"NaN or Inf", value_check=True),
    "silence": Bad(lambda inp, c: np.zeros_like(inp), "AGREE"),
    # unnormalised int32 PCM read as float: far from overflow, computed correctly
    "large-2**31": Bad(lambda inp, c: (inp * 2.0**31).astype(np.float32), "EQUALS", reference=None),
    # beyond float32 power-spectrogram range: a clear error instead of Inf/NaN
    "huge-1e30": Bad(lambda inp, c: (inp * 1e30).astype(np.float32), "RAISES", r"values up to", value_check=True),
    # layouts and containers
    "strided-view": Bad(_strided, "EQUALS", reference=_same_as_clean),
    "negative-strides": Bad(_reversed, "EQUALS", reference=_same_as_clean),
    "list": Bad(lambda inp, c: inp.tolist(), "RAISES", r"must be a"),
}


def _expected(name: str, case: Case) -> Bad:
    """Adjust a row to the input family: spectrogram inputs are linear in their values and
    complex spectrograms are valid, so those rows change outcome."""
    bad = BAD[name]
    if is_signal(case):
        return bad
    if name == "complex":
        return Bad(bad.make, "EQUALS", reference=_same_as_clean)
    if name == "huge-1e30":  # an inverse is linear: huge spectrogram, huge (finite) signal
        return Bad(bad.make, "AGREE")
    return bad


def _native_out(backend: Backend, m: Any, inp: Any, case: Case) -> Any:
    """Outputs of inputs that raise nothing: torch eagerly, JAX through ``jax.jit`` (one
    compilation per shape is far cheaper than op-by-op dispatch of the heavier transforms)."""
    if backend is JAX:
        return backend.call(m, inp, case.method, **case.call)
    return backend.call_eager(m, inp, case.method, **case.call)


def _eager(backend: Backend, m: Any, inp: Any, case: Case) -> np.ndarray:
    out = _native_out(backend, m, inp, case)
    assert backend.is_native(out), type(out)
    return backend.to_numpy(out)


def _native(backend: Backend, x: Any) -> Any:
    """NumPy stays NumPy (both backends accept it); strided views become strided tensors in torch."""
    if backend is TORCH and isinstance(x, np.ndarray) and x.dtype != ml_dtypes.bfloat16:
        if x.ndim and x.strides[-1] < 0:
            return x  # torch has no negative strides: NumPy input is the case to test
        base = np.stack([x, x], axis=-1) if not x.flags.c_contiguous and x.ndim else None
        # (np.ascontiguousarray would turn a 0-d array into 1-d)
        return torch.from_numpy(base)[..., 0] if base is not None else torch.from_numpy(x.copy(order="C"))
    if backend is TORCH and isinstance(x, np.ndarray):
        return TORCH.asarray(x)
    return x


def _check_raises(backend: Backend, m: Any, x: Any, case: Case, match: str, call: Callable[..., Any]) -> str:
    name = arg_name(m, case.method)
    with pytest.raises(ParameterError) as info:
        call(m, x, case.method, **case.call)
    msg = str(info.value)
    assert msg.startswith(f"{name} "), f"message does not name the argument {name!r}: {msg!r}"
    assert re.search(match, msg), f"{msg!r} does not match {match!r}"
    return msg


def _outcome(backend: Backend, m: Any, x: Any, case: Case) -> tuple[str, Any]:
    try:
        return "ok", _eager(backend, m, _native(backend, x), case)
    except ParameterError as e:
        name = arg_name(m, case.method)
        assert str(e).startswith(f"{name} "), f"message does not name the argument {name!r}: {e}"
        return "error", str(e)


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in REPS.items()])
def test_bad_input_matrix(case, bad):
    row = _expected(bad, case)
    inp = valid_input(case)
    x = row.make(inp, case)
    if row.outcome == "AGREE":
        # validity depends on the configuration, not the dtype: compared in float64, so outputs
        # that are ill-conditioned by definition (an inverse of one frame divides by the
        # window's tails) still agree tightly
        x = x.astype(np.float64)
        results = {b: _outcome(BACKENDS[b], case.build(BACKENDS[b], "float64"), x, case) for b in BACKENDS}
        (st, vt), (sj, vj) = results["torch"], results["jax"]
        assert st == sj, (
            f"torch {st}: {vt if st == 'error' else 'output'}; jax {sj}: {vj if sj == 'error' else 'output'}"
        )
        assert not (bad == "silence" and st == "error"), f"digital silence was rejected: {vt}"
        if st == "error":
            assert vt == vj
        else:
            assert np.all(np.isfinite(vt.astype(np.float64)))
            assert_close(vj, vt, kind(case), "float64", f"{bad}: jax vs torch")
        return
    for backend in BACKENDS.values():
        m = case.build(backend, "float32")
        native = _native(backend, x)
        if row.outcome == "RAISES":
            _check_raises(backend, m, native, case, row.match, backend.call_eager)
            if backend is JAX and not row.value_check and not isinstance(x, list):
                _check_raises(backend, m, native, case, row.match, backend.call)  # also under jax.jit
            continue
        result = _native_out(backend, m, native, case)
        assert backend.is_native(result), type(result)
        # output dtype = input dtype (the real dtype of a complex spectrogram)
        assert backend.dtype_name(result) == ("float32" if np.iscomplexobj(x) else str(np.asarray(x).dtype))
        out = backend.to_numpy(result)
        if row.reference is None:  # large values: the float64 computation of the same input
            ref = _eager(backend, case.build(backend, "float64"), np.asarray(x, np.float64), case)
        else:
            clean = inp if bad not in ("stereo", "4-D", "float16", "bfloat16", "float64") else x
            ref = row.reference(backend, m, clean, case)
        out64 = out.astype(np.float64)
        if bad in ("float16", "bfloat16"):
            assert_close(out64, ref, "half", bad, f"{backend}: {bad}")
        else:
            assert_close(out64, ref, kind(case), "float32", f"{backend}: {bad}")


@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in REPS.items()])
def test_torch_rejects_tensors_on_another_device_and_moves_numpy_to_the_kernels(case):
    """CPU-only stand-in for a GPU: the ``meta`` device. A tensor on another device than the
    kernels is one clear error in either direction; NumPy input follows the kernels."""
    inp = valid_input(case)
    m = case.build(TORCH, "float32")
    _check_raises(
        TORCH, m, torch.from_numpy(inp).to("meta"), case, r"on device meta.*kernels are on cpu", TORCH.call_eager
    )
    m.to("meta")
    _check_raises(TORCH, m, torch.from_numpy(inp), case, r"on device cpu.*kernels are on meta", TORCH.call_eager)
    with torch.no_grad():
        out = getattr(m, "forward" if case.method == "__call__" else case.method)(inp, **case.call)
    assert out.device.type == "meta"
    assert tuple(out.shape) == _eager(TORCH, case.build(TORCH, "float32"), inp, case).shape


def test_torch_takes_read_only_numpy_without_a_warning(tmp_path):
    """A read-only array (``np.load(mmap_mode="r")``, the README's long-audio route) is copied, not
    shared: ``torch.from_numpy`` of it warns that writes are undefined, once per process."""
    x = np.random.default_rng(0).standard_normal(4000).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    ro = np.load(tmp_path / "x.npy", mmap_mode="r")
    assert not ro.flags.writeable
    m = TORCH.build("STFT", n_fft=256, hop_length=64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = m(ro)
    np.testing.assert_array_equal(out.numpy(), m(x).numpy())


@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in REPS.items()])
def test_each_backend_rejects_the_other_librarys_arrays(case):
    inp = valid_input(case)
    _check_raises(
        TORCH, case.build(TORCH, "float32"), jnp.asarray(inp), case, r"must be a torch.Tensor", TORCH.call_eager
    )
    _check_raises(JAX, case.build(JAX, "float32"), torch.from_numpy(inp), case, r"must be a jax.Array", JAX.call_eager)


# ---------------------------------------------------------------------------------------------
# jax.jit: no value checks inside a trace; check_finite + checkify is the opt-in check
# ---------------------------------------------------------------------------------------------
SIGNAL_REPS = {n: c for n, c in REPS.items() if is_signal(c)}


def _checked(case: Case) -> Callable[..., Any]:
    call, method = case.call, case.method
    return checkify.checkify(jax.jit(lambda m, x: getattr(m, method)(nnaudio_jax.check_finite(x), **call)))


@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in SIGNAL_REPS.items()])
def test_opt_in_finite_check_under_jit(case):
    """Without the opt-in check a jitted call lets bad values through (documented); with
    ``check_finite`` under ``checkify`` every bad value is reported after the call, a clean input
    gives no error and the same output as the plain jitted call."""
    inp = valid_input(case)
    m = case.build(JAX, "float32")
    checked = _checked(case)
    err, out = checked(m, jnp.asarray(inp))
    assert err.get() is None
    assert_close(np.asarray(out), JAX.run(m, inp, case.method, **case.call), kind(case), "float32", "checked vs plain")
    for bad, match in (("nan", "NaN or Inf"), ("inf", "NaN or Inf"), ("huge-1e30", "values up to")):
        x = jnp.asarray(BAD[bad].make(inp, case))
        err, _ = checked(m, x)
        assert err.get() is not None and re.search(match, err.get()), err.get()
        with pytest.raises(checkify.JaxRuntimeError, match=match):
            err.throw()
        with pytest.raises(ParameterError, match=match):  # eagerly: the module's own error
            nnaudio_jax.check_finite(x)


def test_check_finite_outside_checkify_is_a_clear_error_under_jit():
    with pytest.raises(ValueError, match="checkify"):
        jax.jit(nnaudio_jax.check_finite)(jnp.zeros(10))


@pytest.mark.parametrize("value", [np.nan, np.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("n", [16_000, 2 * 22050 + 7])
def test_one_bad_value_in_a_long_signal_is_caught(backend, value, n):
    """XLA's CPU max-reduction skips NaN in arrays of more than a few thousand elements (max(|x|)
    of 4096 zeros and one NaN is 0.0), so the JAX check reduces ``isfinite`` explicitly; the
    opt-in ``check_finite`` too."""
    x = np.zeros((2, n), np.float32)
    x[1, n // 3] = value
    m = backend.build("STFT", n_fft=256, hop_length=64)
    with pytest.raises(ParameterError, match=r"^x .*NaN or Inf"):
        backend.call_eager(m, backend.asarray(x))
    if backend is JAX:
        f = checkify.checkify(jax.jit(lambda v: nnaudio_jax.check_finite(v)))
        err, _ = f(jnp.asarray(x))
        with pytest.raises(checkify.JaxRuntimeError, match="NaN or Inf"):
            err.throw()
