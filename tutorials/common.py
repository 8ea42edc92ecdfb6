"""Shared plumbing of the tutorial scripts: command line, data, results files, figures.

Every part takes the same options::

    --quick       a few steps on a few dozen clips (seconds; what CI runs)
    --data PATH   a Speech Commands v0.02 folder (real or generated); generated here when missing
    --out PATH    where figures and results go (default tutorials/results, or
                  tutorials/results/quick with --quick)
    --seed N      training seed
    --max-per-word N   at most N files per word folder (quick looks at the real data set)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Set before numpy/torch/jax start their thread pools: idle OpenMP threads sleep instead of
# spinning, so torch and JAX in one process do not slow each other down on a small machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("NNAUDIO_DISABLE_CITATION_REMINDER", "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from make_keyword_data import EspeakNotFoundError, generate  # noqa: E402
from speech_commands import CLASSES, SpeechCommands  # noqa: E402

HERE = Path(__file__).resolve().parent
#: Data set sizes: full runs and --quick runs (see make_keyword_data.generate).
FULL_DATA = {"n_speakers": 250, "unknown_per_speaker": 6, "noise_seconds": 30.0, "seed": 0}
QUICK_DATA = {"n_speakers": 6, "unknown_per_speaker": 2, "noise_seconds": 4.0, "seed": 0}
SUBSETS = ("training", "validation", "testing")
Data = dict[str, tuple[np.ndarray, np.ndarray]]


def parser(description: str) -> argparse.ArgumentParser:
    """Build the command line shared by all parts."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a few steps on a few dozen clips (for CI)")
    p.add_argument("--data", type=Path, default=None, help="Speech Commands v0.02 folder (real or generated)")
    p.add_argument("--out", type=Path, default=None, help="output folder for figures and results")
    p.add_argument("--seed", type=int, default=0, help="training seed")
    p.add_argument(
        "--max-per-word", type=int, default=None, help="use at most this many files per word folder (e.g. real data)"
    )
    return p


def setup(args: argparse.Namespace) -> tuple[Path, Path]:
    """Resolve ``(data, out)`` folders, create ``out`` and generate the data set if needed."""
    out = args.out or (HERE / "results" / "quick" if args.quick else HERE / "results")
    out.mkdir(parents=True, exist_ok=True)
    data = args.data or (out / "data-quick" if args.quick else HERE / "data" / "keywords")
    if not (data / "validation_list.txt").exists():
        try:
            generate(data, **(QUICK_DATA if args.quick else FULL_DATA))
        except EspeakNotFoundError as e:
            raise SystemExit(str(e)) from None
    return data, out


def load_data(root: Path, *, seed: int = 0, max_per_word: int | None = None) -> Data:
    """``{'training': (X, y), 'validation': ..., 'testing': ...}`` held in memory."""
    return {s: SpeechCommands(root, s, seed=seed, max_per_word=max_per_word).arrays() for s in SUBSETS}  # type: ignore[arg-type]


def describe(data: Data) -> str:
    """One line: clips per subset."""
    return ", ".join(f"{s} {len(data[s][1])}" for s in SUBSETS)


def confusion(pred: np.ndarray, y: np.ndarray, n: int = len(CLASSES)) -> np.ndarray:
    """Confusion matrix ``[true, predicted]`` of counts."""
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    return cm


def environment() -> dict[str, Any]:
    """Versions and machine, recorded with every result."""
    import jax
    import torch

    return {
        "python": platform.python_version(), "torch": torch.__version__, "jax": jax.__version__,
        "machine": platform.machine(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
    }  # fmt: skip


def write_results(out: Path, part: str, results: dict[str, Any], summary: list[str]) -> None:
    """Write ``<part>_results.json`` (everything) and ``<part>_results.md`` (the summary lines)."""
    results = {**results, "environment": environment(), "date": time.strftime("%Y-%m-%d %H:%M")}
    (out / f"{part}_results.json").write_text(json.dumps(results, indent=1, default=float))
    (out / f"{part}_results.md").write_text("\n".join(summary) + "\n")
    print("\n".join(summary))


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``(fn(), seconds)``."""
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


def plot_confusion(ax: Any, cm: np.ndarray, title: str) -> None:
    """Row-normalised confusion matrix with counts."""
    rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    labels = [c.strip("_") for c in CLASSES]
    ax.set_xticks(range(len(labels)), labels, rotation=60, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    for i, j in zip(*np.nonzero(cm), strict=True):
        ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=5, color="w" if rates[i, j] > 0.5 else "k")
