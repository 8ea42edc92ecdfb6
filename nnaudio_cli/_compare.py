"""``nnaudio compare``: one transform through nnaudio_torch, nnaudio_jax (jit) and librosa."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._errors import UserError
from ._limits import MAX_REPEAT, MAX_SAMPLES, MAX_SECONDS, MAX_SR, SIZE_LIMITS, bounded_float, bounded_int
from ._signal import read_mono, synthetic_signal

__all__ = ["BackendResult", "CompareSpec", "add_parser", "default_out_path", "relative_errors", "run"]

#: Folder, under the platform's temporary directory, of the figures written without ``--out``.
DEFAULT_OUT_DIR = "nnaudio_compare"


def default_out_path(transform: str, file: str | None) -> str:
    """Return where ``nnaudio compare`` writes its figure when ``--out`` is not given.

    Parameters
    ----------
    transform : str
        The compared transform (``'stft'``, ``'mel'``, ``'mfcc'``).
    file : str or None
        The analysed audio file, ``None`` for the built-in signal.

    Returns
    -------
    str
        ``<temp dir>/nnaudio_compare/<transform>_<file stem or 'synthetic'>.png`` (the temp dir
        is :func:`tempfile.gettempdir`, e.g. ``/tmp``): outside the working directory, one file
        per transform and input, replaced by the next run on the same ones. The folder is not
        created here.
    """
    stem = "synthetic" if file is None else os.path.splitext(os.path.basename(file))[0]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("._") or "audio"
    return os.path.join(tempfile.gettempdir(), DEFAULT_OUT_DIR, f"{transform}_{stem}.png")


Transform = Literal["stft", "mel", "mfcc"]
PadMode = Literal["reflect", "constant"]

TRANSFORMS: tuple[Transform, ...] = ("stft", "mel", "mfcc")
PAD_MODES: tuple[PadMode, ...] = ("reflect", "constant")
DEFAULT_SR = 22050
DEFAULT_SECONDS = 3.0
#: Order of the panels and timing rows; librosa (float64) is the reference.
BACKENDS = ("torch", "jax", "librosa")
PAIRS = (("torch", "librosa"), ("jax", "librosa"), ("torch", "jax"))


@dataclass(frozen=True)
class CompareSpec:
    """Everything that defines one comparison (after defaults are resolved).

    Parameters
    ----------
    transform : {'stft', 'mel', 'mfcc'}
    sr : int
        Sampling rate of the signal in Hz.
    n_fft, hop_length : int
    n_mels : int
        Used by ``'mel'`` and ``'mfcc'``.
    n_mfcc : int
        Used by ``'mfcc'``.
    pad_mode : {'reflect', 'constant'}
    """

    transform: Transform
    sr: int
    n_fft: int
    hop_length: int
    n_mels: int
    n_mfcc: int
    pad_mode: PadMode

    def describe(self) -> str:
        """Return the relevant parameters as ``name=value`` pairs on one line."""
        parts = [f"n_fft={self.n_fft}", f"hop_length={self.hop_length}"]
        if self.transform in ("mel", "mfcc"):
            parts.append(f"n_mels={self.n_mels}")
        if self.transform == "mfcc":
            parts.append(f"n_mfcc={self.n_mfcc}")
        parts.append(f"pad_mode={self.pad_mode}")
        return "  ".join(parts)


@dataclass
class BackendResult:
    """Output and timings of one backend.

    Parameters
    ----------
    name : {'torch', 'jax', 'librosa'}
    out : np.ndarray [shape=(F, T)] or None
        The transform output, ``None`` when the backend is unavailable.
    median_ms : float or None
        Median wall time of one call over ``--repeat`` calls (after the first call).
    compile_ms : float or None
        JAX only: tracing plus XLA compilation, excluded from ``median_ms``.
    unavailable : str or None
        Why the backend could not be used (import failure), else ``None``.
    """

    name: str
    out: np.ndarray | None = None
    median_ms: float | None = None
    compile_ms: float | None = None
    unavailable: str | None = None


# --------------------------------------------------------------------------- arguments


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``compare`` subcommand.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The object returned by ``ArgumentParser.add_subparsers``.

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser; its ``func`` default is :func:`run`.
    """
    p = subparsers.add_parser(
        "compare",
        help="compare nnaudio_torch, nnaudio_jax and librosa on one transform",
        description=(
            "Compute one transform (magnitude STFT, mel spectrogram or MFCC) with nnaudio_torch, "
            "nnaudio_jax (jax.jit) and librosa (float64 reference); print their agreement and "
            "timings and write a PNG with the three spectrograms side by side (by default under the "
            f"platform's temporary directory, {os.path.join(tempfile.gettempdir(), DEFAULT_OUT_DIR)}; the "
            "path is printed)."
        ),
        epilog=(
            f"Limits (so that a typo cannot allocate gigabytes or run for hours): at most {MAX_SAMPLES} samples "
            "are analysed. Exit status: 0 on success, 2 on a usage error or an unreadable input file."
        ),
    )
    p.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="audio file to analyse, mixed to mono at its own sample rate (default: a built-in synthetic test signal)",
    )
    p.add_argument("--transform", choices=TRANSFORMS, default="mel", help="transform to compare (default: mel)")
    p.add_argument(
        "--sr",
        type=bounded_int(1, int(MAX_SR)),
        default=None,
        metavar="SR",
        help=f"sample rate of the synthetic signal, 1 to {MAX_SR:.0f} Hz (default {DEFAULT_SR}); with FILE it must "
        "match the file's rate, which is always used (no resampling)",
    )
    limits = SIZE_LIMITS
    p.add_argument(
        "--n-fft",
        type=bounded_int(1, limits["n_fft"]),
        default=2048,
        metavar="N",
        help=f"FFT size (default 2048; at most {limits['n_fft']})",
    )
    p.add_argument(
        "--hop-length",
        type=bounded_int(1, limits["hop_length"]),
        default=None,
        metavar="H",
        help=f"hop between frames (default n_fft // 4; at most {limits['hop_length']})",
    )
    p.add_argument(
        "--n-mels",
        type=bounded_int(1, limits["n_mels"]),
        default=None,
        metavar="M",
        help=f"mel bands, for mel and mfcc (default 128; at most {limits['n_mels']})",
    )
    p.add_argument(
        "--n-mfcc",
        type=bounded_int(1, limits["n_mfcc"]),
        default=None,
        metavar="K",
        help=f"MFCC coefficients, for mfcc (default 20; at most {limits['n_mfcc']})",
    )
    p.add_argument(
        "--pad-mode",
        choices=PAD_MODES,
        default="reflect",
        help="padding of the centred frames in all three backends (default reflect)",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="PNG",
        help="where to write the figure (default: "
        f"{os.path.join(tempfile.gettempdir(), DEFAULT_OUT_DIR, 'TRANSFORM_NAME.png')}, NAME being the audio "
        "file's stem or 'synthetic'; the folder is created if needed)",
    )
    p.add_argument(
        "--seconds",
        type=bounded_float(0.0, MAX_SECONDS, strict_min=True),
        default=None,
        metavar="S",
        help=f"length of the synthetic signal (default {DEFAULT_SECONDS:g}); with FILE, "
        f"analyse only its first S seconds (default: all of it); 0 < S <= {MAX_SECONDS:g}",
    )
    p.add_argument(
        "--repeat",
        type=bounded_int(1, MAX_REPEAT),
        default=10,
        metavar="R",
        help=f"timed calls per backend; the median is reported (default 10; at most {MAX_REPEAT})",
    )
    p.set_defaults(func=run)
    return p


