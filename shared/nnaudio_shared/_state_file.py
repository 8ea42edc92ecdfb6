"""The state-file format: write, read and bound it.

A safetensors file whose tensors are a module's state by dotted name (``stft.window``,
``mel_basis``, ...) and whose metadata (key ``"nnaudio"``) is a JSON document with the format
version, class name, configuration, kernel dtype, trainable names and, per tensor, its shape,
dtype and SHA-256. Files are untrusted input: every limit below is checked before anything is
designed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._errors import ParameterError
from ._module_state import DTYPES, ModuleState, _is_float, jsonable
from ._registry import TransformSpec, get_spec

__all__ = [
    "DESIGN_BUDGET_FACTOR",
    "DESIGN_BUDGET_FLOOR",
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_FILE_N_ITER",
    "MAX_JSON_DEPTH",
    "MAX_METADATA_BYTES",
    "METADATA_KEY",
    "build_config",
    "check_file_config",
    "parse_metadata",
    "read_state_file",
    "write_state_file",
]

#: Name and version of the state-file format (the ``"format"``/``"format_version"`` metadata).
FORMAT = "nnaudio-jax-state"
FORMAT_VERSION = 1
#: safetensors metadata key that holds the JSON document.
METADATA_KEY = "nnaudio"

# Limits on state files (untrusted input: every limit is checked before anything is designed).
#: Longest accepted JSON metadata (characters); a custom window of 65 536 samples takes ~1.3 MB.
MAX_METADATA_BYTES = 4 * 2**20
#: Deepest accepted nesting of the JSON metadata (the format needs 4; configurations nest 1 more).
MAX_JSON_DEPTH = 16
#: A file's ``n_iter`` (Griffin-Lim, iCQT) may not exceed this: a call runs ``n_iter`` iterations
#: and a compiled JAX loop cannot be interrupted (10**5 iterations at n_fft=2048 already take
#: minutes). Modules built in code are not limited; ``save`` refuses them above it.
MAX_FILE_N_ITER = 100_000
#: A file's configuration may cost at most ``max(DESIGN_BUDGET_FACTOR * (elements of the file's
#: tensors), DESIGN_BUDGET_FLOOR)`` float64 elements of design (``config.design_size()``, an
#: estimate computed before designing), so a small file cannot make ``load`` allocate gigabytes.
DESIGN_BUDGET_FACTOR = 16
DESIGN_BUDGET_FLOOR = 2**24


def build_config(spec: TransformSpec, config: Mapping[str, Any], *, what: str) -> Any:
    """Build the configuration object of ``spec`` from a JSON configuration (no kernel is designed).

    Raises
    ------
    ParameterError
        If the configuration is invalid (any error of the configuration class becomes one).
    """
    if spec.config is None:
        raise ParameterError(f"{what}: {spec.name} declares no configuration class")
    kwargs = {k: (math.inf if k == "norm" and v == "inf" else v) for k, v in config.items()}
    try:
        return spec.config(**kwargs)
    except ParameterError as e:
        raise ParameterError(f"{what}: the configuration does not build a {spec.name}: {e}") from None
    except Exception as e:  # untrusted values: TypeError, OverflowError, ... all mean "invalid"
        raise ParameterError(
            f"{what}: the configuration does not build a {spec.name}: {type(e).__name__}: {e}"
        ) from None


def _integers(config: Mapping[str, Any]) -> list[tuple[str, int]]:
    """``(dotted key, value)`` of every integer (not bool) in a JSON configuration, without recursion."""
    out = []
    stack: list[tuple[str, Any]] = [("", config)]
    while stack:
        key, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((f"{key}.{k}" if key else str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{key}[{i}]", v) for i, v in enumerate(value))
        elif type(value) is int:
            out.append((key, value))
    return out


def check_file_config(
    spec: TransformSpec, config: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]], *, what: str
) -> None:
    """Check a state file's configuration against its declared tensor shapes before designing anything.

    In order, each step bounded by the previous one:

    1. every integer of the configuration that sizes an array (all but ``spec.free_ints``) is at
       most ``max(elements of the declared state, 1024)``, and ``n_iter`` at most
       :data:`MAX_FILE_N_ITER` (so validating the configuration allocates little);
    2. the configuration object is built (validation only) and its ``state_shapes()`` equal the
       declared names and shapes (``-1``: any length);
    3. its ``design_size()`` is within ``max(DESIGN_BUDGET_FACTOR * declared elements,
       DESIGN_BUDGET_FLOOR)``.

    Raises
    ------
    ParameterError
        Naming the field or tensor and the limit.
    """
    elements = sum(math.prod(s) for s in shapes.values())
    limit = max(elements, 1024)
    for key, value in _integers(config):
        field_name = key.rsplit(".", 1)[-1]
        if field_name == "n_iter" and value > MAX_FILE_N_ITER:
            raise ParameterError(
                f"{what}: n_iter={value} is invalid in a state file: at most {MAX_FILE_N_ITER} iterations "
                "(build the module in code for more)"
            )
        if field_name not in spec.free_ints and abs(value) > limit:
            raise ParameterError(
                f"{what}: the configuration's {key}={value} is invalid: larger than the {elements} elements of the "
                f"file's state (at most {limit}), so it cannot describe this state"
            )
    cfg = build_config(spec, config, what=what)
    want = cfg.state_shapes()
    problems = []
    missing, extra = sorted(set(want) - set(shapes)), sorted(set(shapes) - set(want))
    if missing:
        problems.append(f"missing state {missing}")
    if extra:
        problems.append(f"unexpected state {extra}")
    for name in sorted(set(want) & set(shapes)):
        w, got = tuple(want[name]), tuple(shapes[name])
        if len(w) != len(got) or any(a != -1 and a != b for a, b in zip(w, got, strict=False)):
            problems.append(f"{name} has shape {got}, the configuration gives {w}")
    if problems:
        raise ParameterError(f"{what}: " + "; ".join(problems))
    cost, budget = cfg.design_size(), max(DESIGN_BUDGET_FACTOR * elements, DESIGN_BUDGET_FLOOR)
    if cost > budget:
        raise ParameterError(
            f"{what}: the configuration's design needs about {cost} float64 values, more than the budget of "
            f"{budget} for a state of {elements} elements (max({DESIGN_BUDGET_FACTOR} x state, "
            f"{DESIGN_BUDGET_FLOOR})): refused before designing"
        )


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def write_state_file(path: str | os.PathLike[str], state: ModuleState, *, version: str = "") -> None:
    """Write ``state`` as a safetensors file with JSON metadata, atomically.

    The file is serialised in memory, written to a unique temporary file in the target's
    directory, flushed to disk (``fsync``) and renamed over ``path`` (``os.replace``): readers
    see the old file or the new one, never a torn one; of concurrent writers the last rename wins.

    Raises
    ------
    ParameterError
        If ``state`` would make a file that :func:`read_state_file` refuses (its configuration
        exceeds a file limit, see :func:`check_file_config`).
    """
    from safetensors.numpy import save

    spec = get_spec(state.class_name)
    arrays = {k: np.ascontiguousarray(v) for k, v in state.arrays.items()}
    path = os.fspath(path)
    check_file_config(
        spec, jsonable(state.config), {k: tuple(v.shape) for k, v in arrays.items()}, what=f"cannot save {path!r}"
    )
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": version,
        "class": state.class_name,
        "config": jsonable(state.config),
        "dtype": state.dtype,
        "trainable": sorted(state.trainable),
        "state": {
            k: {"shape": list(v.shape), "dtype": np.dtype(v.dtype).name, "sha256": _sha256(v)}
            for k, v in sorted(arrays.items())
        },
    }
    text = json.dumps(meta, sort_keys=True, allow_nan=False)
    if len(text) > MAX_METADATA_BYTES:
        raise ParameterError(
            f"cannot save {path!r}: the metadata has {len(text)} characters, more than the "
            f"{MAX_METADATA_BYTES} a state file may have (a custom window too long?)"
        )
    data = save(arrays, metadata={METADATA_KEY: text})
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    try:  # make the rename durable (POSIX; not possible on Windows)
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _fail(path: str, reason: str) -> ParameterError:
    return ParameterError(f"cannot load {path!r}: {reason}")


def _expect(cond: bool, path: str, reason: str) -> None:
    if not cond:
        raise _fail(path, reason)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _json_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` in a JSON text (strings skipped), computed without recursion."""
    skeleton = _JSON_STRING.sub("", text).encode("utf-8", "replace")
    b = np.frombuffer(skeleton, dtype=np.uint8)
    step = np.isin(b, (ord("["), ord("{"))).astype(np.int64) - np.isin(b, (ord("]"), ord("}")))
    return int(np.max(np.cumsum(step), initial=0))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} overflows a float64")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or abs(int(text)) > 2**63 - 1:
        raise ValueError(f"the integer {text[:30]}{'...' if len(text) > 30 else ''} exceeds 64 bits")
    return int(text)


