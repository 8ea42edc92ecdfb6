"""Drop-in compatibility: outputs equal nnAudio2's (float32 modules, the package we replace) for
the configurations nnAudio2 computes correctly."""

from __future__ import annotations

import nnAudio2.features.mel
import nnAudio2.features.stft
import numpy as np
import pytest
import torch
from conftest import SR
from tolerances import assert_close

L = 4000
NN2_CASES = {
    "stft-complex": ("STFT", dict(n_fft=512, hop_length=128), {}),
    "stft-magnitude-win300": ("STFT", dict(n_fft=400, win_length=300, hop_length=100, output_format="Magnitude"), {}),
    "stft-log": (
        "STFT",
        dict(n_fft=256, hop_length=64, freq_scale="log", freq_bins=80, fmin=60.0, fmax=3500.0, sr=SR),
        {},
    ),
    "stft-linear-magnitude": (
        "STFT",
        dict(
            n_fft=256,
            hop_length=64,
            freq_scale="linear",
            freq_bins=80,
            fmin=60.0,
            fmax=3500.0,
            sr=SR,
            output_format="Magnitude",
        ),
        {},
    ),
    "mel": ("MelSpectrogram", dict(sr=SR, n_fft=512, hop_length=128, n_mels=40), {}),
    "mel-htk-normNone-p1": (
        "MelSpectrogram",
        dict(sr=SR, n_fft=512, hop_length=128, n_mels=40, htk=True, norm=None, power=1.0),
        {},
    ),
    "mfcc": ("MFCC", dict(sr=SR, n_fft=512, hop_length=128, n_mels=40, n_mfcc=13), {}),
    "istft": ("iSTFT", dict(n_fft=256, hop_length=64), {"onesided": True, "length": L}),
}
_NN2 = {
    "STFT": nnAudio2.features.stft.STFT,
    "iSTFT": nnAudio2.features.stft.iSTFT,
    "MelSpectrogram": nnAudio2.features.mel.MelSpectrogram,
    "MFCC": nnAudio2.features.mel.MFCC,
}


@pytest.mark.parametrize("name", NN2_CASES)
def test_outputs_equal_nnaudio2(backend, dtype, make_signal, name):
    cls, kw, call = NN2_CASES[name]
    x = make_signal(2, L).astype(np.float32)
    if cls == "MFCC":
        x[1] *= 1e-3  # a quiet clip next to a loud one: top_db clips each example on its own in both
    if cls == "iSTFT":
        x = nnAudio2.features.stft.STFT(**kw, verbose=False)(torch.from_numpy(x)).numpy()
    with torch.no_grad():
        expected = _NN2[cls](**kw, verbose=False)(torch.from_numpy(x), **call).numpy()
    out = backend.run(backend.build(cls, **kw, dtype=dtype), x.astype(dtype), **call)
    kind = "nnaudio2_output" if cls != "MFCC" else "mfcc"
    assert_close(out, expected, kind, "float32", "ours vs nnAudio2")
