"""The figure of ``nnaudio compare``: three spectrograms side by side, rendered with Agg."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ._compare import BackendResult, CompareSpec

__all__ = ["display_images", "plot_comparison"]

_LABELS = {
    "torch": "nnaudio_torch (float32)",
    "jax": "nnaudio_jax, jax.jit (float32)",
    "librosa": "librosa (float64 reference)",
}
_TOP_DB = 80.0


def _to_display(out: np.ndarray, transform: str, ref: float) -> np.ndarray:
    """Magnitude -> dB (stft), power -> dB (mel), MFCC unchanged; dB clipped 80 dB below ``ref``.

    Values at or below librosa's ``amin`` (1e-5 magnitude, 1e-10 power), digital silence
    included, are drawn at the floor (-80 dB), also when the whole reference is silent: without
    this an all-zero output, normalised to its own maximum, would be 0 dB, the loudest colour.
    """
    if transform == "mfcc":
        return out.astype(np.float64)
    factor = 20.0 if transform == "stft" else 10.0
    amin = 1e-5 if transform == "stft" else 1e-10
    mag = np.abs(out.astype(np.float64))
    db = factor * np.log10(np.maximum(mag, amin) / max(ref, amin))
    return np.where(mag <= amin, -_TOP_DB, np.maximum(db, -_TOP_DB))


def display_images(results: dict[str, BackendResult], transform: str) -> dict[str, np.ndarray | None]:
    """Return the arrays :func:`plot_comparison` draws, one per backend (``None``: unavailable).

    Parameters
    ----------
    results : dict of str to BackendResult
        Must contain ``'librosa'`` with an output: its maximum is the 0 dB reference of all three.
    transform : {'stft', 'mel', 'mfcc'}

    Returns
    -------
    dict of str to np.ndarray [shape=(F, T)] or None
        dB re the librosa maximum in ``[-80, 0]`` (stft, mel; silence at -80, the bottom of the
        colour scale), or the MFCCs unchanged.
    """
    ref_out = results["librosa"].out
    assert ref_out is not None
    ref = float(np.max(np.abs(ref_out))) if ref_out.size else 0.0
    return {n: None if r.out is None else _to_display(r.out, transform, ref) for n, r in results.items()}


def plot_comparison(
    path: str,
    *,
    spec: CompareSpec,
    results: dict[str, BackendResult],
    errors: dict[tuple[str, str], tuple[float, float] | None],
    title: str,
) -> None:
    """Write a PNG with the torch, jax and librosa outputs side by side on one colour scale.

    Parameters
    ----------
    path : str
        Output file (PNG).
    spec : CompareSpec
        The compared transform and its parameters (axis labels and extents).
    results : dict of str to BackendResult
        Keys ``'torch'``, ``'jax'``, ``'librosa'``; ``librosa`` must have an output.
    errors : dict of (str, str) to (float, float) or None
        ``(rel L2, rel max)`` per pair, ``None`` where a backend is unavailable.
    title : str
        Figure title.

    Raises
    ------
    OSError
        If the file cannot be written.

    Notes
    -----
    Uses ``matplotlib.figure.Figure`` with the Agg canvas directly, never ``pyplot``: no GUI
    backend is touched and no global matplotlib state changes, so it is safe in-process.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    images = display_images(results, spec.transform)
    ref_img = images["librosa"]
    assert ref_img is not None
    if spec.transform == "mfcc":
        # c0 (overall loudness) is an order of magnitude larger than the rest: scale by c1..
        body = ref_img[1:] if ref_img.shape[0] > 1 else ref_img
        lim = float(np.max(np.abs(body))) or 1.0
        vmin, vmax, cmap = -lim, lim, "coolwarm"
        unit = "MFCC (c0 clipped)" if ref_img.shape[0] > 1 else "MFCC"
    else:
        vmin, vmax, cmap, unit = -_TOP_DB, 0.0, "magma", "dB re max (librosa)"
    n_rows, n_frames = ref_img.shape
    seconds = n_frames * spec.hop_length / spec.sr
    if spec.transform == "stft":
        y_extent, y_label = (0.0, spec.sr / 2.0), "frequency (Hz)"
    elif spec.transform == "mel":
        y_extent, y_label = (-0.5, n_rows - 0.5), "mel band"
    else:
        y_extent, y_label = (-0.5, n_rows - 0.5), "coefficient"

    fig = Figure(figsize=(16, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3, sharey=True)
    mappable = None
    for ax, name in zip(axes, ("torch", "jax", "librosa"), strict=True):
        img = images[name]
        if name == "librosa":
            err = errors[("torch", "jax")]
            sub = "torch vs jax: " + ("n/a" if err is None else f"rel L2 {err[0]:.1e}, rel max {err[1]:.1e}")
        else:
            err = errors[(name, "librosa")]
            sub = "vs librosa: " + ("n/a" if err is None else f"rel L2 {err[0]:.1e}, rel max {err[1]:.1e}")
        ax.set_title(f"{_LABELS[name]}\n{sub}", fontsize=10)
        ax.set_xlabel("time (s)")
        if img is None:
            ax.text(0.5, 0.5, f"{name} unavailable", ha="center", va="center", transform=ax.transAxes)
            continue
        mappable = ax.imshow(
            img,
            origin="lower",
            aspect="auto",
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            extent=(0.0, seconds, *y_extent),
            interpolation="nearest",
        )
    axes[0].set_ylabel(y_label)
    if spec.transform != "stft":
        axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    if mappable is not None:
        fig.colorbar(mappable, ax=list(axes), label=unit, pad=0.01)
    fig.suptitle(title, fontsize=11)
    fig.savefig(path, format="png", dpi=100)