def parse_metadata(text: Any, path: str) -> dict[str, Any]:
    """Parse the JSON metadata of a state file with bounded size, depth and numbers; check its schema.

    Every field's type is checked exactly (``true`` is not an integer, shapes are lists of
    non-negative integers, names are strings) and no field may be missing or unknown.
    """
    _expect(isinstance(text, str), path, "the metadata is not a string")
    _expect(
        len(text) <= MAX_METADATA_BYTES,
        path,
        f"the metadata has {len(text)} characters, more than the {MAX_METADATA_BYTES} allowed",
    )
    depth = _json_depth(text)
    _expect(depth <= MAX_JSON_DEPTH, path, f"the metadata nests {depth} levels deep, more than {MAX_JSON_DEPTH}")
    try:
        meta = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except (ValueError, RecursionError) as e:
        raise _fail(path, f"the metadata is not valid JSON ({e})") from None
    _expect(
        isinstance(meta, dict) and meta.get("format") == FORMAT, path, f"the metadata is not in the {FORMAT!r} format"
    )
    version = meta.get("format_version")
    _expect(
        type(version) is int and version == FORMAT_VERSION,
        path,
        f"format_version={version!r} is not supported (this library reads version {FORMAT_VERSION})",
    )
    schema = {
        "format": str,
        "format_version": int,
        "library_version": str,
        "class": str,
        "config": dict,
        "dtype": str,
        "trainable": list,
        "state": dict,
    }
    unknown = sorted(set(meta) - set(schema))
    _expect(not unknown, path, f"unknown metadata fields {unknown}")
    for key, kind in schema.items():
        _expect(type(meta.get(key)) is kind, path, f"metadata field {key!r} is missing or not a {kind.__name__}")
    trainable = meta["trainable"]
    _expect(
        all(type(t) is str for t in trainable) and len(set(trainable)) == len(trainable),
        path,
        "metadata field 'trainable' must list distinct state names (strings)",
    )
    for key, entry in meta["state"].items():
        _expect(type(entry) is dict, path, f"metadata of {key!r} is not an object")
        _expect(
            set(entry) == {"shape", "dtype", "sha256"},
            path,
            f"metadata of {key!r} must have exactly the fields shape, dtype, sha256 (has {sorted(entry)})",
        )
        shape = entry["shape"]
        _expect(
            type(shape) is list and all(type(d) is int and d >= 0 for d in shape),
            path,
            f"metadata of {key!r}: shape={shape!r} is not a list of non-negative integers",
        )
        _expect(type(entry["dtype"]) is str, path, f"metadata of {key!r}: dtype is not a string")
        sha = entry["sha256"]
        _expect(
            type(sha) is str and re.fullmatch(r"[0-9a-f]{64}", sha) is not None,
            path,
            f"metadata of {key!r}: sha256 is not 64 lowercase hex digits",
        )
    return meta


