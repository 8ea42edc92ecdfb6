"""Training utilities (front-end parameter groups, non-negativity guard) in both backends, a jitted
Flax/optax loop that updates only the selected kernels, and the HuggingFace Trainer path."""

from __future__ import annotations

import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from flax import nnx
from nnaudio_shared import ParameterError

import nnaudio_jax as nj
import nnaudio_torch as nt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tutorials"))

SR = 8000
MEL = dict(sr=SR, n_fft=64, hop_length=32, n_mels=8)
N = 512  # samples per clip


# --- a tiny model per framework: mel front-end (mel + STFT kernels trainable) and a linear head ---


class TorchModel(torch.nn.Module):
    def __init__(self, trainable_STFT: bool = True):
        super().__init__()
        self.mel = nt.MelSpectrogram(**MEL, trainable_mel=True, trainable_STFT=trainable_STFT)
        self.head = torch.nn.Linear(8, 3)

    def forward(self, x):
        return self.head(torch.log(self.mel(x) + 1e-6).mean(-1))


class JaxModel(nnx.Module):
    def __init__(self, trainable_STFT: bool = True):
        self.mel = nj.MelSpectrogram(**MEL, trainable_mel=True, trainable_STFT=trainable_STFT)
        self.head = nnx.Linear(8, 3, rngs=nnx.Rngs(0))

    def __call__(self, x):
        return self.head(jnp.log(self.mel(x) + 1e-6).mean(-1))


