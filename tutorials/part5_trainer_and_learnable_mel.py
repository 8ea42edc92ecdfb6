"""Part 5: HuggingFace ``Trainer`` integration, the same model in Flax with optax, fixed vs learnable mel.

nnaudio_torch layers are ordinary ``nn.Module`` objects, so a model that wraps one works with the
HuggingFace ``Trainer`` as it is: it takes ``input_values`` (raw waveforms) and ``labels`` and
returns a ``SequenceClassifierOutput``. Two guard rails for the trainable mel filterbank go in
through the Trainer's own hooks:

* a custom optimizer (``Trainer(optimizers=(opt, scheduler))``) whose parameter groups give the
  mel filterbank 5 % of the learning rate (``nnaudio_torch.frontend_param_groups``);
* a ``TrainerCallback`` that clamps ``mel_basis`` to >= 0 after each optimizer step
  (``nnaudio_torch.project_nonnegative``).

The same model in Flax NNX trains with ``nnx.Optimizer`` and an ``optax.partition`` built by
``nnaudio_jax.frontend_param_groups``. Finally the mel filterbank is trained or kept fixed, over
several seeds in both frameworks, and the test accuracies are reported with their spread.

Run::

    python tutorials/part5_trainer_and_learnable_mel.py            # ~10-15 min on 2 cores
    python tutorials/part5_trainer_and_learnable_mel.py --quick    # CI
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, replace
from typing import Any

import common  # first: sets thread policy and the matplotlib backend
import kws_jax
import kws_torch
import matplotlib.pyplot as plt
import numpy as np
import torch
from flax import nnx
from transformers import PrinterCallback, Trainer, TrainerCallback, TrainingArguments

import nnaudio_torch as nt

FULL = kws_torch.TrainConfig(epochs=25, batch_size=32, lr=3e-3, frontend_lr_scale=0.05, shift_ms=0.0)
QUICK = kws_torch.TrainConfig(epochs=1, batch_size=8, lr=3e-3, frontend_lr_scale=0.05, shift_ms=0.0, max_steps=2)
SEEDS_FULL = (0, 1, 2, 3, 4)
SEEDS_QUICK = (0, 1, 2)


class KeywordDataset(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """``{'input_values': waveform, 'labels': class}`` items, as the Trainer's collator expects."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        self.X, self.y = X, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_values": torch.from_numpy(self.X[i]), "labels": int(self.y[i])}


