"""PyTorch keyword-spotting models on nnaudio_torch front-ends, and a plain training loop.

Models (all take raw 16 kHz waveforms ``(batch, 16000)``):

* :class:`KeywordSpotter` - log mel spectrogram + one linear layer (Part 2 and 3).
* :class:`BCResNet` - BC-ResNet (Kim et al., Interspeech 2021) on a log mel front-end (Part 4).
* :class:`AudioClassifier` - the HuggingFace-``Trainer``-ready model: ``input_values`` in,
  ``SequenceClassifierOutput`` out (Part 5).

The training loop uses the two guard rails of :mod:`nnaudio_torch`: a lower learning rate for
the front-end kernels (:func:`nnaudio_torch.frontend_param_groups`) and non-negative mel
filters after every step (:func:`nnaudio_torch.project_nonnegative`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

import nnaudio_torch as nt

SR = 16000
EPS = 1e-6  # log floor; also keeps d log / d mel bounded once mel filters can reach zero


def log_mel_frontend(n_mels: int, *, trainable_mel: bool, trainable_STFT: bool) -> nt.MelSpectrogram:
    """Build the front-end of Parts 2-4: 30 ms Hann windows (480 samples), 10 ms hop, 101 frames per second."""
    return nt.MelSpectrogram(
        sr=SR, n_fft=480, hop_length=160, n_mels=n_mels, fmin=0.0, norm=1,
        trainable_mel=trainable_mel, trainable_STFT=trainable_STFT,
    )  # fmt: skip


class KeywordSpotter(nn.Module):
    """Linear keyword spotter on a trainable log mel spectrogram.

    nnAudio2's README model, with the log mel bands standardised (batch statistics while
    training, running averages at test time) so one learning rate suits every weight.

    Parameters
    ----------
    n_mels : int
        Mel bands (default 64).
    n_classes : int
        Output classes (default 12).
    trainable_mel, trainable_STFT : bool
        Which front-end kernels are trained.
    """

    def __init__(
        self, n_mels: int = 64, n_classes: int = 12, *, trainable_mel: bool = True, trainable_STFT: bool = True
    ):
        super().__init__()
        self.mel = log_mel_frontend(n_mels, trainable_mel=trainable_mel, trainable_STFT=trainable_STFT)
        self.norm = nn.BatchNorm1d(n_mels, affine=False)  # per-band standardisation (an affine map at test time)
        self.classifier = nn.Linear(n_mels * 101, n_classes)

    def features(self, x: Tensor) -> Tensor:
        """Standardised log mel spectrogram ``(batch, n_mels, 101)``."""
        return self.norm(torch.log(self.mel(x) + EPS))

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(batch, n_classes)`` of waveforms ``(batch, 16000)``."""
        return self.classifier(self.features(x).flatten(1))


# --- BC-ResNet ------------------------------------------------------------------------------------
# Broadcasted residual learning (Kim, Chang, Lee, Sung; Interspeech 2021), following the authors'
# reference implementation (Qualcomm-AI-research/bcresnet): frequency-depthwise 2-D part with
# sub-spectral norm, frequency average pooling, temporal depthwise (dilated) 1-D part broadcast back.


class SubSpectralNorm(nn.Module):
    """Batch norm with separate statistics for ``groups`` frequency sub-bands (Chang et al. 2021)."""

    def __init__(self, channels: int, groups: int = 5):
        super().__init__()
        self.groups = groups
        self.bn = nn.BatchNorm2d(channels * groups)

    def forward(self, x: Tensor) -> Tensor:
        """``x``: ``(batch, channels, freq, time)`` with ``freq`` divisible by ``groups``."""
        b, c, f, t = x.shape
        return self.bn(x.reshape(b, c * self.groups, f // self.groups, t)).reshape(b, c, f, t)


def conv_bn(
    cin: int, cout: int, kernel: tuple[int, int], *, stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1),
    groups: int = 1, norm: str = "bn", act: str | None = "relu",
) -> nn.Sequential:  # fmt: skip
    """Convolution (no bias, 'same' padding) + BatchNorm or SubSpectralNorm + activation."""
    pad = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation, strict=True))
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, pad, dilation, groups, bias=False)]
    layers.append(SubSpectralNorm(cout) if norm == "ssn" else nn.BatchNorm2d(cout))
    if act == "relu":
        layers.append(nn.ReLU())
    elif act == "swish":
        layers.append(nn.SiLU())
    return nn.Sequential(*layers)


