"""Input signals for the command line: audio files (via soundfile) and a synthetic test signal."""

from __future__ import annotations

import os

import numpy as np

from ._errors import UserError

__all__ = ["read_mono", "synthetic_signal"]


def synthetic_signal(*, sr: int, seconds: float, seed: int = 0) -> np.ndarray:
    """Make the deterministic built-in test signal.

    A logarithmic chirp over the whole duration, a harmonic tone at 220 Hz in the first half and
    one at 330 Hz in the second half (five harmonics each, below Nyquist), plus a little white
    noise, normalised to a peak of 0.9.

    Parameters
    ----------
    sr : int > 0
        Sampling rate in Hz.
    seconds : float > 0
        Duration in seconds (at least one sample).
    seed : int
        Seed of the noise generator; the same arguments always give the same samples.

    Returns
    -------
    y : np.ndarray [shape=(n,), dtype=float32]
        ``n = max(1, round(seconds * sr))`` samples.
    """
    n = max(1, round(seconds * sr))
    t = np.arange(n, dtype=np.float64) / sr
    duration = n / sr
    nyquist = sr / 2.0
    # Logarithmic chirp f(t) = f0 * (f1 / f0) ** (t / duration); phase is its integral.
    f0 = min(100.0, 0.05 * nyquist)
    f1 = 0.8 * nyquist
    k = np.log(f1 / f0) / duration
    y = 0.5 * np.sin(2.0 * np.pi * f0 * np.expm1(k * t) / k)
    for f_base, gate in ((220.0, t < duration / 2), (330.0, t >= duration / 2)):
        for h in range(1, 6):
            if h * f_base < nyquist:
                y += gate * (0.4 / h) * np.sin(2.0 * np.pi * h * f_base * t)
    y += 0.01 * np.random.default_rng(seed).standard_normal(n)
    y *= 0.9 / np.max(np.abs(y))
    return y.astype(np.float32)


def read_mono(path: str, *, seconds: float | None = None, max_samples: int | None = None) -> tuple[np.ndarray, int]:
    """Read an audio file, mix it to mono and optionally keep only its beginning.

    Parameters
    ----------
    path : str
        Any file that libsndfile reads (WAV, FLAC, OGG, ...).
    seconds : float > 0 or None
        Keep only the first ``seconds`` seconds; ``None`` keeps everything.
    max_samples : int or None
        Refuse (before reading) to analyse more samples per channel than this.

    Returns
    -------
    y : np.ndarray [shape=(n,), dtype=float32]
        The channel average.
    sr : int
        The file's sampling rate (no resampling).

    Raises
    ------
    UserError
        If the file is missing, a directory, unreadable, not audio, has no samples, NaN or
        infinite samples, or more than ``max_samples`` samples to analyse.
    """
    import soundfile as sf

    def fail(reason: str) -> UserError:
        return UserError(f"cannot read {path!r}: {reason}")

    if os.path.isdir(path):
        raise fail("is a directory")
    try:
        with open(path, "rb") as f, sf.SoundFile(f) as snd:
            sr = snd.samplerate
            n = snd.frames if seconds is None else min(snd.frames, max(1, round(seconds * sr)))
            if max_samples is not None and n > max_samples:
                raise fail(
                    f"{n} samples to analyse, at most {max_samples} allowed"
                    + ("" if seconds is not None else " (analyse a part with --seconds)")
                )
            data = snd.read(n, dtype="float32", always_2d=True)
    except OSError as e:  # missing file, permissions, ...
        raise fail(e.strerror or str(e)) from None
    except (sf.SoundFileError, RuntimeError, ValueError) as e:  # not audio, truncated, ...
        reason = getattr(e, "error_string", "") or str(e)
        raise fail(f"not a readable audio file ({reason.rstrip('.')})") from None
    if data.size == 0:
        raise fail("the file contains no audio samples")
    y = data.mean(axis=1, dtype=np.float64).astype(np.float32)
    if not np.all(np.isfinite(y)):
        raise fail("the file contains NaN or infinite samples")
    return np.ascontiguousarray(y), int(sr)
