"""Training helpers for Flax NNX models that contain nnaudio_jax front-ends.

Two guard rails make trainable front-ends train stably: a lower learning rate for the front-end
kernels than for the rest of the model (an :func:`optax.partition` of two optimisers), and keeping
non-negative filterbanks (``mel_basis``, ``gammatone_basis``) non-negative after each step. Which
state is non-negative is read from each front-end's declaration (``module.config.state_spec()``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import nnx
from nnaudio_shared import ParameterError

__all__ = ["NONNEGATIVE_KERNELS", "frontend_filter", "frontend_param_groups", "project_nonnegative"]

#: Deprecated: the state names the transforms declare non-negative (``StateEntry.nonnegative``),
#: kept for compatibility. :func:`project_nonnegative` now reads the declarations of the
#: front-end layers; pass ``names=NONNEGATIVE_KERNELS`` for the former matching by name.
NONNEGATIVE_KERNELS: tuple[str, ...] = ("mel_basis", "gammatone_basis")

Path = tuple[Hashable, ...]


def _check_module(model: Any) -> None:
    if not isinstance(model, nnx.Module):
        raise ParameterError(f"model={type(model).__name__} is invalid: must be a flax.nnx.Module")


def _frontend_prefixes(model: nnx.Module) -> tuple[Path, ...]:
    prefixes = [
        tuple(path)
        for path, node in nnx.iter_graph(model)
        if isinstance(node, nnx.Module) and type(node).__module__.split(".")[0] == "nnaudio_jax"
    ]
    # Keep the outermost front-end layers only (MelSpectrogram covers its inner STFT).
    return tuple(p for p in prefixes if not any(q != p and p[: len(q)] == q for q in prefixes))


def _under(path: Sequence[Hashable], prefixes: tuple[Path, ...]) -> bool:
    path = tuple(path)
    return any(path[: len(p)] == p for p in prefixes)


def _key(entry: Any) -> Hashable:
    for attr in ("key", "name", "idx"):
        if hasattr(entry, attr):
            return getattr(entry, attr)  # type: ignore[no-any-return]
    return entry  # type: ignore[no-any-return]


def frontend_filter(model: nnx.Module) -> Callable[[Sequence[Hashable], Any], bool]:
    """NNX filter selecting the state of the nnaudio_jax front-end layers inside a model.

    Parameters
    ----------
    model : flax.nnx.Module
        Any model; its sub-modules of nnaudio_jax classes (``STFT``, ``MelSpectrogram``, ...) are
        the front-end.

    Returns
    -------
    Callable[[tuple, Any], bool]
        An NNX filter (``f(path, value)``): ``True`` for every variable under a front-end layer.
        Combine it with other filters, e.g. ``nnx.All(nnx.Param, frontend_filter(model))`` for the
        trainable front-end kernels or ``nnx.All(nnx.Param, nnx.Not(frontend_filter(model)))`` for
        everything else; use it as ``wrt=`` of ``nnx.grad`` and ``nnx.Optimizer``.

    Raises
    ------
    ParameterError
        If ``model`` is not an NNX module.

    Examples
    --------
    >>> from flax import nnx
    >>> import nnaudio_jax as nj
    >>> class Model(nnx.Module):
    ...     def __init__(self):
    ...         self.mel = nj.MelSpectrogram(sr=16000, n_mels=8, trainable_mel=True)
    ...         self.head = nnx.Linear(8, 2, rngs=nnx.Rngs(0))
    >>> model = Model()
    >>> state = nnx.state(model, nnx.All(nnx.Param, nj.frontend_filter(model)))
    >>> [str(k) for k in state.flat_state()[0][0]]
    ['mel', 'mel_basis']
    """
    _check_module(model)
    prefixes = _frontend_prefixes(model)

    def is_frontend(path: Sequence[Hashable], value: Any = None) -> bool:
        return _under(path, prefixes)

    return is_frontend


def frontend_param_groups(
    model: nnx.Module,
    lr: float,
    *,
    frontend_lr: float | None = None,
    frontend_lr_scale: float = 0.05,
    optimizer: Callable[[float], optax.GradientTransformation] = optax.adam,
) -> optax.GradientTransformation:
    """Build an optax transformation with a lower learning rate for the front-end kernels.

    The JAX counterpart of torch parameter groups: an :func:`optax.partition` of two optimisers,
    ``optimizer(lr)`` for the ``'backbone'`` and ``optimizer(frontend_lr)`` for the ``'frontend'``
    (the parameters of the model's nnaudio_jax layers).

    Parameters
    ----------
    model : flax.nnx.Module
        The model the transformation will update (its front-end layers are located now).
    lr : float > 0
        Learning rate of the backbone.
    frontend_lr : float > 0 or None
        Learning rate of the front-end kernels; ``None`` means ``frontend_lr_scale * lr``.
    frontend_lr_scale : float > 0
        Front-end learning rate as a fraction of ``lr`` (default 0.05, i.e. 5 %).
    optimizer : Callable[[float], optax.GradientTransformation]
        Optimiser factory called with each learning rate (default :func:`optax.adam`; e.g.
        ``lambda lr: optax.adamw(lr, weight_decay=1e-4)``).

    Returns
    -------
    optax.GradientTransformation
        Pass it to ``nnx.Optimizer(model, tx, wrt=nnx.Param)`` (or any ``wrt`` selecting
        ``nnx.Param`` variables).

    Raises
    ------
    ParameterError
        If ``model`` is not an NNX module or a learning rate is not a positive number.

    Examples
    --------
    >>> import optax
    >>> from flax import nnx
    >>> import nnaudio_jax as nj
    >>> class Model(nnx.Module):
    ...     def __init__(self):
    ...         self.mel = nj.MelSpectrogram(sr=16000, n_mels=8, trainable_mel=True)
    ...         self.head = nnx.Linear(8, 2, rngs=nnx.Rngs(0))
    >>> model = Model()
    >>> tx = nj.frontend_param_groups(model, 1e-3, optimizer=optax.adamw)
    >>> opt = nnx.Optimizer(model, tx, wrt=nnx.Param)
    """
    _check_module(model)
    lr = _positive("lr", lr)
    _positive("frontend_lr_scale", frontend_lr_scale)
    frontend_lr = _positive("frontend_lr", frontend_lr_scale * lr if frontend_lr is None else frontend_lr)
    if not callable(optimizer):
        raise ParameterError(f"optimizer={optimizer!r} is invalid: must be a callable lr -> optax transformation")
    prefixes = _frontend_prefixes(model)

    def labels(params: Any) -> Any:
        return jax.tree_util.tree_map_with_path(
            lambda path, _: "frontend" if _under([_key(k) for k in path], prefixes) else "backbone",
            params,
            is_leaf=lambda x: isinstance(x, nnx.Variable),
        )

    return optax.partition({"backbone": optimizer(lr), "frontend": optimizer(frontend_lr)}, labels)


def _declared_nonnegative(model: nnx.Module) -> frozenset[tuple[str, ...]]:
    """Paths (as strings) of the state that the modules of ``model`` declare non-negative (their ``config.state_spec()``)."""
    out: set[tuple[str, ...]] = set()
    for path, node in nnx.iter_graph(model):
        spec = getattr(getattr(node, "config", None), "state_spec", None)
        if isinstance(node, nnx.Module) and callable(spec):
            out.update(tuple(str(p) for p in path) + tuple(e.name.split(".")) for e in spec() if e.nonnegative)
    return frozenset(out)


def project_nonnegative(model: nnx.Module, names: Iterable[str] | None = None) -> list[str]:
    """Clamp the trainable filterbanks of a model to non-negative values, in place.

    Call it after each optimiser update (inside the ``nnx.jit`` train step is fine: NNX carries the
    in-place update out of the jitted function). A gradient step can push mel or gammatone weights
    below zero, which a power spectrogram filterbank cannot meaningfully have (and a later ``log``
    of a negative band energy gives NaN).

    Parameters
    ----------
    model : flax.nnx.Module
        The model (or a single front-end layer).
    names : iterable of str or None
        State names to clamp, matched against the last component of each ``nnx.Param`` path.
        Default ``None``: the state each front-end layer declares non-negative (``mel_basis``,
        ``gammatone_basis``; see ``StateEntry.nonnegative``).

    Returns
    -------
    list of str
        The dotted paths of the parameters that were projected.

    Raises
    ------
    ParameterError
        If ``model`` is not an NNX module or ``names`` is a single string.

    Examples
    --------
    >>> import nnaudio_jax as nj
    >>> mel = nj.MelSpectrogram(sr=16000, n_mels=8, trainable_mel=True)
    >>> mel.mel_basis[...] = mel.mel_basis[...] - 1.0
    >>> nj.project_nonnegative(mel)
    ['mel_basis']
    >>> bool((mel.mel_basis[...] >= 0).all())
    True
    """
    _check_module(model)
    if isinstance(names, str):
        raise ParameterError(f"names={names!r} is invalid: must be an iterable of state names, e.g. ('mel_basis',)")
    if names is None:
        declared = _declared_nonnegative(model)

        def wanted(path: Path) -> bool:
            return tuple(str(p) for p in path) in declared
    else:
        last = frozenset(names)

        def wanted(path: Path) -> bool:
            return bool(path) and path[-1] in last

    done = []
    for path, node in nnx.iter_graph(model):
        if isinstance(node, nnx.Param) and wanted(tuple(path)):
            node[...] = jnp.maximum(node[...], 0)
            done.append(".".join(str(p) for p in path))
    return done


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ParameterError(f"{name}={value!r} is invalid: must be a positive number")
    return float(value)
