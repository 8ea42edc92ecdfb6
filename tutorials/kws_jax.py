"""Flax NNX keyword-spotting models on nnaudio_jax front-ends, and a jitted optax training loop.

The same three models as :mod:`kws_torch` (layouts differ only where Flax wants channels last;
depthwise and 1x1 convolutions are written as shifted multiply-adds and matmuls, which XLA runs
much faster on CPU than grouped convolutions):

* :class:`KeywordSpotter` - log mel spectrogram + one linear layer (Part 2 and 3).
* :class:`BCResNet` - BC-ResNet on a log mel front-end (Part 4).
* :class:`AudioClassifier` - mean log mel energies + linear layer (Part 5).

Training: ``nnx.Optimizer(model, nnaudio_jax.frontend_param_groups(model, lr), wrt=nnx.Param)``
gives the front-end kernels a lower learning rate (an ``optax.partition``), and
:func:`nnaudio_jax.project_nonnegative` keeps the mel filters non-negative inside the jitted step.
"""

from __future__ import annotations

import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from kws_torch import SR, TrainConfig, accuracy, batches

import nnaudio_jax as nj

EPS = 1e-6


def log_mel_frontend(n_mels: int, *, trainable_mel: bool, trainable_STFT: bool) -> nj.MelSpectrogram:
    """Build the front-end of Parts 2-4: 30 ms Hann windows (480 samples), 10 ms hop, 101 frames per second."""
    return nj.MelSpectrogram(
        sr=SR, n_fft=480, hop_length=160, n_mels=n_mels, fmin=0.0, norm=1,
        trainable_mel=trainable_mel, trainable_STFT=trainable_STFT,
    )  # fmt: skip


class KeywordSpotter(nnx.Module):
    """Linear keyword spotter on a trainable log mel spectrogram (see ``kws_torch.KeywordSpotter``)."""

    def __init__(
        self, n_mels: int = 64, n_classes: int = 12, *, trainable_mel: bool = True, trainable_STFT: bool = True,
        rngs: nnx.Rngs,
    ):  # fmt: skip
        self.mel = log_mel_frontend(n_mels, trainable_mel=trainable_mel, trainable_STFT=trainable_STFT)
        self.norm = nnx.BatchNorm(n_mels, axis=1, momentum=0.9, use_bias=False, use_scale=False, rngs=rngs)
        self.classifier = nnx.Linear(n_mels * 101, n_classes, rngs=rngs)

    def features(self, x: jax.Array) -> jax.Array:
        """Standardised log mel spectrogram ``(batch, n_mels, 101)``."""
        return self.norm(jnp.log(self.mel(x) + EPS))

    def __call__(self, x: jax.Array) -> jax.Array:
        """Logits ``(batch, n_classes)`` of waveforms ``(batch, 16000)``."""
        f = self.features(x)
        return self.classifier(f.reshape(f.shape[0], -1))


