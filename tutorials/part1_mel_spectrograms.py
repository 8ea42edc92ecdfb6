"""Part 1: mel spectrograms with nnaudio_torch and nnaudio_jax, next to librosa.

The same layer exists in both frameworks (same class, arguments and defaults as nnAudio2) and
both match librosa to float32 rounding. This part computes the log mel spectrogram of one keyword
clip with all three, plots them side by side with their differences, and times a batch of clips.

Run::

    python tutorials/part1_mel_spectrograms.py            # writes tutorials/results/part1_*
    python tutorials/part1_mel_spectrograms.py --quick    # CI
"""

from __future__ import annotations

from collections.abc import Callable

import common  # first: sets thread policy and the matplotlib backend
import jax
import librosa
import matplotlib.pyplot as plt
import numpy as np
import torch
from speech_commands import CLASSES, SpeechCommands

import nnaudio_jax as nj
import nnaudio_torch as nt

SR = 16000
#: The Part 2-4 front-end: 30 ms windows, 10 ms hop, 64 bands.
KW = {"sr": SR, "n_fft": 480, "hop_length": 160, "n_mels": 64, "fmin": 0.0, "fmax": None}


def db(S: np.ndarray) -> np.ndarray:
    """Power to dB with an 80 dB floor below the peak (display only)."""
    return np.asarray(librosa.power_to_db(S, ref=np.max, top_db=80.0))


def main() -> None:
    """Compute, compare, plot and time."""
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    data_dir, out = common.setup(args)
    test = SpeechCommands(data_dir, "testing", max_per_word=args.max_per_word)
    idx = next(i for i, it in enumerate(test.items) if it.label == CLASSES.index("yes"))
    x = test[idx][0].astype(np.float32)

    # The same layer in the two frameworks (nnAudio2's defaults: Slaney mel, norm=1, reflect padding).
    mel_torch = nt.MelSpectrogram(**KW)
    mel_jax = nj.MelSpectrogram(**KW)
    S_torch = mel_torch(torch.from_numpy(x)).numpy()
    S_jax = np.asarray(jax.jit(lambda m, x: m(x))(mel_jax, x))
    # librosa with the same conventions (pad_mode='reflect' is nnAudio2's default, librosa's is 'constant').
    S_ref = librosa.feature.melspectrogram(
        y=x.astype(np.float64), sr=SR, n_fft=480, hop_length=160, n_mels=64, fmin=0.0, pad_mode="reflect", norm="slaney",
        htk=False,
    )  # fmt: skip

    def rel(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm(a - b) / np.linalg.norm(b))

    errors = {
        "torch_vs_librosa_rel_l2": rel(S_torch, S_ref), "jax_vs_librosa_rel_l2": rel(S_jax, S_ref),
        "torch_vs_jax_rel_l2": rel(S_torch, S_jax),
        "torch_vs_librosa_max_db": float(np.abs(db(S_torch) - db(S_ref)).max()),
        "jax_vs_librosa_max_db": float(np.abs(db(S_jax) - db(S_ref)).max()),
    }  # fmt: skip

    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6), constrained_layout=True)
    t_end, f_end = len(x) / SR, SR / 2
    for ax, S, title in zip(
        axes[:3], (S_ref, S_torch, S_jax), ("librosa", "nnaudio_torch", "nnaudio_jax"), strict=True
    ):
        im = ax.imshow(db(S), origin="lower", aspect="auto", cmap="magma", extent=(0, t_end, 0, S.shape[0]))
        ax.set_title(f"{title}: MelSpectrogram", fontsize=10)
        ax.set_xlabel("time (s)")
    axes[0].set_ylabel("mel band")
    fig.colorbar(im, ax=axes[2], label="dB")
    diff = np.abs(db(S_torch) - db(S_jax))
    im = axes[3].imshow(diff, origin="lower", aspect="auto", cmap="viridis", extent=(0, t_end, 0, S_ref.shape[0]))
    axes[3].set_title(f"|torch - jax| (max {diff.max():.1e} dB)", fontsize=10)
    axes[3].set_xlabel("time (s)")
    fig.colorbar(im, ax=axes[3], label="dB")
    fig.suptitle(f"'yes' from the keyword test set; 480-point STFT, hop 160, 64 mel bands, 0-{f_end:.0f} Hz")
    fig.savefig(out / "part1_mel.png", dpi=90)
    plt.close(fig)

    # Timing: a batch of clips through each implementation (median of a few calls).
    n_clips = 8 if args.quick else 64
    X = np.stack([test[i % len(test)][0] for i in range(n_clips)]).astype(np.float32)
    jitted = jax.jit(lambda m, x: m(x))
    jitted(mel_jax, X).block_until_ready()  # compile once
    runs = 2 if args.quick else 7
    timings = {
        "nnaudio_torch": _median(lambda: mel_torch(torch.from_numpy(X)), runs),
        "nnaudio_jax": _median(lambda: jitted(mel_jax, X).block_until_ready(), runs),
        "librosa": _median(
            lambda: librosa.feature.melspectrogram(
                y=X, sr=SR, n_fft=480, hop_length=160, n_mels=64, pad_mode="reflect", norm="slaney"
            ),
            runs,
        ),
    }
    summary = [
        "# Part 1: mel spectrograms",
        "",
        f"One 1 s clip ('yes', test set), float32: relative L2 error vs librosa (float64): torch "
        f"{errors['torch_vs_librosa_rel_l2']:.1e}, JAX {errors['jax_vs_librosa_rel_l2']:.1e}; torch vs JAX "
        f"{errors['torch_vs_jax_rel_l2']:.1e}. Max dB difference (80 dB range) vs librosa: torch "
        f"{errors['torch_vs_librosa_max_db']:.1e} dB, JAX {errors['jax_vs_librosa_max_db']:.1e} dB.",
        "",
        f"Median time for {n_clips} clips ({runs} calls): "
        + ", ".join(f"{k} {1000 * v:.1f} ms" for k, v in timings.items())
        + ".",
        "",
        "Figure: part1_mel.png",
    ]
    common.write_results(out, "part1", {"errors": errors, "timing_s": timings, "n_clips": n_clips}, summary)


def _median(fn: Callable[[], object], runs: int) -> float:
    return float(np.median([common.timed(fn)[1] for _ in range(runs)]))


if __name__ == "__main__":
    main()
