"""Stateless PyTorch transforms: kernels come in as arguments, configuration is keyword-only.

Signals are ``(..., time)``; spectrograms ``(..., freq, frames)``. Leading dimensions are
flattened once at the top of each function and restored at the bottom. These functions do no
value checks (the modules do); they are safe under ``torch.compile`` (except :func:`icqt` and
:func:`cgls`, which take the adjoint with ``torch.func.vjp``).

One private module per family: ``_stft`` (framing, STFT, iSTFT, magnitude, phase, power),
``_mel`` (mel, dB, MFCC), ``_cqt`` (full-rate CQT), ``_multirate`` (octave-wise CQT),
``_icqt`` (CQT operator, CGLS, iCQT), ``_griffinlim``, ``_cfp``. :mod:`nnaudio_jax.functional`
has the same names and signatures.
"""

from ._cfp import cfp
from ._cqt import cqt, cqt_fourier
from ._griffinlim import griffinlim
from ._icqt import cgls, cqt_operator, icqt
from ._mel import melspectrogram, mfcc, power_to_db
from ._multirate import multirate_cqt
from ._stft import frame, istft, istft_matmul, magnitude, overlap_add, phase, spectral_power, stft, stft_matmul

__all__ = [
    "cfp",
    "cgls",
    "cqt",
    "cqt_fourier",
    "cqt_operator",
    "frame",
    "griffinlim",
    "icqt",
    "istft",
    "istft_matmul",
    "magnitude",
    "melspectrogram",
    "mfcc",
    "multirate_cqt",
    "overlap_add",
    "phase",
    "power_to_db",
    "spectral_power",
    "stft",
    "stft_matmul",
]