class SubSpectralNorm(nnx.Module):
    """Batch norm with separate statistics for ``groups`` frequency sub-bands; input ``(B, F, T, C)``."""

    def __init__(self, channels: int, groups: int = 5, *, rngs: nnx.Rngs):
        self.groups = groups
        self.bn = nnx.BatchNorm(channels * groups, momentum=0.9, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        """Normalise; ``F`` must be divisible by ``groups``."""
        b, f, t, c = x.shape
        s = self.groups
        y = x.reshape(b, s, f // s, t, c).transpose(0, 2, 3, 1, 4).reshape(b, f // s, t, s * c)
        y = self.bn(y)
        return y.reshape(b, f // s, t, s, c).transpose(0, 3, 1, 2, 4).reshape(b, f, t, c)


class DepthwiseConv(nnx.Module):
    """Depthwise 2-D convolution (one filter per channel, no bias) on ``(B, F, T, C)``, NHWC.

    Computed as a sum of shifted, channel-scaled copies of the input (``kh * kw`` taps): XLA's CPU
    backend runs grouped convolutions with one channel per group far slower than this, forward and
    backward. Same weights and result as ``nnx.Conv(c, c, kernel, feature_group_count=c)``; with
    one input channel (``x.shape[-1] == 1``) it is a full ``1 -> channels`` convolution.
    """

    def __init__(
        self, channels: int, kernel: tuple[int, int], *, stride: tuple[int, int] = (1, 1),
        dilation: tuple[int, int] = (1, 1), padding: tuple[tuple[int, int], tuple[int, int]] | None = None,
        rngs: nnx.Rngs,
    ):  # fmt: skip
        # nnx.Conv's default initialisation for this kernel shape (fan-in = kh * kw)
        self.kernel = nnx.Param(jax.nn.initializers.lecun_normal()(rngs.params(), (*kernel, 1, channels)))
        self.size, self.stride, self.dilation = kernel, stride, dilation
        self.padding = padding or tuple((d * (k - 1) // 2,) * 2 for k, d in zip(kernel, dilation, strict=True))

    def __call__(self, x: jax.Array) -> jax.Array:
        """``(B, F, T, C)`` -> ``(B, F', T', C)``."""
        (kh, kw), (sh, sw), (dh, dw) = self.size, self.stride, self.dilation
        xp = jnp.pad(x, ((0, 0), *self.padding, (0, 0)))
        f_out = (xp.shape[1] - dh * (kh - 1) - 1) // sh + 1
        t_out = (xp.shape[2] - dw * (kw - 1) - 1) // sw + 1
        w = self.kernel[...]
        taps = [
            xp[:, i * dh : i * dh + sh * (f_out - 1) + 1 : sh, j * dw : j * dw + sw * (t_out - 1) + 1 : sw, :]
            for i in range(kh)
            for j in range(kw)
        ]
        if x.shape[-1] == 1:  # one input channel: patches @ kernel, a plain matmul
            return jnp.concatenate(taps, axis=-1) @ w.reshape(kh * kw, -1)
        out = taps[0] * w[0, 0, 0]
        for k in range(1, kh * kw):
            out = out + taps[k] * w[k // kw, k % kw, 0]
        return out


class ConvBN(nnx.Module):
    """Convolution (no bias, 'same' padding) + BatchNorm or SubSpectralNorm + activation (NHWC)."""

    def __init__(
        self, cin: int, cout: int, kernel: tuple[int, int], *, stride: tuple[int, int] = (1, 1),
        dilation: tuple[int, int] = (1, 1), groups: int = 1, norm: str = "bn", act: str | None = "relu",
        rngs: nnx.Rngs,
    ):  # fmt: skip
        pad = [(d * (k - 1) // 2,) * 2 for k, d in zip(kernel, dilation, strict=True)]
        self.conv: nnx.Module
        if (groups > 1 and groups == cin == cout) or cin == 1:
            self.conv = DepthwiseConv(cout, kernel, stride=stride, dilation=dilation, rngs=rngs)
        elif kernel == (1, 1) and groups == 1:
            self.conv = nnx.Linear(cin, cout, use_bias=False, rngs=rngs)  # a 1x1 convolution in NHWC
        else:
            self.conv = nnx.Conv(
                cin, cout, kernel, stride, padding=pad, kernel_dilation=dilation, feature_group_count=groups,
                use_bias=False, rngs=rngs,
            )  # fmt: skip
        self.norm = SubSpectralNorm(cout, rngs=rngs) if norm == "ssn" else nnx.BatchNorm(cout, momentum=0.9, rngs=rngs)
        self.act = act

    def __call__(self, x: jax.Array) -> jax.Array:
        """``(B, F, T, cin)`` -> ``(B, F', T, cout)``."""
        y = self.norm(self.conv(x))
        return nnx.relu(y) if self.act == "relu" else nnx.silu(y) if self.act == "swish" else y


class BCResBlock(nnx.Module):
    """Broadcasted residual block; a transition block (``cin != cout``) has no identity shortcut."""

    def __init__(self, cin: int, cout: int, *, stage: int, stride: int = 1, rngs: nnx.Rngs):
        self.transition = cin != cout
        self.pre = ConvBN(cin, cout, (1, 1), rngs=rngs) if self.transition else None
        self.freq_dw = ConvBN(cout, cout, (3, 1), stride=(stride, 1), groups=cout, norm="ssn", act=None, rngs=rngs)
        self.time_dw = ConvBN(cout, cout, (1, 3), dilation=(1, 2**stage), groups=cout, act="swish", rngs=rngs)
        self.pointwise = nnx.Linear(cout, cout, use_bias=False, rngs=rngs)  # 1x1 convolution
        self.dropout = nnx.Dropout(0.1, broadcast_dims=(1, 2), rngs=rngs)  # drops whole channels

    def __call__(self, x: jax.Array) -> jax.Array:
        """``(B, F, T, cin)`` -> ``(B, F / stride, T, cout)``."""
        aux = self.freq_dw(self.pre(x) if self.pre is not None else x)
        y = self.dropout(self.pointwise(self.time_dw(aux.mean(axis=1, keepdims=True)))) + aux
        return nnx.relu(y if self.transition else y + x)


class BCResNet(nnx.Module):
    """BC-ResNet-``scale`` keyword classifier on a trainable log mel front-end (see ``kws_torch.BCResNet``)."""

    def __init__(
        self, scale: float = 1, n_classes: int = 12, *, trainable_mel: bool = True, trainable_STFT: bool = False,
        rngs: nnx.Rngs,
    ):  # fmt: skip
        base = int(8 * scale)
        c = [2 * base, base, int(1.5 * base), 2 * base, int(2.5 * base), 4 * base]
        self.mel = log_mel_frontend(40, trainable_mel=trainable_mel, trainable_STFT=trainable_STFT)
        self.head = ConvBN(1, c[0], (5, 5), stride=(2, 1), rngs=rngs)
        blocks = []
        for stage, n in enumerate((2, 2, 4, 4)):
            for i in range(n):
                cin = c[stage] if i == 0 else c[stage + 1]
                stride = 2 if stage in (1, 2) and i == 0 else 1
                blocks.append(BCResBlock(cin, c[stage + 1], stage=stage, stride=stride, rngs=rngs))
        self.blocks = nnx.List(blocks)
        self.dw = DepthwiseConv(c[4], (5, 5), padding=((0, 0), (2, 2)), rngs=rngs)  # 5 bands -> 1
        self.pw = nnx.Linear(c[4], c[5], use_bias=False, rngs=rngs)  # 1x1 convolution
        self.bn = nnx.BatchNorm(c[5], momentum=0.9, rngs=rngs)
        self.out = nnx.Linear(c[5], n_classes, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        """Logits ``(batch, n_classes)`` of waveforms ``(batch, 16000)``."""
        h = self.head(jnp.log(self.mel(x) + EPS)[..., None])  # (batch, 40, 101, 1) -> (batch, 20, 101, c0)
        for block in self.blocks:
            h = block(h)
        h = nnx.relu(self.bn(self.pw(self.dw(h))))  # (batch, 1, 101, c5)
        return self.out(h.mean(axis=(1, 2)))


class AudioClassifier(nnx.Module):
    """Mean log mel energies + linear layer (the Flax twin of ``kws_torch.AudioClassifier``)."""

    def __init__(self, n_classes: int = 12, *, trainable_mel: bool = True, n_mels: int = 64, rngs: nnx.Rngs):
        self.mel = nj.MelSpectrogram(sr=SR, n_mels=n_mels, trainable_mel=trainable_mel)
        self.head = nnx.Linear(n_mels, n_classes, rngs=rngs)

    def __call__(self, input_values: jax.Array) -> jax.Array:
        """Logits ``(batch, n_classes)``."""
        return self.head(jnp.log(self.mel(input_values) + EPS).mean(-1))


def _loss(model: nnx.Module, x: jax.Array, y: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(model(x), y).mean()


@nnx.jit(static_argnames=("guard",))
def train_step(model: nnx.Module, opt: nnx.Optimizer, x: jax.Array, y: jax.Array, guard: bool = True) -> jax.Array:
    """One jitted optimiser step; the mel filters are clamped to >= 0 afterwards when ``guard``."""
    loss, grads = nnx.value_and_grad(_loss)(model, x, y)
    opt.update(model, grads)
    if guard:
        nj.project_nonnegative(model)
    return loss


@nnx.jit
def _logits(model: nnx.Module, x: jax.Array) -> jax.Array:
    return model(x)


def predict(model: nnx.Module, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Predicted class of each clip (eval mode; the last batch is zero-padded: one compilation)."""
    model.eval()
    out = []
    for start in range(0, len(X), batch_size):
        xb = X[start : start + batch_size]
        n = len(xb)
        xb = np.pad(xb, ((0, batch_size - n), (0, 0))) if n < batch_size and len(X) > batch_size else xb
        out.append(np.asarray(_logits(model, jnp.asarray(xb))).argmax(-1)[:n])
    model.train()
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def make_optimizer(model: nnx.Module, cfg: TrainConfig) -> nnx.Optimizer:
    """AdamW with ``cfg.lr`` for the backbone and ``cfg.frontend_lr_scale * cfg.lr`` for the front-end."""
    tx = nj.frontend_param_groups(
        model, cfg.lr, frontend_lr_scale=cfg.frontend_lr_scale,
        optimizer=lambda lr: optax.adamw(lr, weight_decay=cfg.weight_decay),
    )  # fmt: skip
    return nnx.Optimizer(model, tx, wrt=nnx.Param)


def train(model: nnx.Module, data: dict[str, tuple[np.ndarray, np.ndarray]], cfg: TrainConfig) -> dict[str, Any]:
    """Train ``model`` on ``data['training']`` (full batches only: one compilation).

    Returns ``{'steps', 'seconds', 'val_accuracy' (per epoch), 'loss' (per epoch)}``.
    """
    rng = np.random.default_rng(cfg.seed)
    opt = make_optimizer(model, cfg)
    X, y = data["training"]
    bs = min(cfg.batch_size, len(X))
    hist: dict[str, Any] = {"loss": [], "val_accuracy": [], "steps": 0}
    model.train()
    t0 = time.perf_counter()
    for _ in range(cfg.epochs):
        losses = []
        for xb, yb in batches(X, y, bs, rng, shift=int(cfg.shift_ms * SR / 1000)):
            if len(xb) < bs:
                continue
            losses.append(float(train_step(model, opt, jnp.asarray(xb), jnp.asarray(yb), guard=cfg.guard)))
            hist["steps"] += 1
            if cfg.max_steps is not None and hist["steps"] >= cfg.max_steps:
                break
        hist["loss"].append(float(np.mean(losses)) if losses else float("nan"))
        if "validation" in data:
            hist["val_accuracy"].append(accuracy(predict(model, data["validation"][0]), data["validation"][1]))
        if cfg.verbose:
            val = f", val accuracy {hist['val_accuracy'][-1]:.3f}" if hist["val_accuracy"] else ""
            print(
                f"  [jax] epoch {len(hist['loss'])}: loss {hist['loss'][-1]:.3f}{val} ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
        if cfg.max_steps is not None and hist["steps"] >= cfg.max_steps:
            break
    hist["seconds"] = time.perf_counter() - t0
    return hist


def n_params(model: nnx.Module, *, frontend: bool | None = None) -> int:
    """Count the trainable weights (``frontend``: only front-end / only the rest)."""
    f: Any = nnx.Param
    if frontend is not None:
        fe = nj.frontend_filter(model)
        f = nnx.All(nnx.Param, fe if frontend else nnx.Not(fe))
    return sum(int(np.prod(v.shape)) for v in jax.tree_util.tree_leaves(nnx.state(model, f)))


def _state_vars(model: nnx.Module) -> dict[str, nnx.Variable]:
    kinds = (nnx.Param, nnx.BatchStat, nj.Buffer)
    return {"/".join(map(str, p)): v for p, v in nnx.iter_graph(model) if isinstance(v, kinds)}


def save_npz(model: nnx.Module, path: Any) -> None:
    """Save parameters, batch statistics and buffers to ``path`` (``.npz``, keys are state paths)."""
    np.savez(path, **{k: np.asarray(v[...]) for k, v in _state_vars(model).items()})


def load_npz(model: nnx.Module, path: Any) -> nnx.Module:
    """Load what :func:`save_npz` wrote into ``model`` (same architecture), in place; returns it."""
    with np.load(path) as z:
        for k, v in _state_vars(model).items():
            v[...] = jnp.asarray(z[k])
    return model
