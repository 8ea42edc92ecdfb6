"""Interop (JAX side): torch modules to Flax NNX, state files, nnAudio2 state dicts, DLPack.

The framework-free rules (registry, file format, validation) are in :mod:`nnaudio_shared`;
this module only reads and writes NNX state. Torch is imported only by the functions that need it.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from nnaudio_shared import (
    ModuleState,
    ParameterError,
    canonical_config,
    check_state,
    config_dict,
    constructor_kwargs,
    dtype_of,
    foreign_state,
    frozen_mismatches,
    get_spec,
    nnaudio2_arrays,
    read_state_file,
    write_state_file,
)
from nnaudio_shared import __version__ as _version

from ._variables import Buffer

__all__ = ["from_torch", "load", "load_nnaudio2_state_dict", "module_state", "restore", "save", "to_jax"]


def _class_of(module: Any) -> str:
    """Class name of an ``nnaudio_jax`` module registered for interop, else ParameterError."""
    import nnaudio_jax

    name = type(module).__name__
    if not isinstance(module, nnx.Module) or getattr(nnaudio_jax, name, None) is not type(module):
        raise ParameterError(
            f"module={type(module).__module__}.{name} is invalid: expected an nnaudio_jax transform module"
        )
    get_spec(name)
    return name


def _flat(module: nnx.Module) -> list[tuple[str, Any]]:
    """``(dotted name, Variable)`` for every variable of ``module``; only Param and Buffer allowed."""
    out = []
    for path, var in nnx.to_flat_state(nnx.state(module)):
        if not isinstance(var, (nnx.Param, Buffer)):
            raise ParameterError(
                f"{type(module).__name__} holds a {type(var).__name__} variable at {'.'.join(map(str, path))}: "
                "only nnx.Param and nnaudio_jax.Buffer can be converted"
            )
        out.append((".".join(str(p) for p in path), var))
    return out


def _shapes(module: nnx.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.get_value().shape) for k, v in _flat(module)}


def _trainable(module: nnx.Module) -> set[str]:
    return {k for k, v in _flat(module) if isinstance(v, nnx.Param)}


def module_state(module: nnx.Module) -> ModuleState:
    """Return the backend-independent state of an ``nnaudio_jax`` module (arrays are copies).

    Parameters
    ----------
    module : nnx.Module
        An ``nnaudio_jax`` transform.

    Returns
    -------
    nnaudio_shared.ModuleState
    """
    name = _class_of(module)
    flat = _flat(module)
    arrays = {k: np.array(v.get_value(), copy=True) for k, v in flat}
    dtype = dtype_of(arrays, f"{name} module")
    trainable = frozenset(k for k, v in flat if isinstance(v, nnx.Param))
    return ModuleState(name, config_dict(module), dtype, trainable, arrays)


def _set(module: nnx.Module, arrays: dict[str, np.ndarray]) -> None:
    """Replace the values of the named variables (same variable types, values as given)."""
    updates = []
    for path, var in nnx.to_flat_state(nnx.state(module)):
        key = ".".join(str(p) for p in path)
        if key in arrays:
            value = jnp.asarray(arrays[key], dtype=var.get_value().dtype)
            updates.append((path, type(var)(value)))
    nnx.update(module, nnx.from_flat_state(updates))


def _build(state: ModuleState, *, what: str) -> nnx.Module:
    """Build a fresh ``nnaudio_jax`` module of ``state``'s class, configuration and dtype (its own design)."""
    import nnaudio_jax

    cls = getattr(nnaudio_jax, state.class_name, None)
    if cls is None:
        raise ParameterError(f"{what}: nnaudio_jax has no {state.class_name}")
    if state.dtype == "float64" and not jax.config.read("jax_enable_x64"):
        raise ParameterError(
            f"{what}: the state is float64 but JAX runs in 32-bit mode: call "
            "jax.config.update('jax_enable_x64', True) first"
        )
    try:
        module = cls(
            **constructor_kwargs(state.class_name, state.config), dtype=state.dtype
        )  # resolve_dtype takes the name
    except Exception as e:  # untrusted configurations: any error means "invalid"
        raise ParameterError(f"{what}: the configuration does not build a {state.class_name}: {e}") from None
    if canonical_config(config_dict(module)) != canonical_config(state.config):
        raise ParameterError(f"{what}: the configuration {state.config} does not rebuild the same {state.class_name}")
    return module


