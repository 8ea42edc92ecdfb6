"""Benchmark runner: time each task x implementation, write JSON + markdown, check the targets.

Usage: ``python -m bench [--preset W1|W2|all] [--repeat N] [--out DIR] [--quick] [--rows ...]``.

Protocol (the same for every cell): build the transform (not timed), run it ``--warmup`` times
(not timed), then time ``--repeat`` calls one by one with ``time.perf_counter`` and report the
median. Torch forward rows run under ``torch.inference_mode``; JAX functions are compiled ahead
of time (``jax.jit(...).lower(...).compile()``, timed and reported separately as the compile
time) and every timed call ends with ``block_until_ready``. Forward+backward rows compute
``output.sum()`` and its gradient with respect to the trainable kernels only (the input does not
require a gradient). Each cell's output is compared with ``nnaudio_torch``'s (relative L2 norm),
so a cell that computes something else is visible in the JSON.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import importlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("NNAUDIO_DISABLE_CITATION_REMINDER", "1")  # nnAudio2 prints on import otherwise

import numpy as np

from .presets import IMPLS, PRESETS, QUICK_PRESETS, ROWS, SETTINGS, Preset, Row, make_signal

SCHEMA_VERSION = 1
DEFAULT_OUT = Path(__file__).resolve().parent / "results"
JSON_NAME = "results.json"
MD_NAME = "results.md"
# A cell stops timing once this many seconds of timed runs have passed (after at least
# MIN_RUNS runs): keeps the slow nnAudio2 iSTFT from dominating the wall time. The number of
# runs actually made is recorded per cell.
CELL_BUDGET_S = 20.0
MIN_RUNS = 3
# Untimed pause after every timed call: lets the thread pools of the previous call (OpenMP in
# torch, Eigen in XLA) stop spinning before the next call starts, which matters when different
# libraries are timed back to back.
PAUSE_S = 0.01
# A row whose timing window saw more than this many cores of CPU used by other processes is
# timed again (all its implementations), up to --retries times; the attempt with the least
# foreign load is kept and every attempt is recorded in the JSON.
FOREIGN_LIMIT_CORES = 0.2

ROW_BY_KEY = {r.key: r for r in ROWS}


# --------------------------------------------------------------------------------------------
# Cases: one callable per (row, implementation)
# --------------------------------------------------------------------------------------------


@dataclass
class Case:
    """A prepared cell: ``run()`` does one complete call (the thing that is timed)."""

    run: Callable[[], Any]
    result: Callable[[], np.ndarray] | None = None  # value compared with nnaudio_torch's
    compile_s: float | None = None  # JAX: trace + lower + compile
    n_params: int | None = None  # trainable rows: number of trainable parameters
    note: str = ""


@dataclass
class Inputs:
    """What every builder gets: the signal and the complex STFT for the iSTFT row."""

    x: np.ndarray  # (batch, time) float32
    spec: np.ndarray  # (batch, freq, frames, 2) float32: complex STFT (real, imag)

    @property
    def length(self) -> int:
        return int(self.x.shape[-1])


class NotApplicableError(Exception):
    """The implementation has no such task (shown as '-')."""


def _complex_stft_reference(x: np.ndarray) -> np.ndarray:
    """Complex STFT (real, imag) of ``x`` with torch.stft, the input of every iSTFT cell."""
    import torch

    s = SETTINGS
    win = torch.hann_window(s.n_fft, dtype=torch.float32)
    spec = torch.stft(
        torch.from_numpy(x),
        s.n_fft,
        hop_length=s.hop_length,
        window=win,
        center=s.center,
        pad_mode=s.pad_mode,
        return_complex=True,
    )
    return torch.view_as_real(spec).numpy().copy()


# ---- torch helpers ---------------------------------------------------------------------------


def _torch_forward(fn: Callable[[], Any]) -> Case:
    import torch

    def run() -> Any:
        with torch.inference_mode():
            return fn()

    def result() -> np.ndarray:
        return np.asarray(run().detach().numpy())

    return Case(run=run, result=result)


def _torch_fwd_bwd(forward: Callable[[], Any], params: list[Any], mel_param: Any) -> Case:
    def run() -> None:
        for p in params:
            p.grad = None
        forward().sum().backward()

    def result() -> np.ndarray:
        run()
        return mel_param.grad.detach().numpy().copy()

    return Case(run=run, result=result, n_params=int(sum(p.numel() for p in params)))


def build_nnaudio_torch(row: Row, inp: Inputs) -> Case:
    import torch

    import nnaudio_torch as nt

    s = SETTINGS
    x = torch.from_numpy(inp.x)
    common = dict(n_fft=s.n_fft, hop_length=s.hop_length, window=s.window, center=s.center, pad_mode=s.pad_mode)
    if row.key == "stft":
        m = nt.STFT(**common, sr=s.sr, output_format="Magnitude", verbose=False)
        return _torch_forward(lambda: m(x))
    if row.key == "mel":
        m = nt.MelSpectrogram(s.sr, n_mels=s.n_mels, **common, verbose=False)
        return _torch_forward(lambda: m(x))
    if row.key == "mfcc":
        m = nt.MFCC(s.sr, n_mfcc=s.n_mfcc, n_mels=s.n_mels, **common, verbose=False)
        return _torch_forward(lambda: m(x))
    if row.key == "istft":
        m = nt.iSTFT(n_fft=s.n_fft, hop_length=s.hop_length, window=s.window, center=s.center, verbose=False)
        X = torch.from_numpy(inp.spec)
        return _torch_forward(lambda: m(X, length=inp.length))
    if row.key in ("train_mel", "train_mel_stft"):
        m = nt.MelSpectrogram(
            s.sr,
            n_mels=s.n_mels,
            **common,
            trainable_mel=True,
            trainable_STFT=row.key == "train_mel_stft",
            verbose=False,
        )
        params = [p for p in m.parameters() if p.requires_grad]
        return _torch_fwd_bwd(lambda: m(x), params, m.mel_basis)
    raise NotApplicableError


def build_nnaudio2(row: Row, inp: Inputs) -> Case:
    import torch
    from nnAudio2.features import MFCC, STFT, MelSpectrogram, iSTFT

    s = SETTINGS
    x = torch.from_numpy(inp.x)
    common = dict(n_fft=s.n_fft, hop_length=s.hop_length, window=s.window, center=s.center, pad_mode=s.pad_mode)
    if row.key == "stft":
        m = STFT(**common, sr=s.sr, output_format="Magnitude", verbose=False)
        return _torch_forward(lambda: m(x))
    if row.key == "mel":
        m = MelSpectrogram(sr=s.sr, n_mels=s.n_mels, **common, verbose=False)
        return _torch_forward(lambda: m(x))
    if row.key == "mfcc":
        m = MFCC(sr=s.sr, n_mfcc=s.n_mfcc, n_mels=s.n_mels, **common, verbose=False)
        return _torch_forward(lambda: m(x))
    if row.key == "istft":
        m = iSTFT(n_fft=s.n_fft, hop_length=s.hop_length, window=s.window, center=s.center, sr=s.sr, verbose=False)
        X = torch.from_numpy(inp.spec)
        case = _torch_forward(lambda: m(X, onesided=True, length=inp.length))
        case.note = "dense (n_fft x n_fft) conv2d; refresh_win=True (its default)"
        return case
    if row.key in ("train_mel", "train_mel_stft"):
        m = MelSpectrogram(
            sr=s.sr,
            n_mels=s.n_mels,
            **common,
            trainable_mel=True,
            trainable_STFT=row.key == "train_mel_stft",
            verbose=False,
        )
        params = [p for p in m.parameters() if p.requires_grad]
        return _torch_fwd_bwd(lambda: m(x), params, m.mel_basis)
    raise NotApplicableError


def build_torch_peer(row: Row, inp: Inputs) -> Case:
    """The raw peer: ``torch.stft`` (+ a mel matmul), ``torch.istft``."""
    import librosa
    import torch

    s = SETTINGS
    x = torch.from_numpy(inp.x)
    win = torch.hann_window(s.n_fft, dtype=torch.float32)  # periodic, as scipy's get_window('hann')

    def stft() -> Any:
        return torch.stft(
            x,
            s.n_fft,
            hop_length=s.hop_length,
            window=win,
            center=s.center,
            pad_mode=s.pad_mode,
            return_complex=True,
        )

    mel_np = librosa.filters.mel(sr=s.sr, n_fft=s.n_fft, n_mels=s.n_mels).astype(np.float32)
    if row.key == "stft":
        return _torch_forward(lambda: stft().abs())
    if row.key == "mel":
        mel = torch.from_numpy(mel_np)
        return _torch_forward(lambda: torch.matmul(mel, stft().abs().square()))
    if row.key == "istft":
        X = torch.view_as_complex(torch.from_numpy(inp.spec))
        case = _torch_forward(
            lambda: torch.istft(X, s.n_fft, hop_length=s.hop_length, window=win, center=s.center, length=inp.length)
        )
        case.note = "torch.istft"
        return case
    if row.key == "train_mel":
        mel = torch.nn.Parameter(torch.from_numpy(mel_np))
        case = _torch_fwd_bwd(lambda: torch.matmul(mel, stft().abs().square()), [mel], mel)
        case.note = "torch.stft + trainable mel matrix"
        return case
    raise NotApplicableError


def build_librosa(row: Row, inp: Inputs) -> Case:
    import librosa

    s = SETTINGS
    x = inp.x
    common = dict(n_fft=s.n_fft, hop_length=s.hop_length, window=s.window, center=s.center, pad_mode=s.pad_mode)
    if row.key == "stft":
        fn: Callable[[], Any] = lambda: np.abs(librosa.stft(x, **common))  # noqa: E731
    elif row.key == "mel":
        fn = lambda: librosa.feature.melspectrogram(y=x, sr=s.sr, n_mels=s.n_mels, power=2.0, **common)  # noqa: E731
    elif row.key == "mfcc":
        fn = lambda: librosa.feature.mfcc(y=x, sr=s.sr, n_mfcc=s.n_mfcc, n_mels=s.n_mels, **common)  # noqa: E731
    elif row.key == "istft":
        S = inp.spec[..., 0] + 1j * inp.spec[..., 1]
        S = S.astype(np.complex64)
        fn = lambda: librosa.istft(  # noqa: E731
            S, hop_length=s.hop_length, n_fft=s.n_fft, window=s.window, center=s.center, length=inp.length
        )
    else:
        raise NotApplicableError  # not differentiable
    case = Case(run=fn, result=lambda: np.asarray(fn()))
    if row.key == "mfcc":
        case.note = "top_db clipped against the batch maximum (ours and nnAudio2: per clip)"
    return case


def build_nnaudio_jax(row: Row, inp: Inputs) -> Case:
    import jax
    import jax.numpy as jnp
    from flax import nnx

    import nnaudio_jax as nj

    s = SETTINGS
    x = jnp.asarray(inp.x)
    common = dict(n_fft=s.n_fft, hop_length=s.hop_length, window=s.window, center=s.center, pad_mode=s.pad_mode)

    def forward(m: Any, fn: Callable[[Any, Any], Any], arg: Any) -> Case:
        t0 = time.perf_counter()
        compiled = jax.jit(fn).lower(m, arg).compile()
        compile_s = time.perf_counter() - t0

        def run() -> Any:
            return jax.block_until_ready(compiled(m, arg))

        return Case(run=run, result=lambda: np.asarray(run()), compile_s=compile_s)

    if row.key == "stft":
        m = nj.STFT(**common, sr=s.sr, output_format="Magnitude", verbose=False)
        return forward(m, lambda m, x: m(x), x)
    if row.key == "mel":
        m = nj.MelSpectrogram(s.sr, n_mels=s.n_mels, **common, verbose=False)
        return forward(m, lambda m, x: m(x), x)
    if row.key == "mfcc":
        m = nj.MFCC(s.sr, n_mfcc=s.n_mfcc, n_mels=s.n_mels, **common, verbose=False)
        return forward(m, lambda m, x: m(x), x)
    if row.key == "istft":
        m = nj.iSTFT(n_fft=s.n_fft, hop_length=s.hop_length, window=s.window, center=s.center, verbose=False)
        length = inp.length
        return forward(m, lambda m, X: m(X, length=length), jnp.asarray(inp.spec))
    if row.key in ("train_mel", "train_mel_stft"):
        m = nj.MelSpectrogram(
            s.sr,
            n_mels=s.n_mels,
            **common,
            trainable_mel=True,
            trainable_STFT=row.key == "train_mel_stft",
            verbose=False,
        )
        graphdef, params, rest = nnx.split(m, nnx.Param, ...)

        def loss(params: Any, rest: Any, x: Any) -> Any:
            return nnx.merge(graphdef, params, rest)(x).sum()

        t0 = time.perf_counter()
        compiled = jax.jit(jax.grad(loss)).lower(params, rest, x).compile()
        compile_s = time.perf_counter() - t0

        def run() -> Any:
            return jax.block_until_ready(compiled(params, rest, x))

        def result() -> np.ndarray:
            grads = run()
            for path, leaf in jax.tree_util.tree_leaves_with_path(grads):
                if "mel_basis" in jax.tree_util.keystr(path):
                    return np.asarray(leaf)
            raise KeyError("no 'mel_basis' in the JAX gradient tree")

        n_params = int(sum(np.size(leaf) for leaf in jax.tree_util.tree_leaves(params)))
        return Case(run=run, result=result, compile_s=compile_s, n_params=n_params)
    raise NotApplicableError


BUILDERS: dict[str, Callable[[Row, Inputs], Case]] = {
    "nnaudio_torch": build_nnaudio_torch,
    "nnaudio_jax": build_nnaudio_jax,
    "librosa": build_librosa,
    "nnAudio2": build_nnaudio2,
    "torch.stft": build_torch_peer,
}


def family_module(family: str) -> Any:
    """The module ``bench.family_<family>`` that builds and judges one transform family's rows."""
    return importlib.import_module(f"{__package__ or 'bench'}.family_{family}")