class NonNegativeMel(TrainerCallback):  # type: ignore[misc]
    """Clamp the mel filterbank to >= 0 after every optimizer step."""

    def on_optimizer_step(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        """Project ``mel_basis`` of ``model`` (the Trainer passes it) onto >= 0."""
        nt.project_nonnegative(model)


def make_trainer(model: torch.nn.Module, train: KeywordDataset, cfg: kws_torch.TrainConfig, output_dir: str) -> Trainer:
    """Build a ``Trainer`` with the front-end parameter groups and the non-negativity callback."""
    opt = torch.optim.AdamW(
        nt.frontend_param_groups(model, cfg.lr, frontend_lr_scale=cfg.frontend_lr_scale), weight_decay=cfg.weight_decay
    )
    constant = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    args = TrainingArguments(
        output_dir=output_dir, per_device_train_batch_size=cfg.batch_size, per_device_eval_batch_size=256,
        num_train_epochs=cfg.epochs, max_steps=cfg.max_steps or -1, seed=cfg.seed, data_seed=cfg.seed,
        use_cpu=True, report_to="none", save_strategy="no", eval_strategy="no", logging_strategy="no",
        disable_tqdm=True, dataloader_num_workers=0,
    )  # fmt: skip
    trainer = Trainer(
        model=model, args=args, train_dataset=train, optimizers=(opt, constant), callbacks=[NonNegativeMel()]
    )
    trainer.remove_callback(PrinterCallback)  # no metrics printout
    return trainer


def run_torch(data: common.Data, cfg: kws_torch.TrainConfig, *, trainable_mel: bool) -> dict[str, Any]:
    """Train the torch ``AudioClassifier`` with the HF Trainer; test accuracy and time."""
    torch.manual_seed(cfg.seed)
    model = kws_torch.AudioClassifier(12, trainable_mel=trainable_mel)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_trainer(model, KeywordDataset(*data["training"]), cfg, tmp)
        t0 = time.perf_counter()
        out = trainer.train()
        seconds = time.perf_counter() - t0
        pred = trainer.predict(KeywordDataset(*data["testing"])).predictions.argmax(-1)
    mel = model.mel.mel_basis.detach().numpy()
    return {
        "test_accuracy": kws_torch.accuracy(pred, data["testing"][1]), "seconds": seconds,
        "steps": int(out.global_step), "mel_min": float(mel.min()),
    }  # fmt: skip


def run_jax(data: common.Data, cfg: kws_torch.TrainConfig, *, trainable_mel: bool) -> dict[str, Any]:
    """Train the Flax ``AudioClassifier`` with optax; test accuracy and time."""
    model = kws_jax.AudioClassifier(12, trainable_mel=trainable_mel, rngs=nnx.Rngs(cfg.seed))
    hist = kws_jax.train(model, {"training": data["training"]}, cfg)
    acc = kws_torch.accuracy(kws_jax.predict(model, data["testing"][0]), data["testing"][1])
    return {
        "test_accuracy": acc,
        "seconds": hist["seconds"],
        "steps": hist["steps"],
        "mel_min": float(model.mel.mel_basis[...].min()),
    }


def main() -> None:
    """HF Trainer run, Flax run, and the fixed-vs-learnable comparison over seeds."""
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    data_dir, out = common.setup(args)
    data = common.load_data(data_dir, max_per_word=args.max_per_word)
    base = QUICK if args.quick else FULL
    seeds = SEEDS_QUICK if args.quick else SEEDS_FULL
    seeds = tuple(args.seed + s for s in seeds)

    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for framework, run in (("PyTorch + HF Trainer", run_torch), ("Flax NNX + optax", run_jax)):
        runs[framework] = {}
        for variant, trainable in (("fixed mel", False), ("learnable mel", True)):
            runs[framework][variant] = []
            for s in seeds:
                r = run(data, replace(base, seed=s, verbose=False), trainable_mel=trainable)
                print(
                    f"{framework}, {variant}, seed {s}: test accuracy {r['test_accuracy']:.3f} ({r['seconds']:.0f} s)"
                )
                runs[framework][variant].append(r)

    stats: dict[str, dict[str, dict[str, float]]] = {}
    for framework, variants in runs.items():
        stats[framework] = {}
        for variant, results in variants.items():
            acc = np.array([r["test_accuracy"] for r in results])
            stats[framework][variant] = {
                "mean": float(acc.mean()),
                "std": float(acc.std(ddof=1)),
                "min": float(acc.min()),
                "max": float(acc.max()),
            }
        diff = np.array(
            [
                b["test_accuracy"] - a["test_accuracy"]
                for a, b in zip(variants["fixed mel"], variants["learnable mel"], strict=True)
            ]
        )
        stats[framework]["learnable - fixed (paired)"] = {
            "mean": float(diff.mean()),
            "std": float(diff.std(ddof=1)),
            "min": float(diff.min()),
            "max": float(diff.max()),
        }

    fig, ax = plt.subplots(figsize=(7, 3.8), constrained_layout=True)
    for k, variants in enumerate(runs.values()):
        for j, results in enumerate(variants.values()):
            acc = [r["test_accuracy"] for r in results]
            xpos = 3 * k + j
            ax.scatter(np.full(len(acc), xpos) + np.linspace(-0.12, 0.12, len(acc)), acc, color=f"C{j}", s=18)
            ax.errorbar(xpos + 0.3, np.mean(acc), yerr=np.std(acc, ddof=1), color=f"C{j}", capsize=4, marker="_", ms=14)
    ax.set_xticks([0, 1, 3, 4], ["fixed", "learnable", "fixed", "learnable"])
    for k, framework in enumerate(runs):
        ax.text(3 * k + 0.5, 1.02, framework, ha="center", transform=ax.get_xaxis_transform(), fontsize=9)
    ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3, axis="y")
    fig.suptitle(f"AudioClassifier (mean log mel + linear): {len(seeds)} seeds, mean +- std", y=1.06, fontsize=10)
    fig.savefig(out / "part5_fixed_vs_learnable.png", dpi=110, bbox_inches="tight")
    plt.close(fig)

    summary = [
        "# Part 5: HF Trainer, Flax + optax, fixed vs learnable mel",
        "",
        f"Data: {common.describe(data)} clips. Model: `AudioClassifier` (64-band mel on a 2048-point STFT, hop 512, "
        f"log, mean over time, linear layer). {base.epochs} epochs max, batch {base.batch_size}, AdamW lr {base.lr} "
        f"(mel filterbank x {base.frontend_lr_scale}, clamped >= 0 after each step), no augmentation. Seeds {list(seeds)} "
        "(a seed sets the classifier's initialisation and the batch order; the data are the same).",
        "",
        "| framework | variant | test accuracy: mean | std (ddof 1) | min | max |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for framework, variants in stats.items():
        for variant, s in variants.items():
            summary.append(
                f"| {framework} | {variant} | {s['mean']:.3f} | {s['std']:.3f} | {s['min']:.3f} | {s['max']:.3f} |"
            )
    times = {f: np.mean([r["seconds"] for v in runs[f].values() for r in v]) for f in runs}
    summary += ["", "Mean training time per run: " + ", ".join(f"{f} {t:.1f} s" for f, t in times.items()) + "."]
    summary += ["", "Figure: part5_fixed_vs_learnable.png"]
    common.write_results(
        out, "part5", {"config": asdict(base), "seeds": list(seeds), "runs": runs, "stats": stats}, summary
    )


if __name__ == "__main__":
    main()