def restore(state: ModuleState, *, what: str, design: bool = False) -> nnx.Module:
    """Build the ``nnaudio_jax`` module described by ``state`` (validated first, then filled).

    Parameters
    ----------
    state : ModuleState
    what : str
        Context for error messages (``"cannot load 'x.safetensors'"``).
    design : bool
        Require the frozen state to equal the configuration's design (state files; see
        :func:`nnaudio_shared.frozen_mismatches`). Conversions copy it as it is.

    Returns
    -------
    nnx.Module
        Its state equals ``state.arrays`` bit for bit.

    Raises
    ------
    ParameterError
        If the class is unknown here, the configuration is invalid or does not rebuild the
        same configuration (values and JSON types), float64 state meets JAX in 32-bit mode, or
        the state names/shapes/dtype/trainability (or, with ``design``, frozen values) differ.
    """
    module = _build(state, what=what)
    check_state(state, reference=module_state(module).arrays, trainable=_trainable(module), what=what, design=design)
    _set(module, state.arrays)
    return module


def from_torch(module: Any) -> nnx.Module:
    """Convert an ``nnaudio_torch`` module (possibly trained) to its Flax NNX twin.

    Parameters
    ----------
    module : torch.nn.Module
        An ``nnaudio_torch`` transform, e.g. ``nnaudio_torch.MelSpectrogram``, on any device.

    Returns
    -------
    nnx.Module
        The same class in ``nnaudio_jax`` with the same configuration, kernel dtype and
        trainability (``nn.Parameter`` -> ``nnx.Param``, buffers -> :class:`Buffer`), and state
        equal bit for bit (a copy: later training of either module does not affect the other).

    Raises
    ------
    ParameterError
        If ``module`` is not an ``nnaudio_torch`` transform registered for interop, or is
        float64 while JAX runs in 32-bit mode.

    Examples
    --------
    >>> import nnaudio_jax, nnaudio_torch
    >>> mel = nnaudio_jax.from_torch(nnaudio_torch.MelSpectrogram(sr=16000, n_fft=512, n_mels=40))
    >>> type(mel).__module__.split(".")[0], mel.mel_basis.shape
    ('nnaudio_jax', (40, 257))
    """
    state = foreign_state(module, "nnaudio_torch")  # the neutral protocol: this package never imports nnaudio_torch
    return restore(state, what=f"cannot convert {state.class_name} to nnaudio_jax")


def save(module: nnx.Module, path: str | os.PathLike[str]) -> None:
    """Save a module's configuration and state to a safetensors file readable by both backends.

    Parameters
    ----------
    module : nnx.Module
        An ``nnaudio_jax`` transform.
    path : str or path-like
        Written atomically: a unique temporary file in the same directory, flushed to disk, then
        renamed over ``path`` (readers never see a torn file; of concurrent saves the last wins).

    Raises
    ------
    ParameterError
        If a frozen (non-trainable) array differs from the design of the module's configuration
        (e.g. replaced with ``load_state_dict``): files store frozen state as the design, which
        ``load`` checks; make that kernel trainable to save other values. Also if the
        configuration exceeds a state-file limit (``n_iter`` above
        ``nnaudio_shared.MAX_FILE_N_ITER``, a design far larger than the state).

    Notes
    -----
    Tensor names are the dotted NNX state paths, identical to the torch ``state_dict()`` keys;
    ``nnaudio_torch.save`` of the converted module writes the identical file. See
    :func:`nnaudio_torch.save` for the metadata.
    """
    state = module_state(module)
    what = f"cannot save {state.class_name} to {os.fspath(path)!r}"
    fresh = _build(state, what=what)
    changed = frozen_mismatches(state, module_state(fresh).arrays, state.trainable)
    if changed:
        raise ParameterError(
            f"{what}: " + "; ".join(changed) + ". A state file stores frozen state only as the design of its "
            "configuration (load() checks it); to save other values, build the module with the trainable flag "
            "of that kernel and load them into the parameter"
        )
    write_state_file(path, state, version=_version)