def batch(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (0.1 * rng.standard_normal((4, N))).astype(np.float32), np.array([0, 1, 2, 1])


def jax_params(model: nnx.Module) -> dict[str, np.ndarray]:
    return {".".join(map(str, p)): np.array(v[...]) for p, v in nnx.iter_graph(model) if isinstance(v, nnx.Variable)}


FRONTEND = {"mel.mel_basis", "mel.stft.wcos", "mel.stft.wsin"}


# --- front-end selection ------------------------------------------------------------------------


def test_torch_frontend_filter_and_groups_partition_the_parameters():
    model = TorchModel()
    is_fe = nt.frontend_filter(model)
    assert {n for n, p in model.named_parameters() if is_fe(n, p)} == FRONTEND
    groups = nt.frontend_param_groups(model, 1e-2, weight_decay=0.5)
    assert [(g["name"], g["lr"], g["weight_decay"]) for g in groups] == [
        ("backbone", 1e-2, 0.5),
        ("frontend", 5e-4, 0.5),
    ]
    ids = [id(p) for g in groups for p in g["params"]]
    assert sorted(ids) == sorted(id(p) for p in model.parameters()) and len(set(ids)) == len(ids)
    named = {id(p): n for n, p in model.named_parameters()}
    assert {named[id(p)] for p in groups[1]["params"]} == FRONTEND
    assert nt.frontend_param_groups(model, 1e-2, frontend_lr=3e-3)[1]["lr"] == 3e-3


def test_torch_groups_skip_frozen_parameters_and_empty_groups():
    model = TorchModel()
    for p in model.head.parameters():
        p.requires_grad_(False)
    assert [g["name"] for g in nt.frontend_param_groups(model, 1e-3)] == ["frontend"]
    bare = nt.MelSpectrogram(**MEL)  # no trainable kernel at all
    with pytest.raises(ParameterError, match="no trainable parameter"):
        nt.frontend_param_groups(bare, 1e-3)


def test_jax_frontend_filter_selects_the_frontend_state():
    model = JaxModel()
    selected = nnx.state(model, nnx.All(nnx.Param, nj.frontend_filter(model)))
    assert {".".join(map(str, p)) for p, _ in nnx.to_flat_state(selected)} == FRONTEND
    rest = nnx.state(model, nnx.All(nnx.Param, nnx.Not(nj.frontend_filter(model))))
    assert {".".join(map(str, p)) for p, _ in nnx.to_flat_state(rest)} == {"head.bias", "head.kernel"}


@pytest.mark.parametrize("bad", [0, -1e-3, float("nan"), True, "1e-3"])
@pytest.mark.parametrize("framework", ["torch", "jax"])
def test_bad_learning_rates_raise(framework, bad):
    lib, model = (nt, TorchModel()) if framework == "torch" else (nj, JaxModel())
    with pytest.raises(ParameterError, match="lr"):
        lib.frontend_param_groups(model, bad)
    with pytest.raises(ParameterError, match="frontend_lr_scale"):
        lib.frontend_param_groups(model, 1e-3, frontend_lr_scale=bad)


@pytest.mark.parametrize("framework", ["torch", "jax"])
def test_non_modules_are_rejected(framework):
    lib = nt if framework == "torch" else nj
    for fn in (lib.frontend_filter, lib.project_nonnegative):
        with pytest.raises(ParameterError, match="model"):
            fn(object())


# --- one optimiser step: each group moves by its own learning rate --------------------------------


def test_torch_param_groups_apply_their_learning_rates():
    torch.manual_seed(0)
    model = TorchModel()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = torch.optim.SGD(nt.frontend_param_groups(model, 0.5, frontend_lr_scale=0.1))
    x, y = batch()
    torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    opt.step()
    for n, p in model.named_parameters():
        lr = 0.05 if n in FRONTEND else 0.5
        assert grads[n].abs().max() > 0, n
        torch.testing.assert_close(p.detach(), before[n] - lr * grads[n], rtol=1e-5, atol=1e-7)


def test_jax_param_groups_apply_their_learning_rates():
    model = JaxModel()
    before = jax_params(model)
    opt = nnx.Optimizer(
        model, nj.frontend_param_groups(model, 0.5, frontend_lr_scale=0.1, optimizer=optax.sgd), wrt=nnx.Param
    )
    x, y = batch()

    @nnx.jit
    def step(model, opt, x, y):
        def loss_fn(m):
            return optax.softmax_cross_entropy_with_integer_labels(m(x), y).mean()

        grads = nnx.grad(loss_fn)(model)
        opt.update(model, grads)
        return grads

    grads = step(model, opt, jnp.asarray(x), jnp.asarray(y))
    g = {".".join(map(str, p)): np.asarray(v[...]) for p, v in nnx.to_flat_state(grads)}
    after = jax_params(model)
    for name in FRONTEND | {"head.kernel", "head.bias"}:
        lr = 0.05 if name in FRONTEND else 0.5
        assert np.abs(g[name]).max() > 0, name
        np.testing.assert_allclose(after[name], before[name] - lr * g[name], rtol=1e-5, atol=1e-7)


# --- the non-negativity guard ----------------------------------------------------------------------


@pytest.mark.parametrize("framework", ["torch", "jax"])
def test_project_nonnegative_clamps_only_the_filterbank(framework):
    rng = np.random.default_rng(1)
    if framework == "torch":
        model = TorchModel()
        with torch.no_grad():
            model.mel.mel_basis.add_(
                torch.from_numpy(rng.normal(0, 0.01, model.mel.mel_basis.shape).astype(np.float32))
            )
            model.head.weight.sub_(1.0)
        mel0, wcos0, head0 = (
            t.detach().numpy().copy() for t in (model.mel.mel_basis, model.mel.stft.wcos, model.head.weight)
        )
        done = nt.project_nonnegative(model)
        mel1, wcos1, head1 = (t.detach().numpy() for t in (model.mel.mel_basis, model.mel.stft.wcos, model.head.weight))
        assert done == ["mel.mel_basis"]
    else:
        model = JaxModel()
        model.mel.mel_basis[...] = model.mel.mel_basis[...] + rng.normal(0, 0.01, model.mel.mel_basis.shape).astype(
            np.float32
        )
        model.head.kernel[...] = model.head.kernel[...] - 1.0
        mel0, wcos0, head0 = (np.array(v[...]) for v in (model.mel.mel_basis, model.mel.stft.wcos, model.head.kernel))
        done = nj.project_nonnegative(model)
        mel1, wcos1, head1 = (np.array(v[...]) for v in (model.mel.mel_basis, model.mel.stft.wcos, model.head.kernel))
        assert done == ["mel.mel_basis"]
    assert (mel0 < 0).any() and (head0 < 0).any() and (wcos0 < 0).any()
    np.testing.assert_array_equal(mel1, np.maximum(mel0, 0))
    np.testing.assert_array_equal(wcos1, wcos0)  # other kernels and the head are left alone
    np.testing.assert_array_equal(head1, head0)


@pytest.mark.parametrize("framework", ["torch", "jax"])
def test_project_nonnegative_names_and_frozen_bases(framework):
    lib = nt if framework == "torch" else nj
    frozen = lib.MelSpectrogram(**MEL)  # buffer, not a parameter: nothing to project
    assert lib.project_nonnegative(frozen) == []
    assert lib.project_nonnegative(lib.MelSpectrogram(**MEL, trainable_mel=True), names=["wcos"]) == []
    with pytest.raises(ParameterError, match="names"):
        lib.project_nonnegative(frozen, names="mel_basis")


@pytest.mark.parametrize("framework", ["torch", "jax"])
def test_project_nonnegative_covers_gammatone_bases(framework):
    """A trainable ``gammatone_basis`` (declared non-negative by its configuration) is projected too,
    also nested in a model; ``names=`` still matches any parameter by its last name component."""
    lib = nt if framework == "torch" else nj
    gt = lib.Gammatonegram(sr=SR, n_fft=64, hop_length=32, n_bins=2, trainable_bins=True)
    basis = np.array([[0.5, -0.25], [-1.0, 2.0]], dtype=np.float32)
    if framework == "torch":
        with torch.no_grad():
            gt.gammatone_basis[:, :2] = torch.from_numpy(basis)
        model = torch.nn.Sequential(gt)
        assert nt.project_nonnegative(model) == ["0.gammatone_basis"]
        out = gt.gammatone_basis.detach().numpy()[:, :2]
        holder = torch.nn.Module()
        holder.gammatone_basis = torch.nn.Parameter(torch.from_numpy(basis.copy()))
        assert nt.project_nonnegative(holder) == []  # declares nothing
        assert nt.project_nonnegative(holder, names=["gammatone_basis"]) == ["gammatone_basis"]
    else:
        gt.gammatone_basis[...] = gt.gammatone_basis[...].at[:, :2].set(jnp.asarray(basis))

        class Model(nnx.Module):
            def __init__(self):
                self.gt = gt

        assert nj.project_nonnegative(Model()) == ["gt.gammatone_basis"]
        out = np.asarray(gt.gammatone_basis[...])[:, :2]

        class Holder(nnx.Module):
            def __init__(self):
                self.gammatone_basis = nnx.Param(jnp.asarray(basis))

        assert nj.project_nonnegative(Holder()) == []  # declares nothing
        assert nj.project_nonnegative(Holder(), names=["gammatone_basis"]) == ["gammatone_basis"]
    np.testing.assert_array_equal(out, [[0.5, 0.0], [0.0, 2.0]])


def test_jax_project_nonnegative_inside_jit():
    model = JaxModel()
    model.mel.mel_basis[...] = model.mel.mel_basis[...] - 0.05

    @nnx.jit
    def clamp(m):
        nj.project_nonnegative(m)

    clamp(model)
    assert float(model.mel.mel_basis[...].min()) == 0.0


# --- Flax: two jitted optimiser steps, only the selected kernels change -----------------------------


def test_flax_two_jitted_steps_change_only_the_selected_kernels():
    model = JaxModel(trainable_STFT=True)  # wcos/wsin are nnx.Param too, but not selected
    wrt = nnx.All(nnx.Param, nnx.Any(nnx.PathContains("mel_basis"), nnx.PathContains("head")))
    opt = nnx.Optimizer(model, optax.adam(1e-2), wrt=wrt)
    before = jax_params(model)

    @nnx.jit
    def step(model, opt, x, y):
        def loss_fn(m):
            return optax.softmax_cross_entropy_with_integer_labels(m(x), y).mean()

        loss, grads = nnx.value_and_grad(loss_fn, argnums=nnx.DiffState(0, wrt))(model)
        opt.update(model, grads)
        nj.project_nonnegative(model)
        return loss

    losses = [float(step(model, opt, *map(jnp.asarray, batch(s)))) for s in range(2)]
    after = jax_params(model)
    assert np.isfinite(losses).all() and int(opt.step[...]) == 2
    changed = {k for k in before if not np.array_equal(before[k], after[k])}
    assert changed == {"mel.mel_basis", "head.kernel", "head.bias"}
    assert after["mel.mel_basis"].min() >= 0


# --- HuggingFace Trainer ------------------------------------------------------------------------------


def test_hf_trainer_two_steps_reach_mel_basis(tmp_path):
    from kws_torch import AudioClassifier, TrainConfig
    from part5_trainer_and_learnable_mel import KeywordDataset, make_trainer
    from transformers import TrainerCallback

    class GradProbe(TrainerCallback):
        def __init__(self):
            self.norms = []

        def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
            g = model.mel.mel_basis.grad
            self.norms.append(None if g is None else float(g.norm()))

    torch.manual_seed(0)
    model = AudioClassifier(12, trainable_mel=True)
    mel0 = model.mel.mel_basis.detach().clone()
    rng = np.random.default_rng(0)
    data = KeywordDataset((0.1 * rng.standard_normal((8, 16000))).astype(np.float32), rng.integers(0, 12, 8))
    cfg = TrainConfig(batch_size=4, lr=1e-2, max_steps=2, seed=0)
    trainer = make_trainer(model, data, cfg, str(tmp_path))
    probe = GradProbe()
    trainer.add_callback(probe)
    out = trainer.train()
    assert out.global_step == 2
    assert len(probe.norms) == 2 and all(n is not None and np.isfinite(n) and n > 0 for n in probe.norms)
    assert [g["name"] for g in trainer.optimizer.param_groups] == ["backbone", "frontend"]
    assert trainer.optimizer.param_groups[1]["lr"] == pytest.approx(5e-4)
    assert not torch.equal(model.mel.mel_basis.detach(), mel0)
    assert float(model.mel.mel_basis.detach().min()) >= 0.0  # the callback ran after each step
    logits = trainer.predict(data).predictions
    assert logits.shape == (8, 12) and np.isfinite(logits).all()


# --- the README's "Training a learnable front-end" examples run as written ----------------------------


def test_readme_training_examples_run(tmp_path, monkeypatch):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Training a learnable front-end", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in section.split("```python\n")[1:]]
    assert len(blocks) == 3
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    train_dataset = [
        {"input_values": torch.from_numpy((0.1 * rng.standard_normal(16000)).astype(np.float32)), "labels": k % 12}
        for k in range(8)
    ]
    torch_ns: dict = {}
    exec(blocks[0], torch_ns)  # PyTorch
    assert float(torch_ns["model"].mel.mel_basis.detach().min()) >= 0 and np.isfinite(float(torch_ns["loss"].detach()))
    jax_ns: dict = {}
    exec(blocks[1], jax_ns)  # JAX
    assert float(jax_ns["model"].mel.mel_basis[...].min()) >= 0 and np.isfinite(float(jax_ns["loss"]))
    torch_ns["train_dataset"] = train_dataset
    exec(blocks[2], torch_ns)  # HF Trainer, continuing the PyTorch namespace
    assert torch_ns["trainer"].state.global_step == 3  # 3 epochs of one batch of 8
    assert float(torch_ns["model"].mel.mel_basis.detach().min()) >= 0