class BCResBlock(nn.Module):
    """Broadcasted residual block; a transition block (``cin != cout``) has no identity shortcut."""

    def __init__(self, cin: int, cout: int, *, stage: int, stride: int = 1):
        super().__init__()
        self.transition = cin != cout
        f2: list[nn.Module] = [conv_bn(cin, cout, (1, 1))] if self.transition else []
        f2.append(conv_bn(cout, cout, (3, 1), stride=(stride, 1), groups=cout, norm="ssn", act=None))
        self.f2 = nn.Sequential(*f2)
        self.f1 = nn.Sequential(
            conv_bn(cout, cout, (1, 3), dilation=(1, 2**stage), groups=cout, act="swish"),
            nn.Conv2d(cout, cout, 1, bias=False),
            nn.Dropout2d(0.1),
        )

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, cin, freq, time)`` -> ``(batch, cout, freq / stride, time)``."""
        aux = self.f2(x)
        y = self.f1(aux.mean(dim=2, keepdim=True)) + aux  # 1-D temporal part broadcast over frequency
        return F.relu(y if self.transition else y + x)


class BCResNet(nn.Module):
    """BC-ResNet-``scale`` keyword classifier on a trainable log mel front-end (40 bands).

    Parameters
    ----------
    scale : float
        Width multiplier (1 for BC-ResNet-1: channels 16, 8, 12, 16, 20, 32; ~8 k weights).
    n_classes : int
    trainable_mel, trainable_STFT : bool
        Which front-end kernels are trained.
    """

    def __init__(
        self, scale: float = 1, n_classes: int = 12, *, trainable_mel: bool = True, trainable_STFT: bool = False
    ):
        super().__init__()
        base = int(8 * scale)
        c = [2 * base, base, int(1.5 * base), 2 * base, int(2.5 * base), 4 * base]
        self.mel = log_mel_frontend(40, trainable_mel=trainable_mel, trainable_STFT=trainable_STFT)
        self.head = conv_bn(1, c[0], (5, 5), stride=(2, 1))
        blocks: list[nn.Module] = []
        for stage, n in enumerate((2, 2, 4, 4)):
            for i in range(n):
                cin = c[stage] if i == 0 else c[stage + 1]
                blocks.append(BCResBlock(cin, c[stage + 1], stage=stage, stride=2 if stage in (1, 2) and i == 0 else 1))
        self.blocks = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(
            nn.Conv2d(c[4], c[4], (5, 5), padding=(0, 2), groups=c[4], bias=False),  # 5 bands -> 1
            nn.Conv2d(c[4], c[5], 1, bias=False),
            nn.BatchNorm2d(c[5]),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(c[5], n_classes, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(batch, n_classes)`` of waveforms ``(batch, 16000)``."""
        spec = torch.log(self.mel(x) + EPS).unsqueeze(1)  # (batch, 1, 40, 101)
        return self.classifier(self.blocks(self.head(spec))).flatten(1)


class AudioClassifier(nn.Module):
    """The HuggingFace-``Trainer`` model: ``input_values`` in, ``SequenceClassifierOutput`` out.

    A mel filterbank (trainable or fixed) on nnAudio2's default STFT (2048-point, hop 512), the
    log band energies averaged over time, and a linear layer. (nnAudio2's README example feeds the
    raw power to the linear layer; the log is what lets it train.)

    Parameters
    ----------
    n_classes : int
    trainable_mel : bool
    n_mels : int
    """

    def __init__(self, n_classes: int = 12, *, trainable_mel: bool = True, n_mels: int = 64):
        super().__init__()
        self.mel = nt.MelSpectrogram(sr=SR, n_mels=n_mels, trainable_mel=trainable_mel)
        self.head = nn.Linear(n_mels, n_classes)

    def forward(self, input_values: Tensor, labels: Tensor | None = None) -> Any:
        """``SequenceClassifierOutput(loss, logits)``; ``loss`` only when ``labels`` are given."""
        from transformers.modeling_outputs import SequenceClassifierOutput

        spec = torch.log(self.mel(input_values) + EPS).mean(-1)  # (batch, n_mels)
        logits = self.head(spec)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