def read_state_file(path: str | os.PathLike[str], *, expected: str | None = None) -> ModuleState:
    """Read and validate a state file (format, metadata schema, tensors against metadata, hashes).

    Parameters
    ----------
    path : str or path-like
    expected : str or None
        Class name the file must hold.

    Returns
    -------
    ModuleState

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ParameterError
        If the file is not a complete, consistent state file of this format (truncated, corrupt,
        foreign, edited metadata or tensors), holds another class than ``expected``, or its
        configuration does not describe its tensors or exceeds a file limit
        (:func:`check_file_config`). Nothing is designed before these checks pass.

    Notes
    -----
    Files are untrusted input: the metadata is bounded (:data:`MAX_METADATA_BYTES`,
    :data:`MAX_JSON_DEPTH`, 64-bit integers, finite numbers) and typed exactly; the tensors
    must match their declared shapes, dtypes and SHA-256. The frozen tensors are compared with
    the configuration's design by the backends' ``load`` (:func:`check_state` with ``design``).
    """
    from safetensors import safe_open

    p = os.fspath(path)
    if not os.path.exists(p):
        raise FileNotFoundError(f"no such state file: {p!r}")
    try:
        with safe_open(p, framework="numpy") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open has no __iter__
    except Exception as e:  # safetensors raises its own SafetensorError, OSError, ValueError...
        raise _fail(p, f"not a readable safetensors file ({e})") from None
    _expect(METADATA_KEY in metadata, p, f"no {METADATA_KEY!r} metadata: not written by nnaudio save()")
    meta = parse_metadata(metadata[METADATA_KEY], p)
    name = meta["class"]
    try:
        spec = get_spec(name)
    except ParameterError as e:
        raise _fail(p, str(e)) from None
    if expected is not None and name != expected:
        raise _fail(p, f"the file holds a {name}, not a {expected}")
    dtype = meta["dtype"]
    _expect(dtype in DTYPES, p, f"dtype={dtype!r} is invalid: must be one of {DTYPES}")
    trainable = meta["trainable"]
    declared: dict[str, Any] = meta["state"]
    missing, extra = sorted(set(declared) - set(tensors)), sorted(set(tensors) - set(declared))
    _expect(not missing, p, f"tensors {missing} are declared in the metadata but missing")
    _expect(not extra, p, f"tensors {extra} are not declared in the metadata")
    _expect(
        set(trainable) <= set(declared),
        p,
        f"trainable names {sorted(set(trainable) - set(declared))} are not in the state",
    )
    for key, arr in tensors.items():
        entry = declared[key]
        _expect(
            list(arr.shape) == entry["shape"],
            p,
            f"{key} has shape {list(arr.shape)}, metadata says {entry['shape']}",
        )
        _expect(
            arr.dtype.name == entry["dtype"], p, f"{key} has dtype {arr.dtype.name}, metadata says {entry['dtype']}"
        )
        _expect(
            not _is_float(arr) or arr.dtype.name == dtype, p, f"{key} has dtype {arr.dtype.name}, the module {dtype}"
        )
        _expect(_sha256(arr) == entry["sha256"], p, f"{key} does not match its SHA-256 (corrupted data)")
        _expect(not _is_float(arr) or bool(np.all(np.isfinite(arr))), p, f"{key} contains NaN or Inf")
    check_file_config(spec, meta["config"], {k: tuple(v.shape) for k, v in tensors.items()}, what=f"cannot load {p!r}")
    return ModuleState(name, meta["config"], dtype, frozenset(trainable), {k: np.array(v) for k, v in tensors.items()})