def build_case(impl: str, row: Row, inp: Inputs) -> Case:
    """The cell ``(row, impl)``: from the family module for family rows, else from ``BUILDERS``."""
    if row.family is not None:
        return family_module(row.family).build(impl, row, inp)  # type: ignore[no-any-return]
    return BUILDERS[impl](row, inp)


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


class CpuMonitor:
    """CPU used by *other* processes while we time (in cores), from ``/proc/stat`` and ``os.times``.

    The benchmark machine may be shared: a median taken while another process competes for the
    cores is inflated (torch's and XLA's thread pools wait for a time slice). The value is
    recorded per row so a contaminated number can be recognised; it is never used to correct one.
    """

    _HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    @staticmethod
    def _busy_s() -> float | None:
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user/nice
        return (sum(fields) - idle - guest) / CpuMonitor._HZ

    def __init__(self) -> None:
        self.wall = self.busy = self.own = 0.0
        self._t0: tuple[float, float | None, float] | None = None

    def start(self) -> None:
        t = os.times()
        self._t0 = (time.perf_counter(), self._busy_s(), t.user + t.system)

    def stop(self) -> None:
        if self._t0 is None:
            return
        wall0, busy0, own0 = self._t0
        busy1 = self._busy_s()
        t = os.times()
        if busy0 is not None and busy1 is not None:
            self.wall += time.perf_counter() - wall0
            self.busy += busy1 - busy0
            self.own += t.user + t.system - own0
        self._t0 = None

    @property
    def foreign_cores(self) -> float | None:
        if self.wall <= 0:
            return None
        return max(0.0, (self.busy - self.own) / self.wall)


