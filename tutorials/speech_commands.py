"""Loader for Google Speech Commands v0.02 (or the synthetic stand-in), 12-class task.

Point it at a local copy of the real data set (``speech_commands_v0.02`` unpacked) or at a folder
made by :mod:`make_keyword_data`; both have this layout::

    ROOT/<word>/<speaker>_nohash_<n>.wav
    ROOT/_background_noise_/*.wav
    ROOT/validation_list.txt, ROOT/testing_list.txt

The 12 classes are those of the standard task (Warden 2018; TensorFlow's ``speech_commands``
example): ``_silence_``, ``_unknown_`` and the ten words yes no up down left right on off stop go.
Files listed in ``validation_list.txt`` / ``testing_list.txt`` form those subsets, every other
word file is training data. Every word outside the ten is ``_unknown_``; as in the reference
pipeline, each subset keeps a random ``unknown_percentage`` % (relative to the number of
command-word clips) of its unknown files and gets ``silence_percentage`` % silence clips.
Silence clips are 1 s segments of the ``_background_noise_`` recordings at a random volume; each
recording is split in time (first 80 % training, next 10 % validation, last 10 % testing) so no
noise segment is shared between subsets. A folder named ``_silence_`` (as in the separately
released v0.02 test set) is read as silence.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SILENCE, UNKNOWN = "_silence_", "_unknown_"
#: Class names in label order (silence 0, unknown 1, then the words, as TensorFlow's example).
CLASSES = (SILENCE, UNKNOWN, *WORDS)
SAMPLE_RATE = 16000
CLIP = SAMPLE_RATE  # samples per clip: 1 s
Subset = Literal["training", "validation", "testing"]
_NOISE_SPAN = {"training": (0.0, 0.8), "validation": (0.8, 0.9), "testing": (0.9, 1.0)}


@dataclass(frozen=True)
class Item:
    """One example: a wav file, or (``path is None``) a silence segment of a noise recording."""

    path: Path | None
    label: int
    noise_file: int = -1
    noise_offset: int = 0
    volume: float = 0.0


def _read(path: Path) -> np.ndarray:
    y, sr = sf.read(path, dtype="float32", always_2d=True)
    if sr != SAMPLE_RATE:
        raise ValueError(f"{path}: sampling rate {sr} Hz, expected {SAMPLE_RATE}")
    return np.asarray(y.mean(axis=1))


def fit_length(y: np.ndarray, n: int = CLIP) -> np.ndarray:
    """Zero-pad at the end or cut to ``n`` samples (Speech Commands clips can be shorter than 1 s)."""
    return np.pad(y, (0, n - y.size)) if y.size < n else y[:n]


class SpeechCommands:
    """One subset of the 12-class Speech Commands task.

    Parameters
    ----------
    root : path
        Data set folder (real v0.02 or generated).
    subset : {'training', 'validation', 'testing'}
    silence_percentage, unknown_percentage : float >= 0
        Silence and unknown clips, in % of the number of command-word clips of the subset
        (default 10 each, as the reference pipeline).
    max_per_word : int or None
        Keep at most this many files per word folder (a random, seeded choice): small quick runs
        on the real data set.
    seed : int
        Seeds the unknown subsampling and the silence segments (different per subset).

    Attributes
    ----------
    items : list of Item
    labels : np.ndarray [shape=(n,), dtype=int64]
    """

    def __init__(
        self,
        root: str | Path,
        subset: Subset,
        *,
        silence_percentage: float = 10.0,
        unknown_percentage: float = 10.0,
        max_per_word: int | None = None,
        seed: int = 0,
    ) -> None:
        root = Path(root)
        if subset not in _NOISE_SPAN:
            raise ValueError(f"subset={subset!r} is invalid: must be one of {sorted(_NOISE_SPAN)}")
        if not root.is_dir():
            raise FileNotFoundError(f"{root} is not a folder (expected a Speech Commands v0.02 layout)")
        lists = {}
        for name in ("validation", "testing"):
            f = root / f"{name}_list.txt"
            if not f.exists():
                raise FileNotFoundError(f"{f} is missing: not a Speech Commands v0.02 folder")
            lists[name] = {line.strip().replace("\\", "/") for line in f.read_text().splitlines() if line.strip()}
        rng = np.random.default_rng([seed, list(_NOISE_SPAN).index(subset)])
        words, unknown, silence_files = [], [], []
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "_background_noise_"):
            files = sorted(folder.glob("*.wav"))
            if max_per_word is not None and len(files) > max_per_word:
                keep = np.random.default_rng([seed, 7, *folder.name.encode()]).choice(len(files), max_per_word, False)
                files = [files[i] for i in sorted(keep)]
            for f in files:
                rel = f"{folder.name}/{f.name}"
                which = (
                    "validation" if rel in lists["validation"] else "testing" if rel in lists["testing"] else "training"
                )
                if which != subset:
                    continue
                if folder.name in WORDS:
                    words.append(Item(f, CLASSES.index(folder.name)))
                elif folder.name == SILENCE:
                    silence_files.append(Item(f, CLASSES.index(SILENCE)))
                elif not folder.name.startswith("."):
                    unknown.append(Item(f, CLASSES.index(UNKNOWN)))
        n_unknown = min(len(unknown), math.ceil(len(words) * unknown_percentage / 100))
        chosen = [unknown[i] for i in sorted(rng.choice(len(unknown), n_unknown, replace=False))] if n_unknown else []
        self.noise = [_read(f) for f in sorted((root / "_background_noise_").glob("*.wav"))]
        n_silence = math.ceil(len(words) * silence_percentage / 100)
        if n_silence and not self.noise:
            raise FileNotFoundError(f"{root / '_background_noise_'} holds no wav file: cannot make silence clips")
        silence = []
        lo, hi = _NOISE_SPAN[subset]
        for _ in range(n_silence):
            k = int(rng.integers(len(self.noise)))
            n = self.noise[k].size
            start, stop = int(lo * n), max(int(lo * n) + 1, int(hi * n) - CLIP)
            silence.append(Item(None, 0, k, int(rng.integers(start, stop)), float(rng.uniform(0.0, 1.0))))
        self.root, self.subset = root, subset
        self.items: list[Item] = words + chosen + silence_files + silence
        self.labels = np.array([it.label for it in self.items], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        """``(waveform float32 [shape=(16000,)], label)``."""
        it = self.items[i]
        if it.path is not None:
            return fit_length(_read(it.path)).astype(np.float32), it.label
        seg = fit_length(self.noise[it.noise_file][it.noise_offset : it.noise_offset + CLIP])
        return (it.volume * seg).astype(np.float32), it.label

    def __iter__(self) -> Iterator[tuple[np.ndarray, int]]:
        return (self[i] for i in range(len(self)))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All examples in memory: ``X`` [shape=(n, 16000), float32] and ``y`` [shape=(n,), int64]."""
        X = np.zeros((len(self), CLIP), dtype=np.float32)
        for i in range(len(self)):
            X[i] = self[i][0]
        return X, self.labels.copy()

    def class_counts(self) -> dict[str, int]:
        """Count the examples of each class."""
        return {c: int((self.labels == k).sum()) for k, c in enumerate(CLASSES)}
