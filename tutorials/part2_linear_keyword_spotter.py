"""Part 2: a linear keyword spotter with trainable STFT and mel kernels, in PyTorch and Flax NNX.

The model is nnAudio2's README example: a ``MelSpectrogram`` whose Fourier kernels (``stft.wcos``,
``stft.wsin``) and mel filterbank (``mel_basis``) are trainable, the log band energies, and one
linear layer over all 64 x 101 values. It is trained on the 12-class keyword task (10 words,
silence, unknown) in both frameworks with the same recipe:

* AdamW; the front-end kernels get 5 % of the learning rate (``frontend_param_groups`` in
  ``nnaudio_torch`` and ``nnaudio_jax``: torch parameter groups / an ``optax.partition``);
* after every step the mel filters are clamped to >= 0 (``project_nonnegative``);
* random time shifts of +-100 ms as the only augmentation.

Run::

    python tutorials/part2_linear_keyword_spotter.py            # ~2-5 min on 2 cores
    python tutorials/part2_linear_keyword_spotter.py --quick    # CI

Writes ``part2_training.png``, ``part2_results.{json,md}`` and the trained weights
``part2_torch.pt`` / ``part2_jax.npz`` (Part 3 evaluates them).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import common  # first: sets thread policy and the matplotlib backend
import kws_jax
import kws_torch
import matplotlib.pyplot as plt
import numpy as np
import torch
from flax import nnx

#: Training recipe of the full run (Part 3 reuses it when it has to train).
FULL = kws_torch.TrainConfig(epochs=30, batch_size=64, lr=1e-3, frontend_lr_scale=0.05, weight_decay=1e-4)
QUICK = kws_torch.TrainConfig(epochs=2, batch_size=16, lr=1e-3, frontend_lr_scale=0.05, max_steps=3)


def train_torch(data: common.Data, cfg: kws_torch.TrainConfig) -> tuple[kws_torch.KeywordSpotter, dict[str, Any]]:
    """Train the torch model; returns it and its history."""
    torch.manual_seed(cfg.seed)
    model = kws_torch.KeywordSpotter(n_mels=64, n_classes=12, trainable_mel=True, trainable_STFT=True)
    hist = kws_torch.train(model, data, cfg)
    hist["test_accuracy"] = kws_torch.accuracy(kws_torch.predict(model, data["testing"][0]), data["testing"][1])
    return model, hist


def train_jax(data: common.Data, cfg: kws_torch.TrainConfig) -> tuple[kws_jax.KeywordSpotter, dict[str, Any]]:
    """Train the Flax model; returns it and its history."""
    model = kws_jax.KeywordSpotter(
        n_mels=64, n_classes=12, trainable_mel=True, trainable_STFT=True, rngs=nnx.Rngs(cfg.seed)
    )
    hist = kws_jax.train(model, data, cfg)
    hist["test_accuracy"] = kws_torch.accuracy(kws_jax.predict(model, data["testing"][0]), data["testing"][1])
    return model, hist


def main() -> None:
    """Train in both frameworks, plot the validation curves, save the weights."""
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    data_dir, out = common.setup(args)
    data = common.load_data(data_dir, max_per_word=args.max_per_word)
    cfg = replace(QUICK if args.quick else FULL, seed=args.seed)

    model_t, hist_t = train_torch(data, cfg)
    torch.save(model_t.state_dict(), out / "part2_torch.pt")
    model_j, hist_j = train_jax(data, cfg)
    kws_jax.save_npz(model_j, out / "part2_jax.npz")

    fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
    for hist, name in ((hist_t, "PyTorch"), (hist_j, "Flax NNX")):
        ax.plot(np.arange(1, len(hist["val_accuracy"]) + 1), hist["val_accuracy"], marker=".", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Linear keyword spotter, trainable STFT + mel kernels")
    fig.savefig(out / "part2_training.png", dpi=110)
    plt.close(fig)

    n_t, n_fe = kws_torch.n_params(model_t), kws_torch.n_params(model_t, frontend=True)
    summary = [
        "# Part 2: linear keyword spotter with trainable STFT and mel kernels",
        "",
        f"Data: {_data_name(data_dir)}; {common.describe(data)} clips. Model: {n_t} weights ({n_fe} in the "
        f"front-end). {cfg.epochs} epochs max, batch {cfg.batch_size}, AdamW lr {cfg.lr} (front-end x "
        f"{cfg.frontend_lr_scale}), seed {cfg.seed}.",
        "",
        "| framework | test accuracy | best val accuracy | steps | training time |",
        "|---|---:|---:|---:|---:|",
    ]
    for hist, name in ((hist_t, "PyTorch"), (hist_j, "Flax NNX (jit)")):
        summary.append(
            f"| {name} | {hist['test_accuracy']:.3f} | {max(hist['val_accuracy'], default=float('nan')):.3f} | "
            f"{hist['steps']} | {hist['seconds']:.1f} s |"
        )
    summary += ["", "Figure: part2_training.png; weights: part2_torch.pt, part2_jax.npz"]
    results = {"config": asdict(cfg), "torch": hist_t, "jax": hist_j}
    results |= {"n_params": n_t, "n_params_frontend": n_fe, "data": str(data_dir), "counts": common.describe(data)}
    common.write_results(out, "part2", results, summary)


def _data_name(path: Path) -> str:
    return "generated keyword set" if (path / "GENERATED.json").exists() else f"Speech Commands at {path}"


if __name__ == "__main__":
    main()
