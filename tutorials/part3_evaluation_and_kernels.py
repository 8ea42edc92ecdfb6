"""Part 3: evaluate the keyword spotter of Part 2 and look at what its front-end learned.

Loads the weights Part 2 wrote (``part2_torch.pt``, ``part2_jax.npz`` in ``--weights``, by
default the output folder) or, when they are missing, trains the Part 2 models first. Then:

* test accuracy, per-class accuracy and confusion matrices of both frameworks;
* the STFT basis (rows of ``stft.wcos``) and the mel filters (rows of ``mel_basis``) before and
  after training, and how much they moved;
* the log mel spectrogram of one test clip through the initial and the trained front-end.

Run::

    python tutorials/part3_evaluation_and_kernels.py            # after Part 2, or trains itself
    python tutorials/part3_evaluation_and_kernels.py --quick    # CI
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import common  # first: sets thread policy and the matplotlib backend
import kws_jax
import kws_torch
import matplotlib.pyplot as plt
import numpy as np
import part2_linear_keyword_spotter as part2
import torch
from flax import nnx
from speech_commands import CLASSES

SR = 16000


def load_or_train(
    weights: Path, data: common.Data, cfg: kws_torch.TrainConfig
) -> tuple[kws_torch.KeywordSpotter, kws_jax.KeywordSpotter, str]:
    """Return the two trained Part 2 models, and where they came from."""
    pt, npz = weights / "part2_torch.pt", weights / "part2_jax.npz"
    if pt.exists() and npz.exists():
        model_t = kws_torch.KeywordSpotter(trainable_mel=True, trainable_STFT=True)
        model_t.load_state_dict(torch.load(pt, weights_only=True))
        model_j = kws_jax.load_npz(
            kws_jax.KeywordSpotter(trainable_mel=True, trainable_STFT=True, rngs=nnx.Rngs(0)), npz
        )
        return model_t, model_j, f"loaded from {pt.name} and {npz.name}"
    model_t, _ = part2.train_torch(data, cfg)
    model_j, _ = part2.train_jax(data, cfg)
    return model_t, model_j, f"trained here with Part 2's recipe ({cfg.epochs} epochs)"


def main() -> None:
    """Evaluate, plot confusion matrices, kernels and spectrograms."""
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--weights", type=Path, default=None, help="folder with Part 2's weights (default: --out)")
    args = p.parse_args()
    data_dir, out = common.setup(args)
    data = common.load_data(data_dir, max_per_word=args.max_per_word)
    cfg = replace(part2.QUICK if args.quick else part2.FULL, seed=args.seed)
    model_t, model_j, origin = load_or_train(args.weights or out, data, cfg)
    X, y = data["testing"]

    # --- accuracy and confusion -----------------------------------------------------------------
    preds = {"PyTorch": kws_torch.predict(model_t, X), "Flax NNX": kws_jax.predict(model_j, X)}
    cms = {k: common.confusion(v, y) for k, v in preds.items()}
    fig, axes = plt.subplots(1, 2, figsize=(11, 5), constrained_layout=True)
    for ax, (name, cm) in zip(axes, cms.items(), strict=True):
        common.plot_confusion(ax, cm, f"{name}: test accuracy {kws_torch.accuracy(preds[name], y):.3f} (n={len(y)})")
    fig.savefig(out / "part3_confusion.png", dpi=110)
    plt.close(fig)

    # --- kernels before and after -------------------------------------------------------------
    init = kws_torch.log_mel_frontend(64, trainable_mel=True, trainable_STFT=True)  # kernels are deterministic
    trained = model_t.mel
    wcos0, wcos1 = init.stft.wcos.detach().numpy(), trained.stft.wcos.detach().numpy()
    mel0, mel1 = init.mel_basis.detach().numpy(), trained.mel_basis.detach().numpy()
    freqs = np.arange(mel0.shape[1]) * SR / 480

    fig = plt.figure(figsize=(14, 7.5), constrained_layout=True)
    grid = fig.add_gridspec(2, 4)
    t_ms = np.arange(480) / SR * 1000
    for k, b in enumerate((4, 24)):
        ax = fig.add_subplot(grid[0, k])
        ax.plot(t_ms, wcos0[b], color="0.6", lw=1.2, label="initial")
        ax.plot(t_ms, wcos1[b], color="C3", lw=0.8, label="trained")
        ax.set_title(f"STFT basis wcos[{b}] ({freqs[b]:.0f} Hz)", fontsize=9)
        ax.set_xlabel("time (ms)")
        if k == 0:
            ax.legend(fontsize=8)
    for k, (w0, w1, name) in enumerate(
        ((wcos0, wcos1, "wcos"), (init.stft.wsin.detach().numpy(), trained.stft.wsin.detach().numpy(), "wsin"))
    ):
        ax = fig.add_subplot(grid[0, 2 + k])
        lim = np.abs(w1 - w0).max() or 1.0
        im = ax.imshow(w1 - w0, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim,
                       extent=(0, t_ms[-1], 0, SR / 2))  # fmt: skip
        ax.set_title(f"{name}: trained - initial (all bins)", fontsize=9)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("bin frequency (Hz)")
        fig.colorbar(im, ax=ax)
    ax = fig.add_subplot(grid[1, :2])
    for k, m in enumerate((2, 12, 22, 32, 42, 52, 62)):
        ax.plot(freqs, mel0[m], color=f"C{k}", lw=1.0, ls=":")
        ax.plot(freqs, mel1[m], color=f"C{k}", lw=1.0, label=f"band {m}")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("weight")
    ax.legend(fontsize=7, ncols=2)
    ax.set_title("mel filters: initial (dotted) and trained (solid)", fontsize=9)
    ax = fig.add_subplot(grid[1, 2:])
    lim = np.abs(mel1 - mel0).max() or 1.0
    im = ax.imshow(mel1 - mel0, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim,
                   extent=(0, SR / 2, 0, mel0.shape[0]))  # fmt: skip
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("mel band")
    ax.set_title("mel_basis: trained - initial", fontsize=9)
    fig.colorbar(im, ax=ax)
    fig.suptitle(f"Front-end kernels of the PyTorch keyword spotter ({origin})")
    fig.savefig(out / "part3_kernels.png", dpi=90)
    plt.close(fig)

    # --- one clip through the initial and trained front-end ------------------------------------------
    i = int(np.flatnonzero(y == CLASSES.index("left"))[0]) if (y == CLASSES.index("left")).any() else 0
    with torch.no_grad():
        x = torch.from_numpy(X[i : i + 1])
        S0, S1 = (torch.log10(m(x)[0] + 1e-6).numpy() * 10 for m in (init, trained))
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4), constrained_layout=True)
    top = max(S0.max(), S1.max())
    lim = np.abs(S1 - S0).max()
    panels = (
        (S0, "initial front-end", {"cmap": "magma", "vmin": top - 80, "vmax": top}),
        (S1, "trained front-end", {"cmap": "magma", "vmin": top - 80, "vmax": top}),
        (S1 - S0, "trained - initial", {"cmap": "RdBu_r", "vmin": -lim, "vmax": lim}),
    )
    for ax, (S, title, style) in zip(axes, panels, strict=True):
        im = ax.imshow(S, origin="lower", aspect="auto", extent=(0, 1, 0, 64), **style)
        ax.set_title(f"'{CLASSES[y[i]]}': {title} (dB)", fontsize=9)
        ax.set_xlabel("time (s)")
        fig.colorbar(im, ax=ax)
    axes[0].set_ylabel("mel band")
    fig.savefig(out / "part3_spectrogram.png", dpi=110)
    plt.close(fig)

    def rel(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm(a - b) / np.linalg.norm(b))

    kernels = {
        "wcos_rel_change": rel(wcos1, wcos0),
        "wsin_rel_change": rel(trained.stft.wsin.detach().numpy(), init.stft.wsin.detach().numpy()),
        "mel_rel_change": rel(mel1, mel0),
        "mel_weights_now_nonzero_outside_initial_support": int(((mel0 == 0) & (mel1 > 0)).sum()),
        "mel_weights_clamped_to_zero_inside_initial_support": int(((mel0 > 0) & (mel1 == 0)).sum()),
        "mel_min": float(mel1.min()),
    }
    per_class = {
        name: {c: float((pred[y == k] == k).mean()) if (y == k).any() else None for k, c in enumerate(CLASSES)}
        for name, pred in preds.items()
    }
    summary = [
        "# Part 3: evaluation and learned kernels",
        "",
        f"Models: {origin}. Test set: {len(y)} clips.",
        "",
        "| framework | test accuracy | worst class |",
        "|---|---:|---|",
    ]
    for name, pred in preds.items():
        worst = min((v, c) for c, v in per_class[name].items() if v is not None)
        summary.append(f"| {name} | {kws_torch.accuracy(pred, y):.3f} | {worst[1]} ({worst[0]:.2f}) |")
    summary += [
        "",
        f"Kernel change (PyTorch model, relative L2 vs the initial kernels): wcos {kernels['wcos_rel_change']:.3f}, "
        f"wsin {kernels['wsin_rel_change']:.3f}, mel_basis {kernels['mel_rel_change']:.3f}; "
        f"{kernels['mel_weights_now_nonzero_outside_initial_support']} mel weights became non-zero outside the "
        f"initial triangles, {kernels['mel_weights_clamped_to_zero_inside_initial_support']} inside were clamped to 0; "
        f"min weight {kernels['mel_min']:.2g} (the non-negativity guard).",
        "",
        "Figures: part3_confusion.png, part3_kernels.png, part3_spectrogram.png",
    ]
    results = {"origin": origin, "accuracy": {k: kws_torch.accuracy(v, y) for k, v in preds.items()}}
    results |= {"per_class": per_class, "confusion": {k: v.tolist() for k, v in cms.items()}, "kernels": kernels}
    common.write_results(out, "part3", results, summary)


if __name__ == "__main__":
    main()
