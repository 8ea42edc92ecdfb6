"""Inverse constant-Q transform (Flax NNX): weighted CGLS with the CQT's autodiff transpose."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from nnaudio_shared import ParameterError, PolyphaseGeometry, PolyphaseLayout, WindowSpec, polyphase_geometry
from nnaudio_shared._icqt import ICQT_N_ITER, ICQTConfig, ICQTNormalization
from nnaudio_shared._validate import check_bool, check_optional_int

from . import _functional_cqt as FC
from ._checks import as_spectrum, resolve_dtype
from ._cqt import _scale
from ._frozen import frozen_in
from ._shell import Transform
from ._variables import Buffer

__all__ = ["cgls", "cqt_operator", "free_samples", "iCQT", "icqt"]

_HIGHEST = jax.lax.Precision.HIGHEST


def _batch_dot(a: Array, b: Array) -> Array:
    """``sum(a * b)`` over every axis but the first: shape ``(batch,)``."""
    return jnp.sum((a * b).reshape(a.shape[0], -1), axis=1)


def _per_item(v: Array, like: Array) -> Array:
    """``v`` of shape ``(batch,)`` reshaped to broadcast against ``like`` ``(batch, ...)``."""
    return v.reshape(-1, *([1] * (like.ndim - 1)))


def _safe_div(num: Array, den: Array) -> Array:
    """``num / den`` where ``den > 0`` and 0 elsewhere, with finite gradients everywhere."""
    ok = den > 0
    return jnp.where(ok, num / jnp.where(ok, den, jnp.ones_like(den)), jnp.zeros_like(num))


def cgls(
    operator: Callable[[Array], Array],
    b: Array,
    *,
    n_samples: int,
    n_iter: int,
    weights: Array | None = None,
    preconditioner: Array | None = None,
) -> Array:
    """Weighted least squares by conjugate gradients on the normal equations (CGLS).

    Minimises ``sum(weights * (operator(x) - b) ** 2)`` over real ``x`` of shape
    ``(batch, n_samples)``, starting from ``x = 0``, with exactly ``n_iter`` iterations (one
    ``operator`` and one transpose each, in a :func:`jax.lax.fori_loop`). The transpose comes
    from :func:`jax.linear_transpose`, so ``operator`` must be linear. Differentiable with
    respect to ``b`` (and ``weights``); steps whose denominator is zero (e.g. ``b = 0``) are
    skipped without NaN in values or gradients. No randomness; works under ``jax.jit``.

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
    b : Array [shape=(batch, ...)], real
    n_samples : int
        Static.
    n_iter : int >= 1
        Static.
    weights : Array or None
        Non-negative weights broadcastable to ``b`` (``None``: all ones).
    preconditioner : Array [shape=(n_samples,)] or None
        Positive diagonal right preconditioner ``m``: the iterates converge to the solution of
        least ``sum(x ** 2 / m)`` (``None``: all ones, the minimum-norm solution).

    Returns
    -------
    Array [shape=(batch, n_samples)]
    """
    x0 = jnp.zeros((b.shape[0], n_samples), dtype=b.dtype)
    transpose = jax.linear_transpose(operator, x0)

    def weighted(r: Array) -> Array:
        return r if weights is None else r * weights

    def precondition(s: Array) -> Array:
        return s if preconditioner is None else s * preconditioner

    def adjoint(r: Array) -> Array:
        return transpose(weighted(r))[0]  # type: ignore[no-any-return]

    def normalised(s: Array, gamma: Array) -> Array:
        # the residual in the preconditioner inner product (0 where it is 0); no gradient
        return jax.lax.stop_gradient(s * _per_item(_safe_div(jnp.ones_like(gamma), jnp.sqrt(gamma)), s))

    def reorthogonalise(s: Array, basis: Array) -> Array:
        v = jax.lax.stop_gradient(s)
        for _ in range(2):
            c = jnp.einsum("kbn,bn->kb", basis, precondition(v), precision=_HIGHEST)
            v = v - jnp.einsum("kb,kbn->bn", c, basis, precision=_HIGHEST)
        return s + jax.lax.stop_gradient(v - s)

    def step(i: Any, carry: tuple[Array, ...]) -> tuple[Array, ...]:
        x, r, p, gamma, basis = carry
        q = operator(p)
        alpha = _safe_div(gamma, _batch_dot(q, weighted(q)))
        x = x + _per_item(alpha, p) * p
        r = r - _per_item(alpha, q) * q
        s = reorthogonalise(adjoint(r), basis)
        z = precondition(s)
        gamma_new = _batch_dot(s, z)
        basis = jax.lax.dynamic_update_index_in_dim(basis, normalised(s, gamma_new), i + 1, 0)
        p = z + _per_item(_safe_div(gamma_new, gamma), p) * p
        return x, r, p, gamma_new, basis

    s = adjoint(b)
    z = precondition(s)
    gamma = _batch_dot(s, z)
    basis = jnp.zeros((n_iter + 1, b.shape[0], n_samples), dtype=b.dtype).at[0].set(normalised(s, gamma))
    x, *_ = jax.lax.fori_loop(0, n_iter, step, (x0, b, z, gamma, basis))
    return x


def _columns(layout: PolyphaseLayout) -> tuple[np.ndarray, np.ndarray]:
    """Block offset and bin of every GEMM column of ``layout`` (from its taps)."""
    block = np.empty(layout.n_cols, dtype=np.int32)
    bins = np.empty(layout.n_cols, dtype=np.int32)
    for b, lo, hi, col in layout.taps:
        block[col : col + hi - lo] = b
        bins[col : col + hi - lo] = np.arange(lo, hi)
    return block, bins


def free_samples(geo: PolyphaseGeometry, free_end: bool) -> int:
    """Return the number of samples after the signal that the frames see (unknowns when ``free_end``)."""
    return max(0, geo.right) if free_end else 0


def cqt_operator(
    kernels_real: Array,
    kernels_imag: Array,
    *,
    layout: PolyphaseLayout,
    width: int,
    n_samples: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Array | None = None,
    free_end: bool = False,
) -> Callable[[Array], Array]:
    """Return the full-rate CQT of :func:`nnaudio_jax._functional_cqt.cqt` as a linear map for solvers.

    Returns ``op(x)`` for ``x`` of shape ``(batch, n_samples)`` giving the (real, imag) CQT
    ``(batch, n_bins, frames, 2)`` -- the same numbers as ``cqt`` -- with the shifted adds of the
    polyphase layout written as one gather along time and one matmul with the column-to-bin
    incidence matrix: a handful of operations to trace, transpose and compile (``cqt``'s one
    add per tap makes a program that takes many seconds to compile inside a solver loop).

    ``free_end`` (with ``center``): the samples after the last one that the frames see (the
    right padding) are inputs of ``op`` too, ``x`` of shape ``(batch, n_samples + free_samples(...))``,
    instead of a reflection of (or zeros after) the signal.
    """
    geo = polyphase_geometry(n_samples, layout=layout, width=width, center=center)
    right = geo.right - free_samples(geo, free_end and center)
    block, bins = _columns(layout)
    n_cols, t, n_bins = layout.n_cols, geo.n_frames, layout.n_bins
    rows = jnp.arange(t, dtype=jnp.int32)[:, None] + (geo.t0 + jnp.asarray(block))[None, :]
    flat = (rows * n_cols + jnp.arange(n_cols, dtype=jnp.int32)[None, :]).reshape(-1)
    dtype = kernels_real.dtype
    incidence = (jnp.asarray(bins)[:, None] == jnp.arange(n_bins, dtype=jnp.int32)[None, :]).astype(dtype)
    weights = FC.cqt_weights(kernels_real, kernels_imag, layout).reshape(layout.hop, layout.n_cols, 2)
    mode = pad_mode if center else "constant"

    def op(x: Array) -> Array:
        b = x.shape[0]
        xp = FC.cqt_pad(x, geo.left, right, mode)
        blocks = xp.reshape(b, geo.n_blocks, layout.hop)
        g = jnp.einsum("bnh,hcz->bncz", blocks, weights, precision=_HIGHEST).reshape(b, geo.n_blocks * n_cols, 2)
        taps = jnp.take(g, flat, axis=1).reshape(b, t, n_cols, 2)
        y = jnp.einsum("btcz,ck->bkzt", taps, incidence, precision=_HIGHEST)
        if scale is not None:
            y = y * scale[:, None, None]
        return jnp.swapaxes(y, 2, 3)

    return op


def icqt(
    spec: Array,
    kernels_real: Array,
    kernels_imag: Array,
    *,
    layout: PolyphaseLayout,
    width: int,
    n_samples: int,
    n_iter: int,
    center: bool = True,
    pad_mode: str = "reflect",
    scale: Array | None = None,
    weights: Array | None = None,
    end_width: int = 0,
    end_strength: float = 0.0,
    free_end: bool = False,
) -> Array:
    """Inverse of the full-rate constant-Q transform :func:`cqt` by weighted CGLS.

    Parameters
    ----------
    spec : Array [shape=(..., n_bins, frames)], complex
        The CQT to invert.
    kernels_real, kernels_imag, layout, width, center, pad_mode, scale
        Exactly the arguments of the forward :func:`nnaudio_jax._functional_cqt.cqt` that
        produced ``spec`` (packed kernels, polyphase layout, frame width, padding, per-bin
        output factor). Static: ``layout``, ``width``, ``center``, ``pad_mode``.
    n_samples : int
        Length of the signal to reconstruct (static); its CQT must have ``frames`` frames.
    n_iter : int >= 1
        CGLS iterations (static).
    weights : Array [shape=(n_bins,)] or None
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
    Array [shape=(..., n_samples)], real, the dtype of ``spec``'s real part
    """
    batch = spec.shape[:-2]
    n_bins, n_frames = spec.shape[-2:]
    s2 = spec.reshape(-1, n_bins, n_frames)
    b = jnp.stack((jnp.real(s2), jnp.imag(s2)), axis=-1)
    real_dtype = b.dtype
    kr, ki = kernels_real.astype(real_dtype), kernels_imag.astype(real_dtype)
    sc = None if scale is None else scale.astype(real_dtype)

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
    w = None if weights is None else weights.astype(real_dtype).reshape(n_bins, 1, 1)
    m = None
    if end_strength > 0 and end_width > 0:
        n = jnp.arange(n_total, dtype=real_dtype)
        d = jnp.minimum(n, n_total - 1 - n)
        m = 1 + end_strength * jnp.clip(1 - d / end_width, 0, None) ** 2
    x = cgls(operator, b, n_samples=n_total, n_iter=n_iter, weights=w, preconditioner=m)
    return x[:, :n_samples].reshape(*batch, n_samples)


#: ``icqt`` compiled once per configuration and shape, so eager calls of the module are fast too
#: (inside an outer ``jax.jit`` it is inlined).
_icqt_jit = jax.jit(
    icqt,
    static_argnames=(
        "layout",
        "width",
        "n_samples",
        "n_iter",
        "center",
        "pad_mode",
        "end_width",
        "end_strength",
        "free_end",
    ),
)


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
    try:
        is_complex = np.dtype(dtype).kind == "c"
    except TypeError:
        return
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
    equations) from ``x = 0``, in a :func:`jax.lax.fori_loop`, with the CQT's exact transpose
    from :func:`jax.linear_transpose`. Differentiable with respect to ``X``, works eagerly and
    under ``jax.jit``; no randomness (two constructions give identical outputs).

    Parameters
    ----------
    sr, hop_length, fmin, fmax, n_bins, bins_per_octave, filter_scale, norm, window, center, pad_mode
        The arguments of the :class:`CQT1992v2` that produced ``X`` (same defaults). For a
        ``VQT`` or ``CQT2010v2`` output pass its ``basis_norm`` as ``norm`` and keep
        ``center=True`` (those transforms are always centred).
    n_iter : int >= 1
        CGLS iterations (each costs one CQT and one transpose). Default 64 (nnAudio2: 32).
    gamma : float >= 0 or None
        Bandwidth offset of the variable-Q transform that produced ``X`` (``VQT``'s ``gamma``;
        0, the default, for a constant-Q transform; ``None``: librosa's ERB-proportional value).
    normalization_type : {'librosa', 'convolutional', 'wrap'}
        Output scaling of the transform that produced ``X``: ``'librosa'`` (CQT1992v2's default,
        and ``norm=True`` of CQT2010v2/VQT), ``'convolutional'`` (``norm=False``) or ``'wrap'``.
    verbose : bool
        Accepted for nnAudio2 compatibility; nothing is ever printed.
    dtype : jnp.dtype
        Dtype of the stored kernels, ``jnp.float32`` (default) or ``jnp.float64``.

    Attributes
    ----------
    cqt_kernels_real, cqt_kernels_imag : Buffer [shape=(sum(n_k),)]
        The packed kernels of the transform being inverted (as in :class:`CQT1992v2`).
    lengths : Buffer [shape=(n_bins,)]
        Fractional filter lengths.
    weights : Buffer [shape=(n_bins,)]
        The least-squares weight of each bin (see Notes).

    Raises
    ------
    ParameterError
        For invalid arguments, and for ``X`` with the wrong number of bins, NaN/Inf (eager), or
        a magnitude-only shape.

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
    >>> import jax.numpy as jnp, nnaudio_jax
    >>> cqt = nnaudio_jax.CQT1992v2(sr=22050, hop_length=256, fmin=55.0, n_bins=60, output_format="Complex")
    >>> icqt = nnaudio_jax.iCQT(sr=22050, hop_length=256, fmin=55.0, n_bins=60)
    >>> x = jnp.sin(2 * jnp.pi * 220.0 * jnp.arange(22050) / 22050)
    >>> icqt(cqt(x), length=22050).shape
    (22050,)
    """

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
        dtype: Any = None,
    ) -> None:
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
        self.cqt_kernels_real = Buffer(jnp.asarray(k.packed_real, dtype=dt))
        self.cqt_kernels_imag = Buffer(jnp.asarray(k.packed_imag, dtype=dt))
        self.lengths = Buffer(jnp.asarray(k.lengths, dtype=dt))
        self.weights = Buffer(jnp.asarray(cfg.bin_weights(k), dtype=dt))

    @property
    def frequencies(self) -> np.ndarray:
        """Centre frequencies in Hz, shape ``(n_bins,)``."""
        return self.config.freqs()

    def _frozen(self, name: str, dtype: Any) -> Array:
        """Return the frozen state ``name`` in the compute ``dtype`` (the float64 design while the state is designed)."""
        state = getattr(self, name)[...]
        return frozen_in(state, dtype, key=(self.config, name), design=partial(_design, self.config, name))

    def __call__(self, X: Any, length: int | None = None) -> Array:
        """Reconstruct the signal.

        Parameters
        ----------
        X : Array or np.ndarray [shape=(..., n_bins, frames, 2)] or complex [shape=(..., n_bins, frames)]
            The ``'Complex'`` CQT (real, imag) to invert.
        length : int > 0 or None
            Output length (static under jit); ``None``: ``(frames - 1) * hop_length``
            (``center=True``; the shortest signal with that many frames, solved with the
            samples after it free, see Notes).

        Returns
        -------
        Array [shape=(..., length)]
        """
        cfg = self.config
        length = check_optional_int("length", length, minimum=1)
        _check_bins(X, cfg.n_bins)
        spec, out_dtype = as_spectrum(X, n_bins=cfg.n_bins)
        n_frames = spec.shape[-1]
        exact = length is not None and cfg.n_frames(length) == n_frames
        n_samples = length if length is not None and exact else cfg.signal_length(n_frames)
        end_width, end_strength = cfg.end_weighting()
        dtype = jnp.real(spec).dtype
        y = _icqt_jit(
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
            if length < n_samples:
                y = y[..., :length]
            else:
                y = jnp.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, length - n_samples)])
        return y.astype(out_dtype)
