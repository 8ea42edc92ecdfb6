"""Reduced precision: float16/bfloat16 inputs and torch autocast.

Half-precision inputs are computed in float32 and returned in their own dtype (both backends);
``torch.autocast`` does not lower the precision of a transform (its matmuls would otherwise run in
float16/bfloat16 and lose three decimal digits while the output still says float32). The README
table of accuracies comes from ``python -m bench.precision`` (same measure as here, bench
settings).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
import torch
from backends import BACKENDS, TORCH
from reliability import REPS_AND_TRAINABLE, params, valid_input
from tolerances import assert_close

HALF = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16}


def _torch(m, x, method, call):
    with torch.no_grad():
        return getattr(m, "forward" if method == "__call__" else method)(x, **call)


@pytest.mark.parametrize("autocast_dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
@pytest.mark.parametrize("case", params(REPS_AND_TRAINABLE))
def test_torch_autocast_does_not_lower_the_precision(case, autocast_dtype):
    """Same output, bit for bit, with and without autocast (float32 and half inputs)."""
    m = case.build(TORCH, "float32")
    for in_dtype in (torch.float32, torch.float16, torch.bfloat16):
        x = TORCH.asarray(valid_input(case)).to(in_dtype)
        plain = _torch(m, x, case.method, case.call)
        with torch.autocast("cpu", dtype=autocast_dtype):
            autocast = _torch(m, x, case.method, case.call)
        assert autocast.dtype == plain.dtype == in_dtype
        np.testing.assert_array_equal(autocast.float().numpy(), plain.float().numpy())


@pytest.mark.parametrize("half", HALF)
@pytest.mark.parametrize("case", params(REPS_AND_TRAINABLE))
def test_half_inputs_against_the_float32_result(case, half):
    """The accuracy the README table states: the half-precision result (input rounded, computed
    in float32, output rounded) against the float32 result on the original float32 input."""
    x32 = valid_input(case, "float32")
    x_half = x32.astype(HALF[half])
    for backend in BACKENDS.values():
        m = case.build(backend, "float32")
        ref = case.run(backend, m, x32)
        out = backend.call(m, backend.asarray(x_half), case.method, **case.call)
        assert backend.dtype_name(out) == half
        assert_close(backend.to_numpy(out).astype(np.float64), ref, "half_input", half, f"{backend}")