def load(path: str | os.PathLike[str], *, expected: str | type | None = None) -> nnx.Module:
    """Load a module saved by ``nnaudio_jax.save`` or ``nnaudio_torch.save``.

    Parameters
    ----------
    path : str or path-like
    expected : str, class or None
        If given, the file must hold this class (e.g. ``nnaudio_jax.MelSpectrogram``).

    Returns
    -------
    nnx.Module
        A new module with the saved configuration, dtype, trainability and state.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ParameterError
        If the file is truncated, corrupted, not a state file, of another class than
        ``expected``, or inconsistent (names, shapes, dtype, trainability, configuration, or a
        frozen tensor that differs from the design of the file's configuration), or exceeds a
        file limit (``nnaudio_shared._state_file.check_file_config``). The whole file is validated,
        and the configuration checked against the declared shapes before any kernel is designed.
    """
    name = expected.__name__ if isinstance(expected, type) else expected
    state = read_state_file(path, expected=name)
    return restore(state, what=f"cannot load {os.fspath(path)!r}", design=True)


def load_nnaudio2_state_dict(module: nnx.Module, state_dict: Any) -> nnx.Module:
    """Load a ``state_dict()`` of nnAudio2's STFT, MelSpectrogram, MFCC or Gammatonegram into ``module``.

    Parameters
    ----------
    module : nnx.Module
        The ``nnaudio_jax`` module of the same class, built with the same arguments as the
        nnAudio2 module (trainable flags included: trained kernels go into ``nnx.Param``).
    state_dict : mapping
        nnAudio2's state dict (torch tensors or arrays).

    Returns
    -------
    nnx.Module
        ``module`` itself, its trainable kernels replaced by nnAudio2's.

    Raises
    ------
    ParameterError
        Before anything is modified, if keys are missing or unexpected, shapes differ, or a
        kernel that is frozen here differs from the one this configuration designs.

    Notes
    -----
    See :func:`nnaudio_torch.load_nnaudio2_state_dict` for the rules and the documented
    differences from nnAudio2's output.
    """
    name = _class_of(module)
    arrays = nnaudio2_arrays(
        get_spec(name),
        module.config,  # type: ignore[attr-defined]
        state_dict,
        shapes=_shapes(module),
        trainable=_trainable(module),
    )
    _set(module, arrays)
    return module


def _is_compact(t: Any) -> bool:
    """Whether the strides of ``t`` are a permutation of a dense row-major layout."""
    dims = sorted((st, n) for st, n in zip(t.stride(), t.shape, strict=True) if n != 1)
    expected = 1
    for stride, n in dims:
        if stride != expected:
            return False
        expected *= n
    return True


def to_jax(tensor: Any, *, copy: bool = False) -> jax.Array:
    """Convert a ``torch.Tensor`` to a JAX array through DLPack (same device, same dtype).

    Parameters
    ----------
    tensor : torch.Tensor
        Any layout; ``requires_grad`` tensors are detached; conjugate/negative views resolved.
    copy : bool
        ``False`` (default): share the memory when the layout allows (dense, possibly
        transposed/permuted strides); sliced, broadcast (stride 0) or conjugate-view tensors are
        copied. A shared array aliases the tensor: do not modify the tensor in place afterwards
        (JAX assumes arrays never change). ``True``: always an independent copy.

    Returns
    -------
    jax.Array
        Same shape, values and dtype.

    Raises
    ------
    ParameterError
        If ``tensor`` is not a tensor, or is 64-bit while JAX runs in 32-bit mode (JAX would
        silently round it to 32 bits).
    """
    import torch

    if not isinstance(tensor, torch.Tensor):
        raise ParameterError(f"tensor={type(tensor).__name__} is invalid: expected a torch.Tensor")
    t = tensor.detach()
    if t.element_size() == 8 and t.dtype != torch.complex64 and not jax.config.read("jax_enable_x64"):
        raise ParameterError(
            f"tensor has dtype {t.dtype} but JAX runs in 32-bit mode and would round it: call "
            "jax.config.update('jax_enable_x64', True) first, or convert the tensor to 32 bits"
        )
    if t.dtype == torch.complex128 and not jax.config.read("jax_enable_x64"):
        raise ParameterError("tensor has dtype torch.complex128 but JAX runs in 32-bit mode: enable jax_enable_x64")
    t = t.resolve_conj().resolve_neg()
    if copy or t.numel() == 0 or not _is_compact(t):
        t = t.clone(memory_format=torch.contiguous_format)
    return jax.dlpack.from_dlpack(t)
