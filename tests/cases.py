"""Named module configurations shared by the property tests (one list, reused so JAX compiles
each configuration once per input shape for the whole session)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from conftest import SR
from references import as_pairs, librosa_stft


@dataclass(frozen=True)
class Case:
    """A module (class name + constructor keywords) and how to call it."""

    cls: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    call: dict[str, Any] = field(default_factory=dict)
    method: str = "__call__"

    @property
    def inverse(self) -> bool:
        """Whether the module's input is a complex spectrogram rather than a signal."""
        return self.cls == "iSTFT" or self.method == "inverse"

    @property
    def phase(self) -> bool:
        fmt = self.call.get("output_format", self.kwargs.get("output_format"))
        return self.cls == "STFT" and fmt == "Phase"

    def stft_kwargs(self) -> dict[str, Any]:
        keys = ("n_fft", "hop_length", "win_length", "window", "center")
        return {k: self.kwargs[k] for k in keys if k in self.kwargs}

    def input(self, x: np.ndarray, dtype: str) -> np.ndarray:
        """The module input for signal ``x``: ``x`` itself, or its (real, imag) STFT for inverses."""
        if self.inverse:
            return as_pairs(librosa_stft(x, pad_mode="constant", **self.stft_kwargs()), dtype)
        return np.asarray(x, dtype=dtype)

    def build(self, backend: Any, dtype: str) -> Any:
        return backend.build(self.cls, **self.kwargs, dtype=dtype)

    def run(self, backend: Any, m: Any, inp: np.ndarray) -> np.ndarray:
        return backend.run(m, inp, self.method, **self.call)


def params(cases: dict[str, Case]) -> list[Any]:
    return [pytest.param(c, id=name) for name, c in cases.items()]


L = 2000  # samples per test signal in the property tests
STFT = dict(n_fft=256, hop_length=64)
MEL = dict(sr=SR, n_fft=256, hop_length=64, n_mels=32)

CASES: dict[str, Case] = {
    "stft-complex": Case("STFT", STFT),
    "stft-magnitude": Case("STFT", STFT, {"output_format": "Magnitude"}),
    "stft-phase": Case("STFT", STFT, {"output_format": "Phase"}),
    "stft-win200-kaiser-constant-nocenter": Case(
        "STFT",
        dict(n_fft=256, win_length=200, hop_length=50, window=("kaiser", 4.0), pad_mode="constant", center=False),
    ),
    "stft-trainable": Case("STFT", dict(STFT, trainable=True)),
    "stft-log-magnitude": Case(
        "STFT", dict(STFT, freq_scale="log", freq_bins=80, fmin=60.0, fmax=3500.0, sr=SR, output_format="Magnitude")
    ),
    "stft-linear": Case("STFT", dict(STFT, freq_scale="linear", freq_bins=80, fmin=0.0, fmax=3500.0, sr=SR)),
    "stft-inverse": Case("STFT", dict(STFT, iSTFT=True), {"length": L}, method="inverse"),
    "istft": Case("iSTFT", STFT, {"length": L}),
    "istft-win200": Case("iSTFT", dict(n_fft=256, win_length=200, hop_length=50, window=("kaiser", 4.0))),
    "istft-trainable": Case("iSTFT", dict(STFT, trainable_kernels=True, trainable_window=True), {"length": L}),
    "mel": Case("MelSpectrogram", MEL),
    "mel-p1-htk-normNone": Case("MelSpectrogram", dict(MEL, power=1.0, htk=True, norm=None, fmin=40.0, fmax=3800.0)),
    "mel-trainable-p0.5": Case("MelSpectrogram", dict(MEL, trainable_mel=True, trainable_STFT=True, power=0.5)),
    "mfcc": Case("MFCC", dict(MEL, n_mfcc=13)),
    "mfcc-normNone-topdbNone": Case("MFCC", dict(MEL, n_mfcc=20, norm=None, top_db=None)),
    "gammatone": Case("Gammatonegram", dict(sr=SR, n_fft=256, hop_length=64, n_bins=24)),
    "gammatone-trainable-p1-band": Case(
        "Gammatonegram",
        dict(
            sr=SR,
            n_fft=256,
            hop_length=64,
            n_bins=24,
            power=1.0,
            fmin=50.0,
            fmax=3500.0,
            trainable_bins=True,
            trainable_STFT=True,
        ),
    ),
    "cqt": Case("CQT1992v2", dict(sr=SR, fmin=200.0, n_bins=24, hop_length=64)),
    "cqt-trainable-complex-constant": Case(
        "CQT1992v2",
        dict(sr=SR, fmin=200.0, n_bins=24, hop_length=50, trainable=True, pad_mode="constant", output_format="Complex"),
    ),
    "cqt1992": Case("CQT1992", dict(sr=SR, fmin=300.0, n_bins=24, hop_length=64)),
    # multirate: octaves at 3 rates (hop 64), and at 2 rates with the hop 50 = 2 * 25
    "cqt2010v2": Case("CQT2010v2", dict(sr=SR, fmin=110.0, n_bins=36, hop_length=64)),
    "cqt2010-hop50-constant": Case("CQT2010", dict(sr=SR, fmin=110.0, n_bins=36, hop_length=50, pad_mode="constant")),
    "vqt-trainable-complex": Case(
        "VQT",
        dict(sr=SR, fmin=110.0, n_bins=36, hop_length=64, gamma=10.0, trainable=True, output_format="Complex"),
    ),
}

#: A smaller set covering every class and both STFT paths (for the costlier property families).
CORE = {k: CASES[k] for k in ("stft-complex", "stft-trainable", "stft-inverse", "istft", "mel", "mfcc")}
