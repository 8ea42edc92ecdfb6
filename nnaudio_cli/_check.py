"""``nnaudio check``: one configuration, built in nnaudio_torch and nnaudio_jax, must agree.

:func:`check_consistency` is the Python entry point; :func:`run` the subcommand. Which
transforms exist, how each is fed and split into reported outputs (e.g. per octave), and the
kind of output come from the registry (``nnaudio_shared.REGISTRY``), the tolerances from
:mod:`._tolerances` (a row per kind, and measured float32 rows per transform), so a newly
registered class is checkable without changes here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ._errors import UserError
from ._limits import (
    MAX_DESIGN_SIZE,
    MAX_REPEAT,
    MAX_SAMPLES,
    MAX_SECONDS,
    MAX_SR,
    MAX_TOLERANCE_SCALE,
    MIN_SR,
    bounded_float,
    bounded_int,
    check_constructor_args,
    constructor_parameters,
    describe_size_limits,
    parse_value,
)
from ._signal import read_mono, synthetic_signal
from ._tolerances import CHECK_TOLERANCES, FLOAT32_TOLERANCES, Tolerance

__all__ = ["CheckReport", "OutputError", "add_parser", "check_consistency", "parse_set", "run"]

DEFAULT_SECONDS = 3.0
DEFAULT_REPEAT = 5
EXIT_MISMATCH = 1
Dtype = Literal["float32", "float64"]

#: Values (and why) the check gives constructor arguments that have no default (Griffin_Lim's
#: ``n_fft``) when the configuration leaves them out. An argument missing here takes the
#: registry's example value (``TransformSpec.example``); the report states the choice.
REQUIRED_DEFAULTS: dict[str, tuple[Any, str]] = {"n_fft": (2048, "the default n_fft of STFT and librosa")}

#: Sampling rates tried, in order, for the built-in signal when neither ``sr=`` nor the
#: configuration sets one and the configuration is invalid at the transform's own default rate:
#: the first at which it is valid is used and reported. Only CQT1992 needs it: its default bins
#: (84 from 220 Hz, the top one reaching 27.7 kHz) need 88200 Hz.
STANDARD_RATES: tuple[float, ...] = (22050.0, 44100.0, 48000.0, 88200.0, 96000.0, 176400.0, 192000.0)


@dataclass(frozen=True)
class OutputError:
    """Error of one reported output (JAX against torch).

    Attributes
    ----------
    name : str
        ``'output'``, ``'output 1'`` (tuples) or ``'octave 3 (...)'`` (constant-Q).
    shape : tuple of int
    rel_l2, rel_max, abs_max : float
        ``||j - t|| / ||t||``, ``max|j - t| / max|t|``, ``max|j - t|``.
    exceeded : list of str
        The tolerance limits exceeded (empty: passed).
    """

    name: str
    shape: tuple[int, ...]
    rel_l2: float
    rel_max: float
    abs_max: float
    exceeded: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every limit holds."""
        return not self.exceeded


