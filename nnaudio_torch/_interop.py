"""Interop (PyTorch side): Flax NNX modules to torch, state files, nnAudio2 state dicts, DLPack.

The framework-free rules (registry, file format, validation) are in :mod:`nnaudio_shared`;
this module only reads and writes torch state.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
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
from torch import Tensor, nn

__all__ = ["from_jax", "load", "load_nnaudio2_state_dict", "module_state", "restore", "save", "to_torch"]


def _class_of(module: Any) -> str:
    """Class name of an ``nnaudio_torch`` module registered for interop, else ParameterError."""
    import nnaudio_torch

    name = type(module).__name__
    if not isinstance(module, nn.Module) or getattr(nnaudio_torch, name, None) is not type(module):
        raise ParameterError(
            f"module={type(module).__module__}.{name} is invalid: expected an nnaudio_torch transform module"
        )
    get_spec(name)
    return name


def module_state(module: nn.Module) -> ModuleState:
    """Return the backend-independent state of an ``nnaudio_torch`` module (arrays are copies).

    Parameters
    ----------
    module : nn.Module
        An ``nnaudio_torch`` transform (any device).

    Returns
    -------
    nnaudio_shared.ModuleState
    """
    name = _class_of(module)
    arrays = {k: np.array(v.detach().cpu().numpy(), copy=True) for k, v in module.state_dict().items()}
    dtype = dtype_of(arrays, f"{name} module")
    trainable = frozenset(k for k, _ in module.named_parameters())
    return ModuleState(name, config_dict(module), dtype, trainable, arrays)


def _shapes(module: nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def _build(state: ModuleState, *, what: str) -> nn.Module:
    """Build a fresh ``nnaudio_torch`` module of ``state``'s class, configuration and dtype (its own design)."""
    import nnaudio_torch

    cls = getattr(nnaudio_torch, state.class_name, None)
    if cls is None:
        raise ParameterError(f"{what}: nnaudio_torch has no {state.class_name}")
    try:
        module = cls(
            **constructor_kwargs(state.class_name, state.config), dtype=state.dtype
        )  # resolve_dtype takes the name
    except Exception as e:  # untrusted configurations: any error means "invalid"
        raise ParameterError(f"{what}: the configuration does not build a {state.class_name}: {e}") from None
    if canonical_config(config_dict(module)) != canonical_config(state.config):
        raise ParameterError(f"{what}: the configuration {state.config} does not rebuild the same {state.class_name}")
    return module


def restore(state: ModuleState, *, what: str, design: bool = False) -> nn.Module:
    """Build the ``nnaudio_torch`` module described by ``state`` (validated first, then filled).

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
    nn.Module
        On the CPU, in training mode; its state equals ``state.arrays`` bit for bit.

    Raises
    ------
    ParameterError
        If the class is unknown here, the configuration is invalid or does not rebuild the
        same configuration (values and JSON types), or the state names/shapes/dtype/trainability
        (or, with ``design``, frozen values) differ.
    """
    module = _build(state, what=what)
    check_state(
        state,
        reference=module_state(module).arrays,
        trainable={k for k, _ in module.named_parameters()},
        what=what,
        design=design,
    )
    with torch.no_grad():
        module.load_state_dict({k: torch.from_numpy(np.array(v, copy=True)) for k, v in state.arrays.items()})
    return module


def from_jax(module: Any) -> nn.Module:
    """Convert an ``nnaudio_jax`` module (possibly trained) to its ``nnaudio_torch`` twin.

    Parameters
    ----------
    module : nnx.Module
        An ``nnaudio_jax`` transform, e.g. ``nnaudio_jax.MelSpectrogram``.

    Returns
    -------
    nn.Module
        The same class in ``nnaudio_torch`` with the same configuration, kernel dtype and
        trainability (``nnx.Param`` -> ``nn.Parameter``, buffers -> buffers), and state equal bit
        for bit (a copy: later training of either module does not affect the other). On the
        CPU; move it with ``.to(device)``.

    Raises
    ------
    ParameterError
        If ``module`` is not an ``nnaudio_jax`` transform registered for interop.

    Examples
    --------
    >>> import nnaudio_jax, nnaudio_torch
    >>> mel = nnaudio_torch.from_jax(nnaudio_jax.MelSpectrogram(sr=16000, n_fft=512, n_mels=40))
    >>> type(mel).__module__.split(".")[0], mel.mel_basis.shape
    ('nnaudio_torch', torch.Size([40, 257]))
    """
    state = foreign_state(module, "nnaudio_jax")  # the neutral protocol: this package never imports nnaudio_jax
    return restore(state, what=f"cannot convert {state.class_name} to nnaudio_torch")