class QuietWaiter:
    """Before a retry, wait (within a budget for the whole run) until other processes go idle."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.waited_s = 0.0

    def wait(self) -> float | None:
        """Sleep in 1 s windows until the foreign load drops below the limit; return the last load."""
        load = None
        while self.waited_s < self.budget_s:
            mon = CpuMonitor()
            mon.start()
            time.sleep(1.0)
            mon.stop()
            self.waited_s += mon.wall
            load = mon.foreign_cores
            if load is None or load <= FOREIGN_LIMIT_CORES:
                break
        return load


def time_cases(
    cases: dict[str, Case],
    *,
    repeat: int,
    warmup: int,
    order: str,
    monitor: CpuMonitor,
    budget_s: float = CELL_BUDGET_S,
) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Warm up every case, then time calls one by one (seconds); GC is off while timing.

    ``order='interleaved'`` times the cases round-robin (one call of each per round), so slow
    drifts and bursts of load from other processes hit every implementation alike and the
    ratios stay comparable; ``'grouped'`` times all calls of one case before the next.
    Every timed call is followed by an untimed ``PAUSE_S`` pause. A case stops after
    ``budget_s`` seconds of timed calls once it has ``MIN_RUNS`` runs. Returns the times and
    the errors (by implementation).
    """
    errors: dict[str, str] = {}
    for impl, case in cases.items():
        try:
            for _ in range(warmup):
                case.run()
        except Exception as exc:
            errors[impl] = f"run: {type(exc).__name__}: {exc}"
    live = [i for i in cases if i not in errors]
    times: dict[str, list[float]] = {i: [] for i in live}
    spent = dict.fromkeys(live, 0.0)

    def one(impl: str) -> None:
        t0 = time.perf_counter()
        cases[impl].run()
        dt = time.perf_counter() - t0
        times[impl].append(dt)
        spent[impl] += dt
        time.sleep(PAUSE_S)

    def done(impl: str) -> bool:
        n = len(times[impl])
        return n >= repeat or (n >= min(MIN_RUNS, repeat) and spent[impl] > budget_s)

    schedule: list[list[str]]
    if order == "interleaved":
        schedule = [live]
    else:
        schedule = [[i] for i in live]
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    monitor.start()
    try:
        for group in schedule:
            active = list(group)
            while active:
                for impl in list(active):
                    try:
                        one(impl)
                    except Exception as exc:
                        errors[impl] = f"run: {type(exc).__name__}: {exc}"
                        active.remove(impl)
                        continue
                    if done(impl):
                        active.remove(impl)
    finally:
        monitor.stop()
        if gc_was_enabled:
            gc.enable()
    return {i: t for i, t in times.items() if i not in errors}, errors


