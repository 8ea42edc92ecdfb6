"""Inverse constant-Q transform (PyTorch): weighted CGLS with the CQT's autodiff adjoint."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import torch
from nnaudio_shared import ParameterError, PolyphaseGeometry, PolyphaseLayout, WindowSpec, polyphase_geometry
from nnaudio_shared._icqt import ICQT_N_ITER, ICQTConfig, ICQTNormalization
from nnaudio_shared._validate import check_bool, check_optional_int
from torch import Tensor

from . import _functional_cqt as FC
from ._checks import as_spectrum, autocast_off, resolve_dtype
from ._cqt import _scale
from ._frozen import frozen_in
from ._shell import Transform

__all__ = ["cgls", "cqt_operator", "free_samples", "iCQT", "icqt"]


def _batch_dot(a: Tensor, b: Tensor) -> Tensor:
    """``sum(a * b)`` over every axis but the first: shape ``(batch,)``."""
    return (a * b).reshape(a.shape[0], -1).sum(dim=1)


def _per_item(v: Tensor, like: Tensor) -> Tensor:
    """``v`` of shape ``(batch,)`` reshaped to broadcast against ``like`` ``(batch, ...)``."""
    return v.reshape(-1, *([1] * (like.ndim - 1)))


def _safe_div(num: Tensor, den: Tensor) -> Tensor:
    """``num / den`` where ``den > 0`` and 0 elsewhere, with finite gradients everywhere."""
    ok = den > 0
    return torch.where(ok, num / torch.where(ok, den, torch.ones_like(den)), torch.zeros_like(num))


def cgls(
    operator: Callable[[Tensor], Tensor],
    b: Tensor,
    *,
    n_samples: int,
    n_iter: int,
    weights: Tensor | None = None,
    preconditioner: Tensor | None = None,
) -> Tensor:
    """Weighted least squares by conjugate gradients on the normal equations (CGLS).

    Minimises ``sum(weights * (operator(x) - b) ** 2)`` over real ``x`` of shape
    ``(batch, n_samples)``, starting from ``x = 0``, with exactly ``n_iter`` iterations (one
    ``operator`` and one adjoint each). The adjoint is the transpose of ``operator`` obtained by
    autodiff (:func:`torch.func.vjp` at ``x = 0``), so ``operator`` must be linear. Every step is
    differentiable with respect to ``b`` (and ``weights``); steps whose denominator is zero
    (e.g. ``b = 0``) are skipped without NaN in values or gradients. No randomness.

    Each new normal-equation residual ``s = A^T W r`` is reorthogonalised (two Gram-Schmidt
    passes, in the ``preconditioner`` inner product) against all previous ones, so the iterates
    are those of CGLS in exact arithmetic up to rounding. Without it the short recurrences lose
    orthogonality once a few Ritz values have converged (e.g. the outlying eigenvalues that the
    mirrored ends of reflect padding and the end weighting create), and from then on rounding
    differences grow about 3-4x per iteration: two float64 evaluations of the same solve (torch
    and JAX) ended up 2e-3 apart after 64 iterations on white noise. In exact arithmetic the
    correction is zero and so is its derivative, so it is excluded from autodiff (the gradient
    is that of the CGLS recurrences along the reorthogonalised iterates, and memory stays
    linear in ``n_iter``); it stores ``n_iter + 1`` residuals of shape ``(batch, n_samples)``.

    Parameters
    ----------
    operator : callable
        Linear map from ``(batch, n_samples)`` to the shape of ``b`` (real).
    b : Tensor [shape=(batch, ...)], real
    n_samples : int
    n_iter : int >= 1
    weights : Tensor or None
        Non-negative weights broadcastable to ``b`` (``None``: all ones).
    preconditioner : Tensor [shape=(n_samples,)] or None
        Positive diagonal right preconditioner ``m``: the iterates converge to the solution of
        least ``sum(x ** 2 / m)`` (``None``: all ones, the minimum-norm solution).

    Returns
    -------
    Tensor [shape=(batch, n_samples)]
    """
    x0 = torch.zeros(b.shape[0], n_samples, dtype=b.dtype, device=b.device)
    vjp = torch.func.vjp(operator, x0)[1]

    def weighted(r: Tensor) -> Tensor:
        return r if weights is None else r * weights

    def precondition(s: Tensor) -> Tensor:
        return s if preconditioner is None else s * preconditioner

    def adjoint(r: Tensor) -> Tensor:
        return vjp(weighted(r))[0]  # type: ignore[no-any-return]

    # basis[k]: the k-th residual normalised in the preconditioner inner product (0 where it is 0)
    basis = torch.zeros(n_iter + 1, b.shape[0], n_samples, dtype=b.dtype, device=b.device)

    def store(k: int, s: Tensor, gamma: Tensor) -> None:
        with torch.no_grad():
            basis[k] = s * _per_item(_safe_div(torch.ones_like(gamma), gamma.sqrt()), s)

    def reorthogonalise(s: Tensor, k: int) -> Tensor:
        with torch.no_grad():
            u = basis[:k]
            v = s.detach()
            for _ in range(2):
                v = v - torch.einsum("kb,kbn->bn", torch.einsum("kbn,bn->kb", u, precondition(v)), u)
            correction = v - s.detach()
        return s + correction

    x = x0
    r = b
    s = adjoint(r)
    z = precondition(s)
    p = z
    gamma = _batch_dot(s, z)
    store(0, s, gamma)
    for k in range(1, n_iter + 1):
        q = operator(p)
        alpha = _safe_div(gamma, _batch_dot(q, weighted(q)))
        x = x + _per_item(alpha, p) * p
        r = r - _per_item(alpha, q) * q
        s = reorthogonalise(adjoint(r), k)
        z = precondition(s)
        gamma_new = _batch_dot(s, z)
        store(k, s, gamma_new)
        p = z + _per_item(_safe_div(gamma_new, gamma), p) * p
        gamma = gamma_new
    return x


_TAPS: weakref.WeakKeyDictionary[PolyphaseLayout, tuple[np.ndarray, np.ndarray]] = weakref.WeakKeyDictionary()


def _columns(layout: PolyphaseLayout) -> tuple[np.ndarray, np.ndarray]:
    """Block offset and bin of every GEMM column of ``layout`` (from its taps), cached."""
    cols = _TAPS.get(layout)
    if cols is None:
        block = np.empty(layout.n_cols, dtype=np.int64)
        bins = np.empty(layout.n_cols, dtype=np.int64)
        for b, lo, hi, col in layout.taps:
            block[col : col + hi - lo] = b
            bins[col : col + hi - lo] = np.arange(lo, hi)
        cols = (block, bins)
        _TAPS[layout] = cols
    return cols


def free_samples(geo: PolyphaseGeometry, free_end: bool) -> int:
    """Return the number of samples after the signal that the frames see (unknowns when ``free_end``)."""
    return max(0, geo.right) if free_end else 0


def cqt_operator(
    kernels_real: Tensor,
    kernels_imag: Tensor,
    *,
    layout: PolyphaseLayout,
    width: int,
    n_samples: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Tensor | None = None,
    free_end: bool = False,
) -> Callable[[Tensor], Tensor]:
    """Return the full-rate CQT of :func:`nnaudio_torch._functional_cqt.cqt` as a linear map for solvers.

    Returns ``op(x)`` for ``x`` of shape ``(batch, n_samples)`` giving the (real, imag) CQT
    ``(batch, n_bins, frames, 2)`` -- the same numbers as ``cqt`` -- with the shifted adds of the
    polyphase layout written as one gather along time and one matmul with the column-to-bin
    incidence matrix. Autodiff of those is a single scatter and a matmul, so the adjoint
    (``torch.func.vjp``) costs about as much as the transform; the slice-by-slice adds of ``cqt``
    would allocate a full-size gradient per tap.

    ``free_end`` (with ``center``): the samples after the last one that the frames see (the
    right padding) are inputs of ``op`` too, ``x`` of shape ``(batch, n_samples + free_samples(...))``,
    instead of a reflection of (or zeros after) the signal.
    """
    geo = polyphase_geometry(n_samples, layout=layout, width=width, center=center)
    right = geo.right - free_samples(geo, free_end and center)
    block, bins = _columns(layout)
    device, dtype = kernels_real.device, kernels_real.dtype
    n_cols, t, n_bins = layout.n_cols, geo.n_frames, layout.n_bins
    # g[b, n, z * n_cols + c]: block n times weight column c of part z (0 real, 1 imag)
    rows = np.arange(t)[:, None, None] + geo.t0 + block[None, None, :]  # (t, 1, n_cols)
    cols = np.arange(2)[None, :, None] * n_cols + np.arange(n_cols)[None, None, :]  # (1, 2, n_cols)
    flat = torch.from_numpy((rows * 2 * n_cols + cols).reshape(1, -1)).to(device)
    incidence = torch.from_numpy((bins[:, None] == np.arange(n_bins)[None, :]).astype(np.float64))
    incidence = incidence.to(device=device, dtype=dtype)
    weights = FC.cqt_weights(kernels_real, kernels_imag, layout).reshape(layout.hop, n_cols, 2)
    weights = weights.permute(0, 2, 1).reshape(layout.hop, 2 * n_cols)
    mode = pad_mode if center else "constant"

    def op(x: Tensor) -> Tensor:
        b = x.shape[0]
        xp = FC.cqt_pad(x, geo.left, right, mode)
        g = torch.matmul(xp.reshape(b, geo.n_blocks, layout.hop), weights).reshape(b, -1)
        taps = g.gather(1, flat.expand(b, -1)).reshape(b, t, 2, n_cols)
        y = torch.matmul(taps, incidence)  # (b, t, 2, n_bins)
        if scale is not None:
            y = y * scale
        return y.permute(0, 3, 1, 2)

    return op


def icqt(
    spec: Tensor,
    kernels_real: Tensor,
    kernels_imag: Tensor,
    *,
    layout: PolyphaseLayout,
    width: int,
    n_samples: int,
    n_iter: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Tensor | None = None,
    weights: Tensor | None = None,
    end_width: int = 0,
    end_strength: float = 0.0,
    free_end: bool = False,
) -> Tensor:
    """Inverse of the full-rate constant-Q transform :func:`cqt` by weighted CGLS.

    Parameters
    ----------
    spec : Tensor [shape=(..., n_bins, frames)], complex
        The CQT to invert.
    kernels_real, kernels_imag, layout, width, center, pad_mode, scale
        Exactly the arguments of the forward :func:`nnaudio_torch._functional_cqt.cqt` that
        produced ``spec`` (packed kernels, polyphase layout, frame width, padding, per-bin
        output factor).
    n_samples : int
        Length of the signal to reconstruct; its CQT must have ``frames`` frames.
    n_iter : int >= 1
        CGLS iterations.
    weights : Tensor [shape=(n_bins,)] or None
        Per-bin least-squares weights (``ICQTConfig.bin_weights``).
    end_width, end_strength : int, float
        Weighting of the signal's ends (``ICQTConfig.end_weighting``): the solution of least
        ``sum(x ** 2 / m)`` with ``m[n] = 1 + end_strength * max(0, 1 - d[n] / end_width) ** 2``,
        ``d[n]`` the distance to the nearer end (static; ``end_strength=0``: minimum norm).
    free_end : bool
        With ``center``: the samples after the signal that the frames see are solved for too
        instead of modelled as the reflection of (or zeros after) a signal of exactly
        ``n_samples`` samples (static). Use it when the true length is unknown (any length with
        ``frames`` frames is then modelled exactly); the first ``n_samples`` are returned.

    Returns
    -------
    Tensor [shape=(..., n_samples)], real, the dtype of ``spec``'s real part
    """
    batch = spec.shape[:-2]
    n_bins, n_frames = spec.shape[-2:]
    real_dtype = spec.real.dtype
    b = torch.view_as_real(spec.reshape(-1, n_bins, n_frames))
    kr, ki = kernels_real.to(real_dtype), kernels_imag.to(real_dtype)
    sc = None if scale is None else scale.to(real_dtype)

    free_end = free_end and center
    geo = polyphase_geometry(n_samples, layout=layout, width=width, center=center)
    n_total = n_samples + free_samples(geo, free_end)
    operator = cqt_operator(
        kr,
        ki,
        layout=layout,
        width=width,
        n_samples=n_samples,
        center=center,
        pad_mode=pad_mode,
        scale=sc,
        free_end=free_end,
    )
    w = None if weights is None else weights.to(real_dtype).reshape(n_bins, 1, 1)
    m = None
    if end_strength > 0 and end_width > 0:
        n = torch.arange(n_total, device=spec.device, dtype=real_dtype)
        d = torch.minimum(n, n_total - 1 - n)
        m = 1 + end_strength * torch.clamp(1 - d / end_width, min=0) ** 2
    x = cgls(operator, b, n_samples=n_total, n_iter=n_iter, weights=w, preconditioner=m)
    return x[:, :n_samples].reshape(*batch, n_samples)


def _design(config: ICQTConfig, name: str) -> np.ndarray:
    """Return the float64 design of the iCQT state ``name``."""
    k = config.kernels()
    if name == "weights":
        return config.bin_weights(k)
    return {"cqt_kernels_real": k.packed_real, "cqt_kernels_imag": k.packed_imag, "lengths": k.lengths}[name]


def _check_bins(X: Any, n_bins: int) -> None:
    shape = getattr(X, "shape", None)
    dtype = getattr(X, "dtype", None)
    if shape is None or dtype is None:
        return  # as_spectrum reports the type
    is_complex = dtype.is_complex if isinstance(dtype, torch.dtype) else np.dtype(dtype).kind == "c"
    if is_complex and len(shape) >= 2:
        bins = shape[-2]
    elif not is_complex and len(shape) >= 3 and shape[-1] == 2:
        bins = shape[-3]
    else:
        return
    if bins != n_bins:
        raise ParameterError(
            f"X has {bins} constant-Q bins: expected n_bins={n_bins}; build iCQT with the arguments of "
            "the CQT that produced X"
        )


class iCQT(Transform):  # noqa: N801 - nnAudio2's name
    """Inverse constant-Q transform by conjugate gradients (nnAudio2's ``iCQT``, deterministic).

    Reconstructs a signal from the ``'Complex'`` output of :class:`CQT1992v2` (= ``CQT``) or,
    with ``gamma``, of ``VQT``/``CQT2010v2``: the weighted least-squares solution of
    ``CQT(x) = X`` by ``n_iter`` iterations of CGLS (conjugate gradients on the normal
    equations) from ``x = 0``, with the CQT's exact adjoint obtained by autodiff. Differentiable
    with respect to ``X``; no randomness (two constructions give identical outputs).

    Parameters
    ----------
    sr, hop_length, fmin, fmax, n_bins, bins_per_octave, filter_scale, norm, window, center, pad_mode
        The arguments of the :class:`CQT1992v2` that produced ``X`` (same defaults). For a
        ``VQT`` or ``CQT2010v2`` output pass its ``basis_norm`` as ``norm`` and keep
        ``center=True`` (those transforms are always centred).
    n_iter : int >= 1
        CGLS iterations (each costs one CQT and one adjoint). Default 64 (nnAudio2: 32).
    gamma : float >= 0 or None
        Bandwidth offset of the variable-Q transform that produced ``X`` (``VQT``'s ``gamma``;
        0, the default, for a constant-Q transform; ``None``: librosa's ERB-proportional value).
    normalization_type : {'librosa', 'convolutional', 'wrap'}
        Output scaling of the transform that produced ``X``: ``'librosa'`` (CQT1992v2's default,
        and ``norm=True`` of CQT2010v2/VQT), ``'convolutional'`` (``norm=False``) or ``'wrap'``.
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    dtype : torch.dtype
        Dtype of the stored kernels, ``torch.float32`` (default) or ``torch.float64``.

    Attributes
    ----------
    cqt_kernels_real, cqt_kernels_imag : Tensor [shape=(sum(n_k),)]
        Buffers: the packed kernels of the transform being inverted (as in :class:`CQT1992v2`).
    lengths : Tensor [shape=(n_bins,)]
        Buffer: fractional filter lengths.
    weights : Tensor [shape=(n_bins,)]
        Buffer: the least-squares weight of each bin (see Notes).

    Raises
    ------
    ParameterError
        For invalid arguments, and for ``X`` with the wrong number of bins, NaN/Inf, or a
        magnitude-only shape.

    Notes
    -----
    **Solver.** CGLS minimises ``sum_k w_k sum_t |CQT(x)[k, t] - X[k, t]|^2``. The weights
    ``w_k = 1 / S(f_k)`` are the reciprocal of the frame operator ``CQT^T CQT`` (a Fourier
    multiplier ``S(f)``, which falls like ``1/f`` with the ``'librosa'`` scaling) at each bin's
    centre frequency, capped above the bins the hop samples without aliasing: the weighted
    normal equations are nearly a multiple of the identity on the well-sampled band, so CGLS
    converges in a few iterations where plain CGLS, or nnAudio2's Landweber iteration with its
    random step-size estimate, needs many more. For any ``X`` that is the CQT of a signal the
    weighted and unweighted least-squares solutions coincide. The iterates stay in the range of
    the adjoint, so the result is the minimum-norm solution: content the CQT does not see (see
    below) comes back as zero, not as noise. ``n_iter`` defaults to 64 (nnAudio2: 32) so that
    the accuracy below is reached; the cost grows linearly with it.

    **Choosing hop_length for invertibility.** Bin ``k`` is a band-pass signal of bandwidth
    about ``2 sr / lengths[k]`` sampled every ``hop_length`` samples; it is sampled without
    aliasing when ``hop_length <= lengths[k] / 2``. For the constant-Q transform
    (``lengths[k] = Q sr / f_k``, ``Q = filter_scale / alpha``, 17.3 at 12 bins per octave)
    that is the frame condition ::

        hop_length <= sr * Q / (2 * f)

    for every frequency ``f`` present in the signal (for a complete inverse, ``f`` = the top
    bin); for the variable-Q transform ``f`` becomes ``f + gamma / alpha`` (wider filters need
    smaller hops). At ``sr=22050`` and 12 bins per octave, ``hop_length=512`` recovers content
    up to about 370 Hz, ``256`` up to 745 Hz, ``64`` up to 3 kHz. Above that limit the CQT is
    undersampled: several signals have the same CQT and the solver returns the one of least
    energy, so those components come back attenuated and smeared (never amplified). Content
    below the lowest bin or above the top bin is not measured and is lost.

    **Ends.** The first and last half-kernel (``Q * sr / (2 fmin)`` samples, 0.26 s at
    32.7 Hz) are less well determined. With ``pad_mode='reflect'`` (the default) the frames
    near the ends see mirrored samples that repeat information, so the data leave part of the
    signal there undetermined; the plain minimum-norm solution would spread that part over the
    whole clip as content just below the lowest bin (about -52 dB on 1 s clips from 32.7 Hz).
    The solver therefore counts signal energy within half a kernel of either end less (a
    diagonal right preconditioner, ``ICQTConfig.end_weighting``) and keeps the undetermined
    part at the ends. With ``pad_mode='constant'`` (librosa's default) the ends are determined,
    no weighting is needed, and the accuracy keeps improving with ``n_iter``.

    **Accuracy** (measured; sums of four sines between 110 and 330 Hz, 1 s at 22.05 kHz, 84
    bins from 32.7 Hz, samples farther than half the longest kernel from the ends, default
    ``n_iter``, float32 and float64): 62-83 dB SNR with reflect padding and 74-87 dB with
    constant padding at hops 256 and 512; ``librosa.cqt -> librosa.icqt`` reaches 50-58 dB
    (hop 256) and 20-44 dB (hop 512) on the same signals, nnAudio2's ``iCQT`` 49-60 dB (hop
    512, 2 s clips). Checked in ``tests/test_icqt.py``.

    ``length``: if ``X`` has as many frames as a ``length``-sample signal has, the solution is
    computed at that length (exact model, ends included). Otherwise (``length=None`` included)
    the true length is unknown: every length from ``(frames - 1) * hop_length`` to
    ``frames * hop_length - 1`` gives those frames (``center=True``). Solving at one of them
    would model the frames' right padding as that of the wrong signal, and the mismatch leaks
    into the whole least-squares solution (middle-section RMS error 0.10 on librosa's
    ``test_icqt`` sweep: sr 16000, hop 512, 84 bins from C1, 1.5 s, ``pad_mode='constant'``).
    The samples after ``(frames - 1) * hop_length`` that the frames see are therefore solved for
    as free unknowns, which models every consistent length exactly (1.4e-4 there; 4.6e-4 with
    the true length, 4.5e-3 for ``librosa.icqt``), and the first ``(frames - 1) * hop_length``
    samples are returned, zero-padded or trimmed to ``length`` (nnAudio2's promise).

    A float64 ``X`` is inverted with the float64 design of the kernels, lengths and weights
    while the (float32) state equals that design rounded, so the output is float64-accurate.

    The PyTorch module cannot be compiled or exported (``torch.compile(fullgraph=True)``,
    ``torch.export``, ONNX): it builds the solver geometry with NumPy/SciPy at call time, takes
    the CQT's adjoint with ``torch.func.vjp`` and iterates on complex tensors; the JAX module
    works under ``jax.jit`` and ``jax.export``.

    Examples
    --------
    >>> import torch, nnaudio_torch
    >>> cqt = nnaudio_torch.CQT1992v2(sr=22050, hop_length=256, fmin=55.0, n_bins=60, output_format="Complex")
    >>> icqt = nnaudio_torch.iCQT(sr=22050, hop_length=256, fmin=55.0, n_bins=60)
    >>> x = torch.sin(2 * torch.pi * 220.0 * torch.arange(22050) / 22050)
    >>> icqt(cqt(x), length=22050).shape
    torch.Size([22050])
    """

    cqt_kernels_real: Tensor
    cqt_kernels_imag: Tensor
    lengths: Tensor
    weights: Tensor

    def __init__(
        self,
        sr: float = 22050,
        *,
        hop_length: int = 512,
        fmin: float = 32.7,
        fmax: float | None = None,
        n_bins: int = 84,
        bins_per_octave: int = 12,
        filter_scale: float = 1,
        norm: float | None = 1,
        window: WindowSpec = "hann",
        center: bool = True,
        pad_mode: str = "reflect",
        n_iter: int = ICQT_N_ITER,
        gamma: float | None = 0,
        normalization_type: ICQTNormalization = "librosa",
        verbose: bool = True,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_bool("verbose", verbose)
        cfg = ICQTConfig(
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            fmax=fmax,
            n_bins=n_bins,
            bins_per_octave=bins_per_octave,
            filter_scale=filter_scale,
            norm=norm,
            window=window,
            center=center,
            pad_mode=pad_mode,
            n_iter=n_iter,
            gamma=gamma,
            normalization_type=normalization_type,
        )
        dt = resolve_dtype(dtype)
        self.config = cfg
        self.hop_length, self.n_bins, self.center, self.pad_mode = cfg.hop_length, cfg.n_bins, cfg.center, cfg.pad_mode
        self.n_iter = cfg.n_iter
        k = cfg.kernels()
        self.frequencies = k.freqs
        self.register_buffer("cqt_kernels_real", torch.tensor(k.packed_real, dtype=dt))
        self.register_buffer("cqt_kernels_imag", torch.tensor(k.packed_imag, dtype=dt))
        self.register_buffer("lengths", torch.tensor(k.lengths, dtype=dt))
        self.register_buffer("weights", torch.tensor(cfg.bin_weights(k), dtype=dt))

    def _device(self) -> torch.device:
        return self.cqt_kernels_real.device

    def _frozen(self, name: str, dtype: torch.dtype) -> Tensor:
        """Return the frozen state ``name`` in the compute ``dtype`` (the float64 design while the state is designed)."""
        return frozen_in(
            getattr(self, name), dtype, key=(self.config, name), design=partial(_design, self.config, name)
        )

    @autocast_off
    def forward(self, X: Any, length: int | None = None) -> Tensor:
        """Reconstruct the signal.

        Parameters
        ----------
        X : Tensor or np.ndarray [shape=(..., n_bins, frames, 2)] or complex [shape=(..., n_bins, frames)]
            The ``'Complex'`` CQT (real, imag) to invert.
        length : int > 0 or None
            Output length; ``None``: ``(frames - 1) * hop_length`` (``center=True``; the
            shortest signal with that many frames, solved with the samples after it free, see
            Notes).

        Returns
        -------
        Tensor [shape=(..., length)]
        """
        cfg = self.config
        length = check_optional_int("length", length, minimum=1)
        _check_bins(X, cfg.n_bins)
        spec, out_dtype = as_spectrum(X, n_bins=cfg.n_bins, device=self._device())
        n_frames = spec.shape[-1]
        exact = length is not None and cfg.n_frames(length) == n_frames
        n_samples = length if length is not None and exact else cfg.signal_length(n_frames)
        end_width, end_strength = cfg.end_weighting()
        dtype = spec.real.dtype
        y = icqt(
            spec,
            self._frozen("cqt_kernels_real", dtype),
            self._frozen("cqt_kernels_imag", dtype),
            layout=cfg.layout(),
            width=cfg.width,
            n_samples=n_samples,
            n_iter=self.n_iter,
            center=self.center,
            pad_mode=self.pad_mode,
            scale=_scale(cfg.normalization_type, self._frozen("lengths", dtype)),
            weights=self._frozen("weights", dtype),
            end_width=end_width,
            end_strength=end_strength,
            free_end=not exact,
        )
        if length is not None and length != n_samples:
            y = y[..., :length] if length < n_samples else torch.nn.functional.pad(y, (0, length - n_samples))
        return y.to(out_dtype)

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"sr={c.sr}, hop_length={c.hop_length}, fmin={c.fmin}, n_bins={c.n_bins}, "
            f"bins_per_octave={c.bins_per_octave}, gamma={c.gamma}, n_iter={c.n_iter}"
        )