# --- training -------------------------------------------------------------------------------------


@dataclass
class TrainConfig:
    """Hyper-parameters of :func:`train` (and of ``kws_jax.train``)."""

    epochs: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    frontend_lr_scale: float = 0.05
    weight_decay: float = 0.0
    shift_ms: float = 100.0  # random time shift augmentation, +- this many ms
    max_steps: int | None = None  # stop early (quick runs)
    guard: bool = True  # project mel filters to >= 0 after each step
    seed: int = 0
    verbose: bool = True  # one line per epoch


def batches(
    X: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator, *, shift: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of shuffled mini-batches; each clip shifted by a random ``[-shift, shift]`` samples."""
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        xb = X[idx]
        if shift:
            xb = xb.copy()
            for k, s in enumerate(rng.integers(-shift, shift + 1, size=len(idx))):
                xb[k] = np.roll(xb[k], s)
                if s > 0:
                    xb[k, :s] = 0
                elif s < 0:
                    xb[k, s:] = 0
        yield xb, y[idx]


def train(model: nn.Module, data: dict[str, tuple[np.ndarray, np.ndarray]], cfg: TrainConfig) -> dict[str, Any]:
    """Train ``model`` on ``data['training']`` with Adam and the front-end guard rails.

    Returns ``{'steps', 'seconds', 'val_accuracy' (per epoch), 'loss' (per epoch)}``.
    """
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    groups = nt.frontend_param_groups(model, cfg.lr, frontend_lr_scale=cfg.frontend_lr_scale)
    opt = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    X, y = data["training"]
    hist: dict[str, Any] = {"loss": [], "val_accuracy": [], "steps": 0}
    t0 = time.perf_counter()
    for _ in range(cfg.epochs):
        model.train()
        losses = []
        for xb, yb in batches(X, y, cfg.batch_size, rng, shift=int(cfg.shift_ms * SR / 1000)):
            loss = F.cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(yb))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if cfg.guard:
                nt.project_nonnegative(model)
            losses.append(float(loss.detach()))
            hist["steps"] += 1
            if cfg.max_steps is not None and hist["steps"] >= cfg.max_steps:
                break
        hist["loss"].append(float(np.mean(losses)))
        if "validation" in data:
            hist["val_accuracy"].append(accuracy(predict(model, data["validation"][0]), data["validation"][1]))
        if cfg.verbose:
            val = f", val accuracy {hist['val_accuracy'][-1]:.3f}" if hist["val_accuracy"] else ""
            print(
                f"  [torch] epoch {len(hist['loss'])}: loss {hist['loss'][-1]:.3f}{val} ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
        if cfg.max_steps is not None and hist["steps"] >= cfg.max_steps:
            break
    hist["seconds"] = time.perf_counter() - t0
    return hist


@torch.no_grad()
def predict(model: nn.Module, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Predicted class of each clip (eval mode)."""
    model.eval()
    out = []
    for start in range(0, len(X), batch_size):
        logits = model(torch.from_numpy(X[start : start + batch_size]))
        logits = logits.logits if hasattr(logits, "logits") else logits
        out.append(logits.argmax(-1).numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """Fraction of correct predictions."""
    return float((pred == y).mean()) if len(y) else float("nan")


def n_params(model: nn.Module, *, frontend: bool | None = None) -> int:
    """Count the trainable weights (``frontend``: only front-end / only the rest)."""
    is_fe = nt.frontend_filter(model)
    return sum(
        p.numel()
        for n, p in model.named_parameters()
        if p.requires_grad and (frontend is None or is_fe(n, p) == frontend)
    )