def _resolve(args: argparse.Namespace, sr: int) -> CompareSpec:
    transform: Transform = args.transform
    if transform == "stft" and args.n_mels is not None:
        raise UserError("--n-mels does not apply to --transform stft")
    if transform != "mfcc" and args.n_mfcc is not None:
        raise UserError(f"--n-mfcc does not apply to --transform {transform}")
    hop = args.hop_length if args.hop_length is not None else max(1, args.n_fft // 4)
    return CompareSpec(
        transform=transform,
        sr=sr,
        n_fft=args.n_fft,
        hop_length=hop,
        n_mels=128 if args.n_mels is None else args.n_mels,
        n_mfcc=20 if args.n_mfcc is None else args.n_mfcc,
        pad_mode=args.pad_mode,
    )


# --------------------------------------------------------------------------- backends


def _build(lib: Any, spec: CompareSpec) -> Any:
    """Build the nnaudio module of ``spec`` from ``nnaudio_torch`` or ``nnaudio_jax`` (same API)."""
    if spec.transform == "stft":
        return lib.STFT(spec.n_fft, hop_length=spec.hop_length, pad_mode=spec.pad_mode, output_format="Magnitude")
    mel_kwargs: dict[str, Any] = dict(
        n_fft=spec.n_fft, n_mels=spec.n_mels, hop_length=spec.hop_length, pad_mode=spec.pad_mode
    )
    if spec.transform == "mel":
        return lib.MelSpectrogram(sr=spec.sr, **mel_kwargs)
    return lib.MFCC(sr=spec.sr, n_mfcc=spec.n_mfcc, **mel_kwargs)


def _timed(call: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def _import_nnaudio(name: str) -> Any:
    """Import ``nnaudio_torch`` / ``nnaudio_jax``; raise ImportError if it lacks the transforms."""
    import importlib

    lib = importlib.import_module(name)
    missing = [c for c in ("STFT", "MelSpectrogram", "MFCC") if not hasattr(lib, c)]
    if missing:
        raise ImportError(f"{name} has no {', '.join(missing)}")
    return lib


def _run_torch(spec: CompareSpec, y: np.ndarray, repeat: int) -> BackendResult:
    try:
        import torch

        nt = _import_nnaudio("nnaudio_torch")
    except ImportError as e:
        return BackendResult("torch", unavailable=str(e))
    module = _build(nt, spec).eval()
    x = torch.from_numpy(y)

    def call() -> Any:
        with torch.inference_mode():
            return module(x)

    out = call().numpy()
    return BackendResult("torch", out=out, median_ms=_timed(call, repeat))


def _run_jax(spec: CompareSpec, y: np.ndarray, repeat: int) -> BackendResult:
    try:
        import jax

        nj = _import_nnaudio("nnaudio_jax")
    except ImportError as e:
        return BackendResult("jax", unavailable=str(e))
    module = _build(nj, spec)
    x = jax.device_put(y)
    t0 = time.perf_counter()
    compiled = jax.jit(lambda m, x: m(x)).lower(module, x).compile()
    compile_ms = 1e3 * (time.perf_counter() - t0)

    def call() -> Any:
        return compiled(module, x).block_until_ready()

    out = np.asarray(call())
    return BackendResult("jax", out=out, median_ms=_timed(call, repeat), compile_ms=compile_ms)


def _run_librosa(spec: CompareSpec, y: np.ndarray, repeat: int) -> BackendResult:
    import librosa

    y64 = y.astype(np.float64)
    common: dict[str, Any] = dict(
        n_fft=spec.n_fft, hop_length=spec.hop_length, window="hann", center=True, pad_mode=spec.pad_mode
    )

    def call() -> np.ndarray:
        if spec.transform == "stft":
            return np.abs(librosa.stft(y64, **common))
        if spec.transform == "mel":
            return librosa.feature.melspectrogram(y=y64, sr=spec.sr, n_mels=spec.n_mels, power=2.0, **common)
        return librosa.feature.mfcc(y=y64, sr=spec.sr, n_mfcc=spec.n_mfcc, n_mels=spec.n_mels, **common)

    try:
        out = call()
    except librosa.util.exceptions.ParameterError as e:
        raise UserError(f"librosa rejected the arguments: {e}") from None
    return BackendResult("librosa", out=out, median_ms=_timed(call, repeat))


# --------------------------------------------------------------------------- report


def relative_errors(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Relative L2 and relative max error of ``a`` against the reference ``b``.

    Parameters
    ----------
    a, b : np.ndarray [shape=(F, T)]
        Same shape; ``b`` is the reference.

    Returns
    -------
    rel_l2 : float
        ``||a - b||_2 / ||b||_2``.
    rel_max : float
        ``max|a - b| / max|b|``.
        Either is ``0`` when ``a == b`` everywhere and ``inf`` when only ``b`` is all zero.
    """
    if a.shape != b.shape:
        raise RuntimeError(f"backends disagree on the output shape: {a.shape} vs {b.shape}")
    d = a.astype(np.float64) - b.astype(np.float64)
    b = b.astype(np.float64)

    def ratio(num: float, den: float) -> float:
        if den == 0.0:
            return 0.0 if num == 0.0 else float("inf")
        return num / den

    return ratio(float(np.linalg.norm(d)), float(np.linalg.norm(b))), ratio(
        float(np.max(np.abs(d))), float(np.max(np.abs(b)))
    )


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _report(
    results: dict[str, BackendResult], errors: dict[tuple[str, str], tuple[float, float] | None], repeat: int
) -> list[str]:
    lines = ["", f"{'agreement':<18} {'rel L2':>11} {'rel max':>11}"]
    for pair in PAIRS:
        err = errors[pair]
        l2, mx = (None, None) if err is None else err
        lines.append(f"{pair[0] + ' vs ' + pair[1]:<18} {_fmt(l2, '.2e'):>11} {_fmt(mx, '.2e'):>11}")
    lines += ["", f"{'timing':<18} {'median ms':>11} {'compile ms':>11}"]
    for name in BACKENDS:
        r = results[name]
        compile_ms = "-" if r.compile_ms is None and r.unavailable is None else _fmt(r.compile_ms, ".1f")
        lines.append(f"{name:<18} {_fmt(r.median_ms, '.3f'):>11} {compile_ms:>11}")
    lines.append(f"(median of {repeat} call(s) after a first one; jax: jax.jit, compile excluded from the median)")
    for name in BACKENDS:
        if results[name].unavailable is not None:
            lines.append(f"note: {name} unavailable: {results[name].unavailable}")
    return lines


def run(args: argparse.Namespace) -> int:
    """Execute ``nnaudio compare`` with parsed arguments.

    Parameters
    ----------
    args : argparse.Namespace
        As produced by the parser from :func:`add_parser`.

    Returns
    -------
    int
        ``0`` on success.

    Raises
    ------
    UserError
        Unreadable input, inapplicable options, an existing directory as ``--out``.
    nnaudio_shared.ParameterError
        Invalid transform arguments (reported by the caller as one line, exit 2).
    """
    if args.file is None:
        sr = DEFAULT_SR if args.sr is None else args.sr
        seconds = DEFAULT_SECONDS if args.seconds is None else args.seconds
        if not seconds * sr <= MAX_SAMPLES:
            raise UserError(
                f"--seconds {seconds:g} at --sr {sr} is {seconds * sr:.3g} samples: at most {MAX_SAMPLES} are analysed"
            )
        y = synthetic_signal(sr=sr, seconds=seconds)
        source = "synthetic signal"
    else:
        y, sr = read_mono(args.file, seconds=args.seconds, max_samples=MAX_SAMPLES)
        if args.sr is not None and args.sr != sr:
            raise UserError(
                f"--sr {args.sr} differs from the sample rate of {args.file!r} ({sr} Hz); "
                "files are analysed at their own rate (no resampling)"
            )
        source = repr(args.file)
    spec = _resolve(args, sr)
    out = args.out
    if out is None:
        out = default_out_path(args.transform, args.file)
        try:
            os.makedirs(os.path.dirname(out), mode=0o700, exist_ok=True)
        except OSError as e:
            raise UserError(f"cannot create {os.path.dirname(out)!r} for the figure: {e.strerror or e}") from None
    out_path = os.path.abspath(out)
    if os.path.isdir(out_path):
        raise UserError(f"--out {out!r} is a directory")
    if not os.path.isdir(os.path.dirname(out_path)):
        raise UserError(f"cannot write {out!r}: no such directory {os.path.dirname(out_path)!r}")

    results = {
        "torch": _run_torch(spec, y, args.repeat),
        "jax": _run_jax(spec, y, args.repeat),
        "librosa": _run_librosa(spec, y, args.repeat),
    }
    if all(results[n].unavailable is not None for n in ("torch", "jax")):
        raise UserError(
            "neither nnaudio_torch nor nnaudio_jax can be imported: "
            f"{results['torch'].unavailable}; {results['jax'].unavailable}"
        )
    errors: dict[tuple[str, str], tuple[float, float] | None] = {}
    for a, b in PAIRS:
        oa, ob = results[a].out, results[b].out
        errors[(a, b)] = None if oa is None or ob is None else relative_errors(oa, ob)

    ref = results["librosa"].out
    assert ref is not None
    title = f"{spec.transform}: {source}, {y.size / sr:.2f} s ({y.size} samples) @ {sr} Hz"
    print(f"nnaudio compare: {title}")
    print(f"  {spec.describe()}  output shape {ref.shape} (float32 vs float64 librosa)")
    for line in _report(results, errors, args.repeat):
        print(line)

    from ._plot import plot_comparison

    try:
        plot_comparison(out_path, spec=spec, results=results, errors=errors, title=f"{title}\n{spec.describe()}")
    except OSError as e:
        raise UserError(f"cannot write {out!r}: {e.strerror or e}") from None
    print(f"\nwrote {out_path}")
    return 0
