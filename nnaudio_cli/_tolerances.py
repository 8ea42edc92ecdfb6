"""Tolerances of ``nnaudio check`` (torch against JAX on the same configuration and signal).

Two tables side by side: :data:`FLOAT32_TOLERANCES`, measured per transform, and
:data:`CHECK_TOLERANCES`, per kind of output (``nnaudio_shared.CHECK_KINDS``), for float64 and
for a transform without a float32 row. Errors are ``nnaudio_shared.relative_errors``, the
definition the test suite's ``tests/tolerances.py`` uses too (a zero reference: ``'inf'``, any
difference from an all-zero output fails).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CHECK_TOLERANCES", "FLOAT32_TOLERANCES", "Tolerance"]


@dataclass(frozen=True)
class Tolerance:
    """Limits on the error of one output against the other backend's (``None``: not checked).

    ``rel_l2 = ||a - b|| / ||b||``, ``rel_max = max|a - b| / max|b|``, ``abs_max = max|a - b|``.
    """

    rel_l2: float | None = None
    rel_max: float | None = None
    abs_max: float | None = None

    def exceeded(self, errors: Mapping[str, float]) -> list[str]:
        """Return ``'rel_l2 = 3e-06 > 1e-06'``-style descriptions of every limit ``errors`` exceed."""
        out = []
        for name in ("rel_l2", "rel_max", "abs_max"):
            limit = getattr(self, name)
            if limit is not None and not errors[name] <= limit:
                out.append(f"{name} = {errors[name]:.3g} > {limit:.3g}")
        return out

    def describe(self) -> str:
        """``'rel_l2 <= 1e-06, rel_max <= 1e-05'``."""
        return ", ".join(
            f"{name} <= {getattr(self, name):.3g}"
            for name in ("rel_l2", "rel_max", "abs_max")
            if getattr(self, name) is not None
        )


#: Tolerances of ``nnaudio check`` by kind of output (``nnaudio_shared.CHECK_KINDS``, a class's
#: ``TransformSpec.check_kind``) and dtype. Torch and JAX compute the same
#: float32 arithmetic with different FFT/GEMM libraries: each is within ~1e-7 (rel. L2) of the
#: float64 result, so 1e-6 leaves a margin of about ten; dB outputs (MFCC) are compared in
#: absolute dB. Waveforms (iSTFT) are relative to the signal.
CHECK_TOLERANCES: dict[str, dict[str, Tolerance]] = {
    "spectral": {"float32": Tolerance(rel_l2=1e-6, rel_max=1e-5), "float64": Tolerance(rel_l2=1e-10, rel_max=1e-10)},
    "db": {"float32": Tolerance(abs_max=1e-3), "float64": Tolerance(abs_max=1e-8)},
    "waveform": {"float32": Tolerance(rel_l2=1e-6, rel_max=1e-5), "float64": Tolerance(rel_l2=1e-10, rel_max=1e-10)},
    # Griffin-Lim: each iteration feeds the previous rounding back, float32 differences grow with
    # n_iter (measured rel. L2 2.6e-4 after 32 iterations at n_fft=512 on the synthetic signal).
    "iterative": {"float32": Tolerance(rel_l2=2e-3, rel_max=1e-2), "float64": Tolerance(rel_l2=1e-9, rel_max=1e-8)},
    # CFP: powers of the spectrum and cepstrum (g = 0.24, 0.6, 1) and thresholds amplify float32
    # rounding (measured rel. L2 2.7e-6, rel. max 4.7e-6 on the synthetic signal).
    "cfp": {"float32": Tolerance(rel_l2=2e-5, rel_max=5e-5), "float64": Tolerance(rel_l2=1e-10, rel_max=1e-10)},
}


#: float32 limits of ``nnaudio check`` per transform (``rel_l2``, ``rel_max``, ``abs_max``), each
#: 2-10x above the worst torch-vs-JAX error measured at the transform's default configuration on
#: the built-in 3 s signal ("built-in") and on two espeak-ng speech files at 22.05 kHz ("speech",
#: 6.5 s and 7.9 s; CQT1992 on the same files resampled to 88.2 kHz, see
#: :data:`STANDARD_RATES`), per reported part (whole output and each octave). Where a limit is
#: wider than the package's kind row, each backend's own float32 error against a float64 torch
#: result was measured too, to tell float32 rounding from a disagreement. A transform missing
#: here, and every float64 check, uses :data:`CHECK_TOLERANCES`.
FLOAT32_TOLERANCES: dict[str, dict[str, float]] = {
    # measured rel_l2 1.55e-7, rel_max 1.58e-7 built-in; 1.52e-7, 1.61e-7 speech
    "STFT": {"rel_l2": 1e-6, "rel_max": 1e-6},
    # measured rel_l2 1.10e-7, rel_max 3.31e-7 built-in; 1.05e-7, 2.14e-7 speech
    "iSTFT": {"rel_l2": 1e-6, "rel_max": 2e-6},
    # measured rel_l2 1.10e-7, rel_max 1.84e-7 built-in; 1.03e-7, 1.89e-7 speech
    "MelSpectrogram": {"rel_l2": 1e-6, "rel_max": 1e-6},
    # dB output: measured abs_max 8.4e-5 dB built-in, 3.0e-4 dB speech (rel_l2 <= 3.7e-7)
    "MFCC": {"abs_max": 1e-3},
    # measured rel_l2 2.82e-7, rel_max 4.14e-7 built-in; 3.10e-7, 6.45e-7 speech
    "Gammatonegram": {"rel_l2": 1e-6, "rel_max": 3e-6},
    # measured rel_l2 3.44e-6, rel_max 6.06e-6 built-in; 2.45e-5, 6.80e-5 speech. float32 rounding
    # amplified by the spectrum/cepstrum powers, not a disagreement: torch alone is 1.9e-5 /
    # 3.9e-5 from float64 on the same speech, JAX 2.2e-5 / 6.1e-5.
    "CFP": {"rel_l2": 1e-4, "rel_max": 3e-4},
    # the same computation as CFP; worst of its four outputs: as CFP (output 0), output 2 at
    # rel_l2 2.18e-5, rel_max 6.08e-5 on speech
    "Combined_Frequency_Periodicity": {"rel_l2": 1e-4, "rel_max": 3e-4},
    # worst part octave 1 (32.7-65 Hz, ~11 000-tap kernels, little energy in either signal):
    # rel_l2 1.50e-6, rel_max 1.25e-6 built-in; 3.05e-6, 4.29e-6 speech (whole output <= 3.4e-7,
    # other octaves <= 5.3e-7). Float32 rounding: torch alone is 2.3e-6 / 3.2e-6 from float64 on
    # the same octave, JAX 2.8e-6 / 3.3e-6.
    "CQT1992v2": {"rel_l2": 1e-5, "rel_max": 2e-5},
    # at 88.2 kHz (its defaults need it): worst part octave 7, rel_l2 5.30e-7, rel_max 1.24e-6
    # built-in; whole output and octaves 1-6 of speech resampled to 88.2 kHz <= 6.3e-7 / 9.6e-7.
    # Its octave 7 (14-27 kHz) is empty there (the speech stops at 11 kHz) and fails at 1.8e-4:
    # rounding relative to nothing, torch alone 1.2e-4 and JAX 1.5e-4 from float64.
    "CQT1992": {"rel_l2": 2e-6, "rel_max": 5e-6},
    # CQT2010, CQT2010v2 and VQT (gamma=0) compute the same: worst part octave 1, rel_l2 1.07e-6,
    # rel_max 7.40e-7 built-in; 1.24e-6, 2.29e-6 speech (float32 alone: torch 2.7e-6 / 3.5e-6
    # from float64, JAX 2.8e-6 / 3.3e-6); other parts <= 2.6e-7 / 5.4e-7
    "CQT2010": {"rel_l2": 5e-6, "rel_max": 1e-5},
    "CQT2010v2": {"rel_l2": 5e-6, "rel_max": 1e-5},
    "VQT": {"rel_l2": 5e-6, "rel_max": 1e-5},
    # 64 CGLS iterations: measured rel_l2 3.33e-6, rel_max 1.82e-5 built-in; 2.68e-5, 1.26e-4
    # speech. Mostly JAX's: its float32 result is 2.7e-5 / 1.3e-4 from float64 on speech, torch's
    # 1.3e-6 / 8.4e-6 (reported as a JAX accuracy issue, not hidden by the margin).
    "iCQT": {"rel_l2": 1e-4, "rel_max": 5e-4},
    # 32 iterations at n_fft=2048 (see REQUIRED_DEFAULTS): measured rel_l2 2.86e-4, rel_max 9.06e-4
    # built-in; 1.16e-4, 1.75e-4 speech. Each backend alone is 1e-4 to 4e-4 from float64: the
    # iteration amplifies float32 rounding, both backends alike.
    "Griffin_Lim": {"rel_l2": 1e-3, "rel_max": 5e-3},
}