def _rel_err(a: np.ndarray, ref: np.ndarray) -> float | str:
    a = np.asarray(a, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if a.shape != ref.shape:
        a = np.squeeze(a)
        ref = np.squeeze(ref)
    if a.shape != ref.shape:
        return f"shape {a.shape} vs {ref.shape}"
    denom = float(np.linalg.norm(ref))
    return float(np.linalg.norm(a - ref) / denom) if denom > 0 else float(np.linalg.norm(a - ref))


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_preset(
    preset: Preset,
    rows: list[Row],
    impls: list[str],
    *,
    repeat: int,
    warmup: int,
    order: str,
    retries: int,
    waiter: QuietWaiter,
) -> dict[str, Any]:
    """All cells of one preset; returns the JSON-ready record."""
    x = make_signal(preset)
    inp = Inputs(x=x, spec=_complex_stft_reference(x))
    out: dict[str, Any] = {
        "description": preset.description,
        "shape": list(preset.shape),
        "sr": preset.sr,
        "rows": {},
    }
    for row in rows:
        cells: dict[str, dict[str, Any]] = {}
        cases: dict[str, Case] = {}
        for impl in impls:
            t0 = time.perf_counter()
            try:
                cases[impl] = build_case(impl, row, inp)
            except NotApplicableError:
                continue
            except Exception as exc:  # a broken implementation is reported, not fatal
                cells[impl] = {"error": f"build: {type(exc).__name__}: {exc}"}
                continue
            cells[impl] = {"setup_s": round(time.perf_counter() - t0, 4)}
        attempts: list[dict[str, Any]] = []
        best: tuple[dict[str, list[float]], dict[str, str], float | None] | None = None
        for attempt in range(retries + 1):
            monitor = CpuMonitor()
            times, errors = time_cases(cases, repeat=repeat, warmup=warmup, order=order, monitor=monitor)
            fc = monitor.foreign_cores
            attempts.append(
                {
                    "foreign_cpu_cores": fc,
                    "median_ms": {i: statistics.median(t) * 1e3 for i, t in times.items() if t},
                }
            )
            if best is None or (fc is not None and (best[2] is None or fc < best[2])):
                best = (times, errors, fc)
            if fc is None or fc <= FOREIGN_LIMIT_CORES:
                break
            if attempt < retries:
                _log(f"[{preset.name}] {row.key:15s} other processes used {fc:.2f} cores: timing the row again")
                waiter.wait()
        assert best is not None
        times, errors, fc = best
        reference: np.ndarray | None = None
        for impl, case in cases.items():
            cell = cells[impl]
            if impl in errors:
                cell["error"] = errors[impl]
                continue
            t = times[impl]
            cell.update(
                median_ms=statistics.median(t) * 1e3,
                min_ms=min(t) * 1e3,
                times_ms=[round(v * 1e3, 4) for v in t],
                n_runs=len(t),
            )
            if case.compile_s is not None:
                cell["compile_s"] = case.compile_s
            if case.n_params is not None:
                cell["n_params"] = case.n_params
            if case.note:
                cell["note"] = case.note
            if case.result is None:
                continue
            try:
                value = case.result()
            except Exception as exc:
                cell["check_error"] = f"{type(exc).__name__}: {exc}"
                continue
            if impl == "nnaudio_torch":
                reference = value
                cell["rel_err_vs_nnaudio_torch"] = 0.0
            elif reference is not None:
                cell["rel_err_vs_nnaudio_torch"] = _rel_err(value, reference)
        cases.clear()
        gc.collect()
        for impl, cell in cells.items():
            if "error" in cell:
                _log(f"[{preset.name}] {row.key:15s} {impl:14s} ERROR {cell['error']}")
            else:
                extra = f", compile {cell['compile_s']:.2f} s" if "compile_s" in cell else ""
                _log(
                    f"[{preset.name}] {row.key:15s} {impl:14s} {cell['median_ms']:9.2f} ms "
                    f"(min {cell['min_ms']:.2f}, {cell['n_runs']} runs{extra})"
                )
        _log(
            f"[{preset.name}] {row.key:15s} other processes used {fc if fc is None else round(fc, 2)} cores "
            f"(attempt kept: {len(attempts)} made)"
        )
        ratios = {
            "nnAudio2 / ours(torch)": _ratio(cells, "nnAudio2", "nnaudio_torch"),
            "librosa / ours(torch)": _ratio(cells, "librosa", "nnaudio_torch"),
            "jax / torch": _ratio(cells, "nnaudio_jax", "nnaudio_torch"),
        }
        out["rows"][row.key] = {
            "label": row.label,
            "backward": row.backward,
            "impls": cells,
            "ratios": ratios,
            "foreign_cpu_cores": fc,
            "attempts": attempts,
        }
    return out


def _ratio(cells: dict[str, Any], num: str, den: str) -> float | None:
    a = cells.get(num, {}).get("median_ms")
    b = cells.get(den, {}).get("median_ms")
    if a is None or b is None or b <= 0:
        return None
    return float(a / b)


# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------


def evaluate_targets(presets: dict[str, Any]) -> list[dict[str, Any]]:
    """PASS/FAIL of the project's speed targets, from the ratios measured in this run.

    A verdict whose row was timed while other processes used more than ``FOREIGN_LIMIT_CORES``
    cores is kept as measured but marked ``reliable: false``.
    """
    targets: list[dict[str, Any]] = []

    def add(name: str, preset: str, row: str, key: str, threshold: float, higher_is_better: bool) -> None:
        rec = presets.get(preset, {}).get("rows", {}).get(row)
        if rec is None:
            return
        value = rec["ratios"].get(key)
        if value is None:
            status = "NOT MEASURED"
        elif higher_is_better:
            status = "PASS" if value >= threshold else "FAIL"
        else:
            status = "PASS" if value <= threshold else "FAIL"
        fc = rec.get("foreign_cpu_cores")
        targets.append(
            {
                "target": name,
                "preset": preset,
                "row": row,
                "value": value,
                "threshold": threshold,
                "higher_is_better": higher_is_better,
                "status": status,
                "foreign_cpu_cores": fc,
                "reliable": fc is None or fc <= FOREIGN_LIMIT_CORES,
            }
        )

    for row in ("stft", "mel"):
        label = ROW_BY_KEY[row].label.split(",")[0]
        add(f"{label} (torch) >= 4x faster than nnAudio2", "W1", row, "nnAudio2 / ours(torch)", 4.0, True)
        add(f"{label} (torch) no slower than librosa", "W1", row, "librosa / ours(torch)", 1.0, True)
    for pname in presets:
        for row in ("train_mel", "train_mel_stft"):
            label = ROW_BY_KEY[row].label
            add(f"{label} (torch) >= 2x faster than nnAudio2", pname, row, "nnAudio2 / ours(torch)", 2.0, True)
    for pname, pres in presets.items():
        for row in pres["rows"]:
            add(f"JAX within 2x of torch: {ROW_BY_KEY[row].label}", pname, row, "jax / torch", 2.0, False)
    for family in sorted({r.family for r in ROWS if r.family is not None}):
        judge = getattr(family_module(family), "targets", None)
        if judge is not None:
            judge(add)  # the family adds its own targets with the same ``add``
    return targets


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def _fmt_ms(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "-"
    if "error" in cell:
        return "error"
    v = cell["median_ms"]
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def _fmt_ratio(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def render_markdown(record: dict[str, Any]) -> str:
    lines: list[str] = ["# nnaudio-jax benchmark", ""]
    m, v, th = record["machine"], record["versions"], record["threads"]
    lines.append(f"Command: `{record['command']}`  ")
    lines.append(f"Date: {record['created']}  ")
    lines.append(
        f"Machine: {m['cpu_model']}, {m['cpu_count']} CPUs ({m['affinity']} usable), "
        f"{m['mem_gib']} GiB, {m['platform']}; load average before/after: "
        f"{m['loadavg_start']} / {m.get('loadavg_end', '?')}  "
    )
    lines.append("Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + "  ")
    lines.append(
        f"Threads: torch {th['torch_num_threads']} (interop {th['torch_interop_threads']}), "
        f"JAX/XLA: {th['jax_devices']}; env: "
        + (", ".join(f"{k}={val}" for k, val in th["env"].items()) or "no thread variables set")
    )
    lines.append("")
    lines.append(
        f"Median of {record['repeat']} timed runs after {record['warmup']} warm-up runs, in ms "
        f"(lower is better; implementations timed {record['order']}); ratios > 1 mean ours (torch) "
        "is faster. n_fft 2048, hop 512, hann, center, pad_mode 'reflect' everywhere. "
        "Compare ratios from one run only."
    )
    lines.append(
        f"Rows timed while other processes used > {FOREIGN_LIMIT_CORES} cores were retried up to "
        f"{record['retries']} times (the attempt with the least foreign load is kept); "
        f"{record.get('quiet_wait_s', 0)} s were spent waiting for the machine to go idle."
    )
    if record["quick"]:
        lines.append("")
        lines.append("**--quick run: tiny signals, numbers are not meaningful.**")
    for pname, pres in record["presets"].items():
        lines += ["", f"## {pname}: {pres['description']}, input {tuple(pres['shape'])}", ""]
        header = ["task", *IMPLS, "nnAudio2 / ours(torch)", "librosa / ours(torch)", "jax / torch"]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|---|" + "---:|" * (len(header) - 1))
        compile_notes: list[str] = []
        notes: list[str] = []
        for row in pres["rows"].values():
            cells = row["impls"]
            r = row["ratios"]
            vals = [_fmt_ms(cells.get(i)) for i in IMPLS]
            lines.append(
                "| "
                + " | ".join(
                    [
                        row["label"],
                        *vals,
                        _fmt_ratio(r["nnAudio2 / ours(torch)"]),
                        _fmt_ratio(r["librosa / ours(torch)"]),
                        _fmt_ratio(r["jax / torch"]),
                    ]
                )
                + " |"
            )
            jc = cells.get("nnaudio_jax", {})
            if "compile_s" in jc:
                compile_notes.append(f"{row['label']} {jc['compile_s']:.2f}")
            for impl, c in cells.items():
                if "error" in c:
                    notes.append(f"- {row['label']} / {impl}: {c['error'][:300]}")
                if c.get("n_runs") is not None and c["n_runs"] < record["repeat"]:
                    notes.append(
                        f"- {row['label']} / {impl}: {c['n_runs']} timed runs (cell time budget {CELL_BUDGET_S:.0f} s)"
                    )
        lines.append("")
        busy = {k: r.get("foreign_cpu_cores") for k, r in pres["rows"].items()}
        if any(v is not None for v in busy.values()):
            over = [k for k, v in busy.items() if v is not None and v > FOREIGN_LIMIT_CORES]
            lines.append(
                "CPU used by other processes while timing (cores; attempts): "
                + ", ".join(
                    f"{k} {'?' if v is None else f'{v:.2f}'} ({len(pres['rows'][k].get('attempts', []))})"
                    for k, v in busy.items()
                )
                + "."
            )
            if over:
                lines.append(
                    f"**The machine was shared during {', '.join(over)} (> {FOREIGN_LIMIT_CORES} cores after "
                    f"{record['retries']} retries): those medians are inflated and their ratios are not "
                    "reliable either (contention slows multi-threaded implementations more); re-run them on "
                    "an idle machine, e.g. with --rows.**"
                )
            lines.append("")
        if compile_notes:
            lines.append(
                "JAX compile time (trace + lower + compile, not in the medians), s: " + "; ".join(compile_notes) + "."
            )
            lines.append("")
        lines.append(
            "Column notes: torch.stft = `torch.stft(...).abs()`; Mel: `mel @ |torch.stft|^2`; "
            "iSTFT: `torch.istft`; trainable Mel (mel only): torch.stft + a trainable mel matrix. "
            "librosa MFCC clips top_db against the batch maximum (ours and nnAudio2: per clip). "
            "nnAudio2 iSTFT: `iSTFT(...)(X, onesided=True, length=...)`."
        )
        if notes:
            lines += ["", *notes]
        acc = []
        for key, row in pres["rows"].items():
            for impl, c in row["impls"].items():
                e = c.get("rel_err_vs_nnaudio_torch")
                if impl != "nnaudio_torch" and e is not None:
                    acc.append(f"{key}/{impl} {e:.1e}" if isinstance(e, float) else f"{key}/{impl} {e}")
        if acc:
            lines += [
                "",
                "Output check, relative L2 distance to nnaudio_torch (trainable rows: mel_basis gradient): "
                + "; ".join(acc)
                + ".",
            ]
    lines += ["", "## Targets (evaluated on this run)", ""]
    if record["quick"]:
        lines += ["(--quick run: tiny signals, so these verdicts say nothing about the targets.)", ""]
    for t in record["targets"]:
        val = "n/a" if t["value"] is None else f"{t['value']:.2f}x"
        op = ">=" if t["higher_is_better"] else "<="
        caveat = (
            ""
            if t["reliable"]
            else f" — unreliable: other processes used {t['foreign_cpu_cores']:.2f} cores while this row was timed"
        )
        lines.append(
            f"- **{t['status']}** [{t['preset']}] {t['target']}: {val} (need {op} {t['threshold']:g}x){caveat}"
        )
    n_pass = sum(t["status"] == "PASS" for t in record["targets"])
    n_unreliable = sum(not t["reliable"] for t in record["targets"])
    lines += [
        "",
        f"{n_pass} / {len(record['targets'])} targets pass"
        + (f" ({n_unreliable} verdicts measured on a shared machine)." if n_unreliable else "."),
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _loadavg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def environment() -> dict[str, Any]:
    import torch

    try:
        import jax

        jax_devices = ", ".join(str(d) for d in jax.devices())
    except Exception as exc:  # pragma: no cover - reported, not fatal
        jax_devices = f"unavailable ({exc})"
    env_keys = (
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "XLA_FLAGS",
        "TF_NUM_INTEROP_THREADS",
        "LD_PRELOAD",
        "MALLOC_ARENA_MAX",
        "MALLOC_MMAP_THRESHOLD_",
        "MALLOC_TRIM_THRESHOLD_",
    )
    return {
        "machine": {
            "cpu_model": _cpu_model(),
            "cpu_count": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "mem_gib": _mem_gib(),
            "platform": platform.platform(),
            "loadavg_start": _loadavg(),
        },
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "torch": torch.__version__,
            "jax": _version("jax"),
            "jaxlib": _version("jaxlib"),
            "flax": _version("flax"),
            "librosa": _version("librosa"),
            "nnaudio2": _version("nnaudio2"),
            "nnaudio-jax": _version("nnaudio-jax"),
        },
        "threads": {
            "torch_num_threads": torch.get_num_threads(),
            "torch_interop_threads": torch.get_num_interop_threads(),
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "torch_mkl": torch.backends.mkl.is_available(),
            "torch_mkldnn": torch.backends.mkldnn.is_available(),
            "jax_devices": jax_devices,
            "env": {k: os.environ[k] for k in env_keys if k in os.environ},
        },
    }


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _csv(value: str, allowed: list[str], what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown {what} {bad}; choose from {allowed}")
    return items


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    row_keys = [r.key for r in ROWS]
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", choices=[*PRESETS, "all"], default="all", help="workload (default: all)")
    p.add_argument(
        "--repeat", type=int, default=None, help="timed runs per cell, median reported (default 7; --quick: 2)"
    )
    p.add_argument("--warmup", type=int, default=None, help="untimed runs before timing (default 2; --quick: 1)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--quick", action="store_true", help="tiny signals, 2 repeats: checks the runner end to end")
    p.add_argument(
        "--rows",
        type=lambda s: _csv(s, row_keys, "rows"),
        default=row_keys,
        help="comma-separated rows: " + ",".join(row_keys),
    )
    p.add_argument(
        "--impls",
        type=lambda s: _csv(s, list(IMPLS), "implementations"),
        default=list(IMPLS),
        help="comma-separated implementations: " + ",".join(IMPLS),
    )
    p.add_argument(
        "--order",
        choices=["interleaved", "grouped"],
        default="interleaved",
        help="interleaved (default): one call of each implementation per round; grouped: all "
        "calls of one implementation, then the next",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=None,
        help=f"time a row again when other processes used > {FOREIGN_LIMIT_CORES} cores meanwhile "
        "(default 2; --quick: 0)",
    )
    p.add_argument(
        "--max-wait",
        type=float,
        default=120.0,
        help="seconds (whole run) to spend, before retries, waiting for other processes to go idle (default 120)",
    )
    p.add_argument(
        "--fail-on-error",
        action="store_true",
        help="exit 1 when any of our cells (nnaudio_torch/nnaudio_jax) failed to build or run",
    )
    args = p.parse_args(argv)
    if args.repeat is None:
        args.repeat = 2 if args.quick else 7
    if args.warmup is None:
        args.warmup = 1 if args.quick else 2
    if args.retries is None:
        args.retries = 0 if args.quick else 2
    if args.repeat < 1 or args.warmup < 0 or args.retries < 0:
        p.error("--repeat must be >= 1 and --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    table = QUICK_PRESETS if args.quick else PRESETS
    names = list(PRESETS) if args.preset == "all" else [args.preset]
    rows = [ROW_BY_KEY[k] for k in args.rows]
    impls = [i for i in IMPLS if i in args.impls]  # keep table order; nnaudio_torch first (reference)

    t_start = time.perf_counter()
    record: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv),
        "quick": args.quick,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "order": args.order,
        "retries": args.retries,
        "foreign_limit_cores": FOREIGN_LIMIT_CORES,
        "pause_s": PAUSE_S,
        "cell_budget_s": CELL_BUDGET_S,
        "settings": SETTINGS.__dict__,
        **environment(),
        "presets": {},
    }
    waiter = QuietWaiter(args.max_wait)
    for name in names:
        record["presets"][name] = run_preset(
            table[name],
            rows,
            impls,
            repeat=args.repeat,
            warmup=args.warmup,
            order=args.order,
            retries=args.retries,
            waiter=waiter,
        )
    record["quiet_wait_s"] = round(waiter.waited_s, 1)
    record["machine"]["loadavg_end"] = _loadavg()
    record["targets"] = evaluate_targets(record["presets"])
    record["wall_s"] = round(time.perf_counter() - t_start, 1)

    md = render_markdown(record)
    md += f"\nTotal wall time: {record['wall_s']} s.\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / JSON_NAME).write_text(json.dumps(record, indent=2, default=str) + "\n")
    (args.out / MD_NAME).write_text(md)
    print(md)
    _log(f"wrote {args.out / JSON_NAME} and {args.out / MD_NAME}")
    # A peer that fails (nnAudio2's Griffin_Lim on torch >= 2) is a reported fact, not a bench failure.
    errors = any(
        "error" in c
        for p in record["presets"].values()
        for r in p["rows"].values()
        for impl, c in r["impls"].items()
        if impl.startswith("nnaudio_")
    )
    return 1 if (errors and args.fail_on_error) else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
