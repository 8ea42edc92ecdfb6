"""Training helpers for models that contain nnaudio_torch front-ends.

Two guard rails make trainable front-ends train stably: a lower learning rate for the front-end
kernels than for the rest of the model (optimizer parameter groups), and keeping non-negative
filterbanks (``mel_basis``, ``gammatone_basis``) non-negative after each optimiser step. Which
state is non-negative is read from each front-end's declaration (``module.config.state_spec()``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from nnaudio_shared import ParameterError
from torch import nn

__all__ = ["NONNEGATIVE_KERNELS", "frontend_filter", "frontend_param_groups", "project_nonnegative"]

#: Deprecated: the state names the transforms declare non-negative (``StateEntry.nonnegative``),
#: kept for compatibility. :func:`project_nonnegative` now reads the declarations of the
#: front-end layers; pass ``names=NONNEGATIVE_KERNELS`` for the former matching by name.
NONNEGATIVE_KERNELS: tuple[str, ...] = ("mel_basis", "gammatone_basis")


def _is_frontend(module: nn.Module) -> bool:
    return type(module).__module__.split(".")[0] == "nnaudio_torch"


def _frontend_names(model: nn.Module) -> frozenset[str]:
    names: set[str] = set()
    for prefix, module in model.named_modules():
        if _is_frontend(module):
            dot = f"{prefix}." if prefix else ""
            names.update(dot + name for name, _ in module.named_parameters())
    return frozenset(names)


def frontend_filter(model: nn.Module) -> Callable[[str, Any], bool]:
    """Predicate selecting the parameters that belong to nnaudio_torch front-end layers.

    Parameters
    ----------
    model : torch.nn.Module
        Any model; its sub-modules of nnaudio_torch classes (``STFT``, ``MelSpectrogram``, ...)
        are the front-end.

    Returns
    -------
    Callable[[str, Any], bool]
        ``f(name, param)`` is ``True`` when ``name`` (as in ``model.named_parameters()``) is a
        parameter of a front-end layer, e.g. ``'mel.mel_basis'`` or ``'mel.stft.wcos'``.

    Examples
    --------
    >>> import torch, nnaudio_torch as nt
    >>> model = torch.nn.Sequential(nt.MelSpectrogram(sr=16000, n_mels=8, trainable_mel=True),
    ...                             torch.nn.Flatten(), torch.nn.LazyLinear(2))
    >>> f = nt.frontend_filter(model)
    >>> [name for name, p in model.named_parameters() if f(name, p)]
    ['0.mel_basis']
    """
    if not isinstance(model, nn.Module):
        raise ParameterError(f"model={type(model).__name__} is invalid: must be a torch.nn.Module")
    names = _frontend_names(model)

    def is_frontend(name: str, param: Any = None) -> bool:
        return name in names

    return is_frontend


def frontend_param_groups(
    model: nn.Module,
    lr: float,
    *,
    frontend_lr: float | None = None,
    frontend_lr_scale: float = 0.05,
    **options: Any,
) -> list[dict[str, Any]]:
    """Optimizer parameter groups with a lower learning rate for the front-end kernels.

    Parameters
    ----------
    model : torch.nn.Module
        The model; parameters of its nnaudio_torch sub-modules form the ``'frontend'`` group,
        all other trainable parameters the ``'backbone'`` group.
    lr : float > 0
        Learning rate of the backbone.
    frontend_lr : float > 0 or None
        Learning rate of the front-end kernels; ``None`` means ``frontend_lr_scale * lr``.
    frontend_lr_scale : float > 0
        Front-end learning rate as a fraction of ``lr`` (default 0.05, i.e. 5 %).
    **options
        Further per-group options (``weight_decay``, ``betas``, ...) applied to both groups.

    Returns
    -------
    list of dict
        ``[{'name': 'backbone', 'params': [...], 'lr': lr, **options},
        {'name': 'frontend', 'params': [...], 'lr': frontend_lr, **options}]``; an empty group is
        left out. Parameters with ``requires_grad=False`` are left out. Pass the list to any
        ``torch.optim`` optimizer.

    Raises
    ------
    ParameterError
        If ``model`` is not a module, a learning rate is not a positive number or the model has no
        trainable parameter.

    Examples
    --------
    >>> import torch, nnaudio_torch as nt
    >>> model = torch.nn.Sequential(nt.MelSpectrogram(sr=16000, n_mels=8, trainable_mel=True),
    ...                             torch.nn.Flatten(1), torch.nn.Linear(8 * 32, 2))
    >>> opt = torch.optim.Adam(nt.frontend_param_groups(model, 1e-3))
    >>> [(g['name'], g['lr']) for g in opt.param_groups]
    [('backbone', 0.001), ('frontend', 5e-05)]
    """
    lr = _positive("lr", lr)
    _positive("frontend_lr_scale", frontend_lr_scale)
    frontend_lr = _positive("frontend_lr", frontend_lr_scale * lr if frontend_lr is None else frontend_lr)
    is_frontend = frontend_filter(model)
    groups: dict[str, list[nn.Parameter]] = {"backbone": [], "frontend": []}
    for name, param in model.named_parameters():
        if param.requires_grad:
            groups["frontend" if is_frontend(name, param) else "backbone"].append(param)
    if not groups["backbone"] and not groups["frontend"]:
        raise ParameterError("model has no trainable parameter: nothing to put into parameter groups")
    rates = {"backbone": lr, "frontend": frontend_lr}
    return [{"name": k, "params": v, "lr": rates[k], **options} for k, v in groups.items() if v]


def _declared_nonnegative(model: nn.Module) -> frozenset[str]:
    """Dotted names of the state that the modules of ``model`` declare non-negative (their ``config.state_spec()``)."""
    out: set[str] = set()
    for prefix, module in model.named_modules():
        spec = getattr(getattr(module, "config", None), "state_spec", None)
        if callable(spec):
            dot = f"{prefix}." if prefix else ""
            out.update(dot + e.name for e in spec() if e.nonnegative)
    return frozenset(out)


def project_nonnegative(model: nn.Module, names: Iterable[str] | None = None) -> list[str]:
    """Clamp the trainable filterbanks of a model to non-negative values, in place.

    Call it after each ``optimizer.step()``: a gradient step can push mel or gammatone weights
    below zero, which a power spectrogram filterbank cannot meaningfully have (and a later
    ``log`` of a negative band energy gives NaN).

    Parameters
    ----------
    model : torch.nn.Module
        The model (or a single front-end layer).
    names : iterable of str or None
        State names to clamp, matched against the last component of each parameter name. Default
        ``None``: the state each front-end layer declares non-negative (``mel_basis``,
        ``gammatone_basis``; see ``StateEntry.nonnegative``).

    Returns
    -------
    list of str
        The names of the parameters that were projected.

    Raises
    ------
    ParameterError
        If ``model`` is not a module or ``names`` is a single string.

    Examples
    --------
    >>> import torch, nnaudio_torch as nt
    >>> mel = nt.MelSpectrogram(sr=16000, n_mels=8, trainable_mel=True)
    >>> with torch.no_grad():
    ...     mel.mel_basis -= 1.0
    >>> nt.project_nonnegative(mel)
    ['mel_basis']
    >>> bool((mel.mel_basis >= 0).all())
    True
    """
    if not isinstance(model, nn.Module):
        raise ParameterError(f"model={type(model).__name__} is invalid: must be a torch.nn.Module")
    if isinstance(names, str):
        raise ParameterError(f"names={names!r} is invalid: must be an iterable of state names, e.g. ('mel_basis',)")
    if names is None:
        declared = _declared_nonnegative(model)

        def wanted(name: str) -> bool:
            return name in declared
    else:
        last = frozenset(names)

        def wanted(name: str) -> bool:
            return name.rsplit(".", 1)[-1] in last

    done = []
    with torch.no_grad():
        for name, param in model.named_parameters():
            if wanted(name):
                param.clamp_(min=0.0)
                done.append(name)
    return done


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ParameterError(f"{name}={value!r} is invalid: must be a positive number")
    return float(value)