@dataclass(frozen=True)
class CheckReport:
    """Result of :func:`check_consistency`.

    Attributes
    ----------
    transform : str
        Class name.
    config : dict
        The resolved configuration (``module.config.to_dict()``).
    dtype : {'float32', 'float64'}
    source : str
        ``'synthetic signal'`` or the file name.
    sr : float
        Sampling rate of the signal.
    n_samples : int
    kind : str
        Row of the tolerance table: the transform's name (a row of :data:`FLOAT32_TOLERANCES`) or
        its kind (a row of :data:`CHECK_TOLERANCES`).
    tolerance : Tolerance
        The limits applied (after ``tolerance_scale``).
    outputs : list of OutputError
    torch_ms, jax_ms : float
        Median time of one call (torch eager under ``no_grad``; JAX compiled with ``jax.jit``).
    jax_compile_ms : float
        Tracing plus XLA compilation, excluded from ``jax_ms``.
    repeat : int
    notes : tuple of str
        Choices the check made for the user: a sampling rate other than 22050 for the built-in
        signal, values of constructor arguments without a default.
    """

    transform: str
    config: dict[str, Any]
    dtype: str
    source: str
    sr: float
    n_samples: int
    kind: str
    tolerance: Any
    outputs: list[OutputError]
    torch_ms: float
    jax_ms: float
    jax_compile_ms: float
    repeat: int
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether every output is within the tolerance."""
        return all(o.passed for o in self.outputs)

    def format(self) -> str:
        """Human-readable report (several lines)."""
        width = max(len("output"), *(len(o.name) for o in self.outputs))
        lines = [
            f"nnaudio check: {self.transform}, {self.dtype}, {self.source}, {self.n_samples / self.sr:.2f} s "
            f"({self.n_samples} samples) @ {self.sr:g} Hz",
            f"  config: {json.dumps(self.config, sort_keys=True)}",
            *(f"  note: {note}" for note in self.notes),
            "",
            f"{'output':<{width}}  {'shape':<18} {'rel L2':>9} {'rel max':>9} {'abs max':>9}  status",
        ]
        for o in self.outputs:
            status = "ok" if o.passed else "FAIL: " + "; ".join(o.exceeded)
            lines.append(
                f"{o.name:<{width}}  {str(o.shape):<18} {o.rel_l2:>9.2e} {o.rel_max:>9.2e} {o.abs_max:>9.2e}  {status}"
            )
        lines += [
            f"tolerance ({self.kind}, {self.dtype}): {self.tolerance.describe()}  (JAX against torch)",
            "",
            f"timing, median of {self.repeat} call(s) after a first one:",
            f"  torch (eager, no_grad)  {self.torch_ms:10.3f} ms",
            f"  jax (jax.jit)           {self.jax_ms:10.3f} ms   (compile {self.jax_compile_ms:.1f} ms, not included)",
            "",
            "PASS: torch and JAX agree within the tolerance"
            if self.passed
            else "FAIL: torch and JAX differ by more than the tolerance",
        ]
        return "\n".join(lines)


def _check_design_size(spec: Any, cfg: Mapping[str, Any]) -> None:
    """Refuse, before designing anything, a configuration whose design exceeds :data:`MAX_DESIGN_SIZE`.

    Uses the registry's configuration class (``spec.config``) and its ``design_size()`` estimate
    where they exist; arguments that are not configuration fields (``verbose``, the ``**kwargs`` of
    MFCC) are left out of the estimate.
    """
    import dataclasses

    from nnaudio_shared import ParameterError

    config_cls: Any = getattr(spec, "config", None)
    if not isinstance(config_cls, type) or not dataclasses.is_dataclass(config_cls):
        return
    fields = {f.name for f in dataclasses.fields(config_cls)}
    build: Any = config_cls
    try:
        built = build(**{k: v for k, v in cfg.items() if k in fields})
        estimate = built.design_size()
    except (TypeError, NotImplementedError, AttributeError):  # the constructor reports these
        return
    if estimate > MAX_DESIGN_SIZE:
        raise ParameterError(
            f"the configuration {dict(cfg)} of {spec.name} needs about {estimate:.3g} float64 values of kernels "
            f"and buffers, more than the {MAX_DESIGN_SIZE} the check allows; refused before designing "
            "(e.g. raise fmin, lower n_fft, n_bins or bins_per_octave)"
        )


def _fill_required(spec: Any, cfg: dict[str, Any]) -> list[str]:
    """Give constructor arguments without a default, left out of ``cfg``, a value; return notes.

    Values come from :data:`REQUIRED_DEFAULTS`, else from the registry's example; an argument in
    neither is left for the constructor to report.
    """
    import inspect

    import nnaudio_torch

    init = getattr(nnaudio_torch, spec.name).__init__
    notes = []
    for p in list(inspect.signature(init).parameters.values())[1:]:
        if p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in cfg:
            continue
        if p.name in REQUIRED_DEFAULTS:
            value, why = REQUIRED_DEFAULTS[p.name]
        elif p.name in spec.example:
            value, why = spec.example[p.name], "the registry's example"
        else:
            continue
        cfg[p.name] = value
        notes.append(f"{p.name}={value!r} chosen by the check ({why}): {spec.name} has no default for it")
    return notes


def _choose_rate(spec: Any, cfg: Mapping[str, Any]) -> tuple[float, str] | None:
    """Pick a rate of :data:`STANDARD_RATES` for the built-in signal when ``cfg`` is invalid at its default.

    Returns ``None`` (keep the transform's default rate) when ``cfg`` is valid at it, when no
    standard rate makes it valid, or when the registry has no configuration class to ask.
    """
    import dataclasses

    from nnaudio_shared import ParameterError

    config_cls: Any = getattr(spec, "config", None)
    if spec.sr_arg is None or not isinstance(config_cls, type) or not dataclasses.is_dataclass(config_cls):
        return None
    fields = {f.name for f in dataclasses.fields(config_cls)}
    base = {k: v for k, v in cfg.items() if k in fields}
    try:
        config_cls(**base)
        return None
    except ParameterError as e:
        reason = str(e)
    except (TypeError, ValueError):  # the constructor reports these
        return None
    for rate in STANDARD_RATES:
        try:
            config_cls(**base, **{spec.sr_arg: rate})
        except (ParameterError, TypeError, ValueError):
            continue
        return rate, (
            f"{spec.sr_arg}={rate:g} chosen by the check for the built-in signal: the configuration is "
            f"invalid at the default rate ({reason})"
        )
    return None


def _timed(call: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def _to_numpy(out: Any, convert: Callable[[Any], np.ndarray]) -> Any:
    if isinstance(out, (tuple, list)):
        return tuple(convert(o) for o in out)
    return convert(out)


def check_consistency(
    transform: str,
    config: Mapping[str, Any] | None = None,
    *,
    signal: str | os.PathLike[str] | np.ndarray | None = None,
    sr: float | None = None,
    seconds: float | None = None,
    dtype: Dtype = "float32",
    repeat: int = DEFAULT_REPEAT,
    tolerance_scale: float = 1.0,
) -> CheckReport:
    """Build ``transform`` from one configuration in both backends, run both, compare.

    Parameters
    ----------
    transform : str
        A registered class name or alias, any case (``'MelSpectrogram'``, ``'mel'``, ``'stft'``).
    config : dict or None
        Constructor keywords (the same for both backends; no ``dtype``). An argument without a
        default that is left out (Griffin_Lim's ``n_fft``) takes the value of
        :data:`REQUIRED_DEFAULTS` (``n_fft=2048``), else the registry's example; ``report.notes``
        says so.
    signal : path, np.ndarray [shape=(..., time)] or None
        An audio file (mixed to mono, analysed at its own rate), samples, or ``None`` for the
        built-in synthetic signal.
    sr : float in [1, 768000] or None
        Sampling rate of ``signal`` (array or synthetic; default: the configuration's, else the
        transform's default, 22050 for most). Set as the transform's ``sr`` unless the
        configuration gives one; a file's own rate must then agree. When neither sets it and the
        configuration is invalid at the transform's default rate, the built-in signal is made at
        the first of :data:`STANDARD_RATES` where it is valid (CQT1992's defaults: 88200 Hz), and
        ``report.notes`` says so.
    seconds : float > 0 or None
        Length of the synthetic signal (default 3 s), or the part of a file to analyse. A
        synthetic signal or the part of a file analysed has at most ``2**24`` samples.
    dtype : {'float32', 'float64'}
        Kernel and signal dtype. float64 needs ``jax_enable_x64``.
    repeat : int > 0
        Timed calls per backend (median reported).
    tolerance_scale : float >= 0
        Multiplies every limit of the tolerance table (``0``: any difference fails).

    Returns
    -------
    CheckReport
        ``report.passed`` tells whether every output is within the tolerance: in float32 the
        transform's row of :data:`FLOAT32_TOLERANCES`, otherwise (float64, or a transform not
        in it) :data:`CHECK_TOLERANCES` for its kind and ``dtype``.

    Raises
    ------
    ParameterError
        For an unknown transform, invalid configuration, dtype or signal.
    UserError
        For an unreadable audio file.

    Examples
    --------
    >>> from nnaudio_cli import check_consistency
    >>> report = check_consistency("mel", {"n_fft": 512, "n_mels": 64}, seconds=1.0)
    >>> report.passed
    True
    """
    import jax
    import torch
    from nnaudio_shared import (
        ParameterError,
        check_choice,
        check_float,
        check_int,
        config_dict,
        find_spec,
        relative_errors,
    )

    import nnaudio_jax
    import nnaudio_torch

    spec = find_spec(transform)
    dtype = check_choice("dtype", dtype, ("float32", "float64"))  # type: ignore[assignment]
    repeat = check_int("repeat", repeat, minimum=1)
    tolerance_scale = check_float("tolerance_scale", tolerance_scale, minimum=0.0)
    if dtype == "float64" and not jax.config.read("jax_enable_x64"):
        raise ParameterError("dtype='float64' needs JAX in 64-bit mode: jax.config.update('jax_enable_x64', True)")
    cfg = dict(config or {})
    if "dtype" in cfg:
        raise ParameterError("config must not contain 'dtype': pass dtype= to check_consistency")
    notes = _fill_required(spec, cfg)
    if sr is not None:
        sr = check_float("sr", sr, minimum=MIN_SR, maximum=MAX_SR)
    if seconds is not None:  # before any use (a file read, the synthetic signal, a cut)
        seconds = check_float("seconds", seconds, minimum=0.0, strict_min=True)

    # the sampling rate: a file's own, else sr=, else the configuration's
    y: np.ndarray | None = None
    if isinstance(signal, (str, os.PathLike)):
        y32, file_sr = read_mono(os.fspath(signal), seconds=seconds, max_samples=MAX_SAMPLES)
        y = y32.astype(np.float64)
        if sr is not None and sr != file_sr:
            raise ParameterError(f"sr={sr:g} differs from the sample rate of {os.fspath(signal)!r} ({file_sr} Hz)")
        sr, source = float(file_sr), repr(os.fspath(signal))
    elif signal is not None:
        y = np.asarray(signal, dtype=np.float64)
        if y.ndim == 0 or y.shape[-1] == 0:
            raise ParameterError(f"signal has shape {y.shape}: expected (..., time) with samples")
        source = "given signal"
    else:
        source = "synthetic signal"
    if spec.sr_arg is not None and spec.sr_arg in cfg:  # the signal is made or read at this rate
        cfg[spec.sr_arg] = check_float(spec.sr_arg, cfg[spec.sr_arg], minimum=MIN_SR, maximum=MAX_SR)
    elif y is None and sr is None and (chosen := _choose_rate(spec, cfg)) is not None:
        sr = chosen[0]
        notes.append(chosen[1])
    if spec.sr_arg is not None and sr is not None:
        if spec.sr_arg in cfg and cfg[spec.sr_arg] != sr:
            raise ParameterError(
                f"{spec.sr_arg}={cfg[spec.sr_arg]!r} differs from the signal's sample rate {sr:g} Hz (no resampling)"
            )
        cfg[spec.sr_arg] = sr

    _check_design_size(spec, cfg)

    # one configuration, both backends
    try:  # both backends' resolve_dtype take the dtype's name
        tm = getattr(nnaudio_torch, spec.name)(**cfg, dtype=dtype)
        jm = getattr(nnaudio_jax, spec.name)(**cfg, dtype=dtype)
    except TypeError as e:  # a missing required argument, e.g. Griffin_Lim's n_fft
        raise ParameterError(f"invalid configuration for {spec.name}: {e}") from None
    resolved = config_dict(tm)
    if config_dict(jm) != resolved:  # pragma: no cover - both validate through nnaudio_shared
        raise ParameterError(f"the backends resolve {cfg} differently: {resolved} vs {config_dict(jm)}")
    rate = sr if sr is not None else float(resolved.get(spec.sr_arg or "", 22050.0))
    if y is None:
        rate = check_float(spec.sr_arg or "sr", rate, minimum=MIN_SR, maximum=MAX_SR)
        length = DEFAULT_SECONDS if seconds is None else seconds
        if not length * round(rate) <= MAX_SAMPLES:
            raise ParameterError(
                f"seconds={length:g} is invalid: at {rate:g} Hz that is {length * round(rate):.3g} samples, "
                f"at most {MAX_SAMPLES} are synthesised"
            )
        y = synthetic_signal(sr=int(round(rate)), seconds=length).astype(np.float64)
    elif seconds is not None and source == "given signal":
        y = y[..., : max(1, round(seconds * rate))]
    inp, call_kwargs = spec.make_input(resolved, y)
    inp = np.ascontiguousarray(np.asarray(inp).astype(dtype))

    xt = torch.from_numpy(inp)
    tm.eval()

    def torch_call() -> Any:
        with torch.no_grad():
            return tm(xt, **call_kwargs)

    out_t = _to_numpy(torch_call(), lambda t: t.detach().cpu().numpy())
    torch_ms = _timed(torch_call, repeat)

    xj = jax.device_put(inp)
    t0 = time.perf_counter()
    compiled = jax.jit(lambda m, x: m(x, **call_kwargs)).lower(jm, xj).compile()
    compile_ms = 1e3 * (time.perf_counter() - t0)

    def jax_call() -> Any:
        return jax.block_until_ready(compiled(jm, xj))

    out_j = _to_numpy(jax_call(), np.asarray)
    jax_ms = _timed(jax_call, repeat)

    if dtype == "float32" and spec.name in FLOAT32_TOLERANCES:
        kind, base = spec.name, Tolerance(**FLOAT32_TOLERANCES[spec.name])
    else:
        kind, base = spec.check_kind, CHECK_TOLERANCES[spec.check_kind][dtype]
    tol = Tolerance(**{k: None if v is None else v * tolerance_scale for k, v in vars(base).items()})
    parts_t, parts_j = spec.outputs(resolved, out_t), spec.outputs(resolved, out_j)
    if list(parts_t) != list(parts_j):  # pragma: no cover - same hook on same-shaped outputs
        raise ParameterError(f"the backends' outputs split differently: {list(parts_t)} vs {list(parts_j)}")
    results = []
    for name, t_part in parts_t.items():
        j_part = parts_j[name]
        if np.shape(j_part) != np.shape(t_part):
            raise ParameterError(f"{name}: torch gives shape {np.shape(t_part)}, JAX {np.shape(j_part)}")
        err = relative_errors(j_part, t_part)
        results.append(
            OutputError(name, tuple(np.shape(t_part)), err["rel_l2"], err["rel_max"], err["abs_max"], tol.exceeded(err))
        )
    return CheckReport(
        transform=spec.name,
        config=resolved,
        dtype=dtype,
        source=source,
        sr=float(rate),
        n_samples=int(y.shape[-1]),
        kind=kind,
        tolerance=tol,
        outputs=results,
        torch_ms=torch_ms,
        jax_ms=jax_ms,
        jax_compile_ms=compile_ms,
        repeat=repeat,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- command line


def parse_set(items: list[str], types: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` options; values are JSON (``512``, ``null``, ``["kaiser", 4.0]``) or text.

    Parameters
    ----------
    items : list of str
        The ``--set`` values.
    types : mapping of str to type, or None
        The constructor's annotations: a text-only parameter (``str``, a ``Literal`` of strings)
        takes its text as it is. ``True``/``False``/``None`` are accepted in Python spelling too.

    Returns
    -------
    dict
        Argument name -> value.

    Raises
    ------
    UserError
        For an item without ``=`` or whose key is not a name.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise UserError(f"--set {item!r} is invalid: expected KEY=VALUE with KEY an argument name")
        out[key] = parse_value(text, (types or {}).get(key, Any))
    return out


def _read_config(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    source = "--config"
    if not text.lstrip().startswith(("{", "[")):
        try:
            with open(text, encoding="utf-8") as f:
                text, source = f.read(), repr(text)
        except OSError as e:
            raise UserError(f"cannot read --config {text!r}: {e.strerror or e}") from None
    try:
        value = json.loads(text)
    except ValueError as e:
        raise UserError(f"{source} is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise UserError(f"{source} must be a JSON object of constructor arguments")
    return value


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``check`` subcommand.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The object returned by ``ArgumentParser.add_subparsers``.

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser; its ``func`` default is :func:`run`.
    """
    from nnaudio_shared import REGISTRY

    names = ", ".join(sorted(REGISTRY))
    aliases = ", ".join(sorted(a for spec in REGISTRY.values() for a in spec.aliases))
    p = subparsers.add_parser(
        "check",
        help="build one transform in nnaudio_torch and nnaudio_jax and check that they agree",
        description=(
            "Build a transform from one configuration in both backends, run both on an audio file or a "
            "built-in synthetic signal, and report the relative error of every output (per octave for "
            "constant-Q transforms) and the timings. Tolerances: in float32 a measured row per transform "
            "(nnaudio_cli._tolerances.FLOAT32_TOLERANCES), in float64 a row per kind of output "
            "(nnaudio_cli._tolerances.CHECK_TOLERANCES). Every transform can be checked at its default "
            "configuration: Griffin_Lim, which has no default n_fft, is checked with n_fft=2048 unless "
            "--set gives one, and CQT1992, whose default bins reach 27.7 kHz, on a built-in signal at "
            f"88200 Hz unless --sr or --set sr gives a rate; the report notes such choices. Transforms: {names}."
        ),
        epilog=(
            "Limits (so that a typo cannot allocate gigabytes or run for hours): at most "
            f"{MAX_SAMPLES} samples are analysed; constructor arguments {describe_size_limits()}; "
            f"a design of at most {MAX_DESIGN_SIZE} float64 values; numbers must be finite. "
            "Exit status: 0 when the backends agree, 1 when an error exceeds the tolerance, 2 on a usage "
            "error (bad option or constructor argument, unreadable input)."
        ),
    )
    p.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="audio file (mixed to mono, at its own rate); default: a built-in synthetic signal",
    )
    p.add_argument(
        "--transform",
        "-t",
        required=True,
        metavar="NAME",
        help=f"class name or alias, any case ({names}; aliases {aliases})",
    )
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="constructor argument (repeatable); VALUE is JSON (512, null, true, '[\"kaiser\", 4.0]') or text",
    )
    p.add_argument(
        "--config",
        metavar="JSON",
        help="constructor arguments as a JSON object, or a path to a JSON file (--set overrides its entries)",
    )
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="kernel and signal dtype")
    p.add_argument(
        "--sr",
        type=bounded_float(MIN_SR, MAX_SR),
        default=None,
        metavar="SR",
        help=f"sample rate of the synthetic signal, {MIN_SR:g} to {MAX_SR:g} Hz (default: the configuration's sr, "
        "else the transform's default, else the first of 22050, 44100, 48000, 88200, 96000, 176400, 192000 "
        "at which the configuration is valid)",
    )
    p.add_argument(
        "--seconds",
        type=bounded_float(0.0, MAX_SECONDS, strict_min=True),
        default=None,
        metavar="S",
        help=f"length of the synthetic signal (default {DEFAULT_SECONDS:g}), or of the part of FILE analysed; "
        f"0 < S <= {MAX_SECONDS:g}",
    )
    p.add_argument(
        "--repeat",
        type=bounded_int(1, MAX_REPEAT),
        default=DEFAULT_REPEAT,
        metavar="R",
        help=f"timed calls per backend (median; default {DEFAULT_REPEAT}; at most {MAX_REPEAT})",
    )
    p.add_argument(
        "--tolerance-scale",
        type=bounded_float(0.0, MAX_TOLERANCE_SCALE),
        default=1.0,
        metavar="F",
        help=f"multiply every tolerance by F (default 1; 0 fails on any difference; at most {MAX_TOLERANCE_SCALE:g})",
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Execute ``nnaudio check`` with parsed arguments.

    Returns
    -------
    int
        ``0`` when every output is within the tolerance, ``1`` otherwise.

    Raises
    ------
    UserError, nnaudio_shared.ParameterError
        Reported by the caller as one line, exit status 2.
    """
    from nnaudio_shared import find_spec

    import nnaudio_jax

    cls = getattr(nnaudio_jax, find_spec(args.transform).name)
    types, _ = constructor_parameters(cls)
    config = _read_config(args.config)
    config.update(parse_set(args.settings, types))
    if "dtype" in config:
        raise UserError("the dtype is chosen with --dtype, not as a constructor argument")
    check_constructor_args(cls, config)
    if args.dtype == "float64":
        import jax

        jax.config.update("jax_enable_x64", True)
    report = check_consistency(
        args.transform,
        config,
        signal=args.file,
        sr=args.sr,
        seconds=args.seconds,
        dtype=args.dtype,
        repeat=args.repeat,
        tolerance_scale=args.tolerance_scale,
    )
    print(report.format())
    return 0 if report.passed else EXIT_MISMATCH
