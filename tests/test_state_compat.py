"""Files saved by an earlier version still load, bit for bit, and compute what they computed.

``tests/data/state_files/`` was written by ``tests/data/make_state_files.py`` run on commit
c81cfd4 (see ``versions.json``): one torch-saved file per registered class (its registry
example, float32), a float64 MelSpectrogram and a trained MelSpectrogram, with each module's
output on the generator's signal in ``outputs.npz``. Both backends load every file.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
from nnaudio_shared import REGISTRY
from safetensors.numpy import load_file
from tolerances import assert_close

DATA = os.path.join(os.path.dirname(__file__), "data", "state_files")
_spec = importlib.util.spec_from_file_location(
    "make_state_files", os.path.join(os.path.dirname(DATA), "make_state_files.py")
)
assert _spec is not None and _spec.loader is not None
GEN = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(GEN)

FILES = sorted(f[: -len(".safetensors")] for f in os.listdir(DATA) if f.endswith(".safetensors"))
# Iterative outputs (Griffin-Lim, iCQT) amplify float32 rounding differences between libraries; the iCQT
# (reflect padding, the default) also changed solver since the files were made (reorthogonalised CGLS).
KIND = {
    "Griffin_Lim": "griffinlim",
    "iCQT": "icqt_backend_reflect",
    "CFP": "cfp",
    "Combined_Frequency_Periodicity": "cfp",
}


def test_every_registered_class_has_a_file() -> None:
    assert set(REGISTRY) <= set(FILES), sorted(set(REGISTRY) - set(FILES))


@pytest.mark.parametrize("stem", FILES)
def test_old_file_loads_with_identical_state_and_output(backend, stem: str) -> None:
    path = os.path.join(DATA, f"{stem}.safetensors")
    module = backend.lib.load(path)
    name = type(module).__name__
    tensors = load_file(path)
    state = backend.state(module)
    assert set(state) == set(tensors)
    for key, arr in tensors.items():
        np.testing.assert_array_equal(state[key], arr, err_msg=f"{stem}: {key}")
    spec = REGISTRY[name]
    x, kwargs = spec.make_input(dict(module.config.to_dict()), GEN.signal())
    dtype = "float64" if stem.endswith("_float64") else "float32"
    out = backend.call(module, backend.asarray(np.asarray(x), dtype), **kwargs)
    out = backend.to_numpy(out[0] if isinstance(out, (tuple, list)) else out)
    expected = np.load(os.path.join(DATA, "outputs.npz"))[stem]
    assert_close(np.asarray(out), expected, KIND.get(name, "backend"), dtype, what=stem)
