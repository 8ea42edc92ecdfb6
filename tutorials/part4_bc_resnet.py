"""Part 4: a BC-ResNet keyword classifier on the learnable front-end, in PyTorch and Flax NNX.

BC-ResNet (Kim et al., "Broadcasted Residual Learning for Efficient Keyword Spotting",
Interspeech 2021) is a small convolutional network built for this task: each block runs a
frequency-wise depthwise convolution with sub-spectral norm on the 2-D feature map, averages over
frequency, runs a dilated temporal depthwise convolution on the 1-D result and broadcasts it back.
BC-ResNet-1 has about 9 k weights. Here it sits on the same trainable 40-band log mel front-end
(STFT and mel kernels trainable, 5 % learning rate, non-negative mel filters) in both frameworks.

Run::

    python tutorials/part4_bc_resnet.py            # ~10-15 min on 2 cores
    python tutorials/part4_bc_resnet.py --quick    # CI
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any

import common  # first: sets thread policy and the matplotlib backend
import kws_jax
import kws_torch
import matplotlib.pyplot as plt
import numpy as np
import torch
from flax import nnx

FULL = kws_torch.TrainConfig(epochs=30, batch_size=64, lr=3e-3, frontend_lr_scale=0.05, weight_decay=1e-3)
QUICK = kws_torch.TrainConfig(epochs=1, batch_size=8, lr=3e-3, frontend_lr_scale=0.05, max_steps=2)
SCALE = 1  # BC-ResNet-1


def main() -> None:
    """Train BC-ResNet-1 in both frameworks and compare with Part 2's linear model."""
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    data_dir, out = common.setup(args)
    data = common.load_data(data_dir, max_per_word=args.max_per_word)
    cfg = replace(QUICK if args.quick else FULL, seed=args.seed)

    torch.manual_seed(cfg.seed)
    model_t = kws_torch.BCResNet(SCALE, 12, trainable_mel=True, trainable_STFT=True)
    hist_t = kws_torch.train(model_t, data, cfg)
    hist_t["test_accuracy"] = kws_torch.accuracy(kws_torch.predict(model_t, data["testing"][0]), data["testing"][1])

    model_j = kws_jax.BCResNet(SCALE, 12, trainable_mel=True, trainable_STFT=True, rngs=nnx.Rngs(cfg.seed))
    hist_j = kws_jax.train(model_j, data, cfg)
    hist_j["test_accuracy"] = kws_torch.accuracy(kws_jax.predict(model_j, data["testing"][0]), data["testing"][1])

    fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
    for hist, name in ((hist_t, "PyTorch"), (hist_j, "Flax NNX")):
        ax.plot(np.arange(1, len(hist["val_accuracy"]) + 1), hist["val_accuracy"], marker=".", label=name)
    linear = _part2_accuracy(out)
    if linear is not None:
        ax.axhline(linear, color="0.5", ls="--", label="Part 2 linear (test, torch)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(f"BC-ResNet-{SCALE} on a trainable log mel front-end")
    fig.savefig(out / "part4_training.png", dpi=110)
    plt.close(fig)

    params: dict[str, Any] = {
        "torch": {
            "backbone": kws_torch.n_params(model_t, frontend=False),
            "frontend": kws_torch.n_params(model_t, frontend=True),
        },
        "jax": {
            "backbone": kws_jax.n_params(model_j, frontend=False),
            "frontend": kws_jax.n_params(model_j, frontend=True),
        },
    }
    summary = [
        f"# Part 4: BC-ResNet-{SCALE} on the learnable front-end",
        "",
        f"Data: {common.describe(data)} clips. Backbone weights: torch {params['torch']['backbone']}, "
        f"Flax {params['jax']['backbone']} (front-end kernels: {params['torch']['frontend']}). {cfg.epochs} epochs max, "
        f"batch {cfg.batch_size}, AdamW lr {cfg.lr} (front-end x {cfg.frontend_lr_scale}), weight decay "
        f"{cfg.weight_decay}, seed {cfg.seed}.",
        "",
        "| framework | test accuracy | best val accuracy | steps | training time |",
        "|---|---:|---:|---:|---:|",
    ]
    for hist, name in ((hist_t, "PyTorch"), (hist_j, "Flax NNX (jit)")):
        summary.append(
            f"| {name} | {hist['test_accuracy']:.3f} | {max(hist['val_accuracy'], default=float('nan')):.3f} | "
            f"{hist['steps']} | {hist['seconds']:.1f} s |"
        )
    if linear is not None:
        summary += ["", f"Part 2's linear model (PyTorch) on the same test set: {linear:.3f}."]
    summary += ["", "Figure: part4_training.png"]
    results = {"config": asdict(cfg), "torch": hist_t, "jax": hist_j, "params": params, "part2_linear": linear}
    common.write_results(out, "part4", results, summary)


def _part2_accuracy(out: Any) -> float | None:
    f = out / "part2_results.json"
    if not f.exists():
        return None
    return float(json.loads(f.read_text())["torch"]["test_accuracy"])


if __name__ == "__main__":
    main()