def save(module: nn.Module, path: str | os.PathLike[str]) -> None:
    """Save a module's configuration and state to a safetensors file readable by both backends.

    Parameters
    ----------
    module : nn.Module
        An ``nnaudio_torch`` transform.
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
    The tensors are the ``state_dict()`` (so ``safetensors.torch.load_file`` reads them too);
    the metadata key ``"nnaudio"`` holds JSON with the format version, class, configuration,
    dtype, trainable names and each tensor's shape, dtype and SHA-256. ``nnaudio_jax.save`` of
    the converted module writes the identical file.
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


def load(path: str | os.PathLike[str], *, expected: str | type | None = None) -> nn.Module:
    """Load a module saved by ``nnaudio_torch.save`` or ``nnaudio_jax.save``.

    Parameters
    ----------
    path : str or path-like
    expected : str, class or None
        If given, the file must hold this class (e.g. ``nnaudio_torch.MelSpectrogram``).

    Returns
    -------
    nn.Module
        A new module on the CPU with the saved configuration, dtype, trainability and state.

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


def load_nnaudio2_state_dict(module: nn.Module, state_dict: Any) -> nn.Module:
    """Load a ``state_dict()`` of nnAudio2's STFT, MelSpectrogram, MFCC or Gammatonegram into ``module``.

    Parameters
    ----------
    module : nn.Module
        The ``nnaudio_torch`` module of the same class, built with the same arguments as the
        nnAudio2 module (trainable flags included: trained kernels go into trainable parameters).
    state_dict : mapping
        nnAudio2's state dict (tensors or arrays): ``wcos``/``wsin`` of shape
        ``(freq_bins, 1, n_fft)``, ``window_mask`` ``(1, n_fft, 1)``, ``mel_basis`` /
        ``gammatone_basis``, and MFCC's ``amin``/``ref``.

    Returns
    -------
    nn.Module
        ``module`` itself, its trainable kernels replaced by nnAudio2's.

    Raises
    ------
    ParameterError
        Before anything is modified, if keys are missing or unexpected, shapes differ, or a
        kernel that is frozen here differs from the one this configuration designs.

    Notes
    -----
    Frozen kernels are not copied: they are checked against the design (nnAudio2 stores float32
    roundings of the same float64 values) and the module keeps its own, so a frozen uniform STFT
    keeps its FFT path. nnAudio2-only entries (``kernel_cos_inv``/``kernel_sin_inv``,
    ``amin``/``ref``) are checked and dropped. The output then equals nnAudio2's to float32
    rounding, except that nnAudio2 adds ``1e-8`` under the square root of a trainable STFT's
    magnitude and always applies the orthonormal DCT in MFCC (ours honours ``norm``).
    """
    name = _class_of(module)
    shapes = _shapes(module)
    trainable = {k for k, _ in module.named_parameters()}
    arrays = nnaudio2_arrays(get_spec(name), module.config, state_dict, shapes=shapes, trainable=trainable)
    current = module.state_dict()
    with torch.no_grad():
        for key, value in arrays.items():
            current[key].copy_(torch.from_numpy(value).to(current[key].dtype))
    return module


def _jax_array_type() -> Any:
    import jax

    return jax.Array


def to_torch(array: Any, *, copy: bool = False) -> Tensor:
    """Convert a JAX array to a ``torch.Tensor`` through DLPack (same device, same dtype).

    Parameters
    ----------
    array : jax.Array
        A single-device array (float32, float64, complex64, ... any dtype both support).
    copy : bool
        ``False`` (default): share the memory (zero-copy; JAX arrays are always dense). The
        tensor then aliases an immutable JAX buffer: do not modify it in place. ``True``: an
        independent copy.

    Returns
    -------
    Tensor

    Raises
    ------
    ParameterError
        If ``array`` is not a JAX array or is spread over several devices.
    """
    if not isinstance(array, _jax_array_type()):
        raise ParameterError(
            f"array={type(array).__name__} is invalid: expected a jax.Array (use torch.from_numpy for NumPy)"
        )
    if len(array.devices()) != 1:
        raise ParameterError("array is sharded over several devices: gather it to one device first")
    out = torch.from_dlpack(array)
    return out.clone() if copy else out
