"""Workloads, transform settings and rows of the benchmark.

Everything the runner measures is declared here, so a preset or a row can be read (and changed)
without reading the timing code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "IMPLS",
    "PRESETS",
    "QUICK_PRESETS",
    "ROWS",
    "SETTINGS",
    "Preset",
    "Row",
    "Settings",
    "make_signal",
]


@dataclass(frozen=True)
class Preset:
    """A batch of float32 clips: ``n_clips`` x ``seconds`` at ``sr``."""

    name: str
    n_clips: int
    seconds: float
    sr: int = 22050
    description: str = ""

    @property
    def n_samples(self) -> int:
        return int(round(self.seconds * self.sr))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_clips, self.n_samples)


@dataclass(frozen=True)
class Settings:
    """Transform settings shared by every implementation (one source of truth)."""

    sr: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    n_mfcc: int = 20
    window: str = "hann"
    center: bool = True
    pad_mode: str = "reflect"  # nnAudio2's default; librosa gets it explicitly


@dataclass(frozen=True)
class Row:
    """One task of the table."""

    key: str
    label: str
    backward: bool = False
    #: Rows of a transform family are built by ``bench/family_<family>.py`` (its
    #: ``build(impl, row, inp) -> Case``, raising ``NotApplicableError`` for a missing peer, and
    #: optionally ``targets(add)``), so each family's rows live in one file of their own.
    family: str | None = None


SETTINGS = Settings()

PRESETS: dict[str, Preset] = {
    "W1": Preset("W1", 16, 5.0, description="16 clips x 5 s at 22.05 kHz (float32)"),
    "W2": Preset("W2", 1, 60.0, description="1 clip x 60 s at 22.05 kHz (float32)"),
}

# --quick: same transforms, tiny signals (checks the runner end to end in seconds).
QUICK_PRESETS: dict[str, Preset] = {
    "W1": Preset("W1", 2, 0.5, description="quick: 2 clips x 0.5 s"),
    "W2": Preset("W2", 1, 1.0, description="quick: 1 clip x 1 s"),
}

ROWS: tuple[Row, ...] = (
    Row("stft", "STFT magnitude, n_fft 2048, hop 512"),
    Row("mel", "Mel 128"),
    Row("mfcc", "MFCC 20"),
    Row("istft", "iSTFT (inverse of the complex STFT)"),
    Row("train_mel", "trainable Mel fwd+bwd (mel only)", backward=True),
    Row("train_mel_stft", "trainable Mel fwd+bwd (mel + STFT, 4.33 M)", backward=True),
    Row("gammatone", "Gammatonegram 64 bands, n_fft 2048, hop 512", family="misc"),
    Row("griffin_lim", "Griffin-Lim 32 iterations, n_fft 2048, hop 512", family="misc"),
    Row("cfp", "CFP (nnAudio2 defaults, fs = preset rate)", family="misc"),
    Row("cqt1992v2", "CQT1992v2 84 bins from 32.7 Hz, hop 512", family="cqt"),
    Row("cqt2010v2", "CQT2010v2 84 bins from 32.7 Hz, hop 512", family="vqt"),
    Row("vqt", "VQT gamma 20, 84 bins from 32.7 Hz, hop 512", family="vqt"),
    Row("icqt", "iCQT of CQT1992v2 84 bins, hop 512 (2 x 2 s)", family="icqt"),
)

# Column order of the table; the last one is the raw peer (torch.stft / torch.istft).
IMPLS: tuple[str, ...] = ("nnaudio_torch", "nnaudio_jax", "librosa", "nnAudio2", "torch.stft")


def make_signal(preset: Preset, seed: int = 0) -> np.ndarray:
    """Deterministic test batch ``(n_clips, n_samples)``, float32.

    A sum of a few tones with a slow amplitude envelope plus white noise: speech/music-like
    levels, no exact zeros (timing does not depend on the content for any implementation).
    """
    rng = np.random.default_rng(seed)
    n = preset.n_samples
    t = np.arange(n, dtype=np.float64) / preset.sr
    out = np.empty(preset.shape, dtype=np.float32)
    for i in range(preset.n_clips):
        f0 = rng.uniform(80.0, 800.0)
        sig = sum(rng.uniform(0.1, 0.4) * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi)) for k in (1, 2, 3))
        env = 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.2, 2.0) * t)
        sig = sig * env + 0.02 * rng.standard_normal(n)
        out[i] = sig.astype(np.float32)
    return out
