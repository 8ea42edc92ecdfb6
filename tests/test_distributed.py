"""Many devices: JAX batch sharding over 4 (forced) CPU devices and a PyTorch
DistributedDataParallel training step (gloo, 2 processes on CPU).

Both run in fresh interpreters: ``XLA_FLAGS=--xla_force_host_platform_device_count=4`` must be set
before JAX initialises, and DDP needs processes of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

JAX_SCRIPT = r"""
import json, sys
import jax, jax.numpy as jnp, numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

sys.path.insert(0, TESTS)
from backends import JAX                                   # noqa: E402
from reliability import REPS, REPS_AND_TRAINABLE, is_trainable, kind, valid_input  # noqa: E402
from tolerances import assert_close                        # noqa: E402

devices = jax.devices()
assert len(devices) == 4 and all(d.platform == "cpu" for d in devices), devices
mesh = Mesh(np.array(devices), ("batch",))
batch, replicated = NamedSharding(mesh, P("batch")), NamedSharding(mesh, P())
report = {}
# outputs for one configuration per class; gradients for the first trainable configuration
first_trainable = next(n for n, c in REPS_AND_TRAINABLE.items() if is_trainable(c))
for name, case in {**REPS, first_trainable: REPS_AND_TRAINABLE[first_trainable]}.items():
    x = valid_input(case, "float32", (8, 2000))              # 2 items per device
    m = case.build(JAX, "float32")
    call, method = case.call, case.method
    f = jax.jit(lambda m, x: getattr(m, method)(x, **call))
    one = np.asarray(f(m, jax.device_put(jnp.asarray(x), devices[0])))
    graphdef, state = nnx.split(m)
    m_rep = nnx.merge(graphdef, jax.device_put(state, replicated))   # kernels on every device
    out = f(m_rep, jax.device_put(jnp.asarray(x), batch))
    assert len(out.sharding.device_set) == 4, out.sharding
    assert_close(np.asarray(out), one, kind(case), "float32", f"{name}: 4 devices vs 1")
    if is_trainable(case):
        w = jnp.asarray(np.random.default_rng(0).standard_normal(one.shape).astype(np.float32))
        loss = lambda m, x, w: jnp.sum(getattr(m, method)(x, **call) * w)
        g = nnx.jit(nnx.grad(loss, argnums=nnx.DiffState(0, nnx.Param)))
        g_one = nnx.state(g(m, jax.device_put(jnp.asarray(x), devices[0]), w), nnx.Param)
        g_sh = nnx.state(g(m_rep, jax.device_put(jnp.asarray(x), batch), jax.device_put(w, batch)), nnx.Param)
        for (path, a), (path_one, b) in zip(nnx.to_flat_state(g_sh), nnx.to_flat_state(g_one), strict=True):
            assert path == path_one
            assert_close(np.asarray(a[...]), np.asarray(b[...]), kind(case), "float32", f"{name}: grad {path}")
    report[name] = "ok"

# Wrong device: kernels committed to device 0, input committed to device 1 -> JAX's own error,
# which names the argument and both devices; uncommitted kernels follow the input instead.
case = REPS_AND_TRAINABLE["mel"]
m = case.build(JAX, "float32")
x = valid_input(case, "float32", (2, 2000))
graphdef, state = nnx.split(m)
m0 = nnx.merge(graphdef, jax.device_put(state, devices[0]))
try:
    jax.jit(lambda m, x: m(x))(m0, jax.device_put(jnp.asarray(x), devices[1]))
    raise AssertionError("no error for arrays committed to different devices")
except ValueError as e:
    msg = str(e)
    assert "incompatible devices" in msg and "argument x" in msg and "device ids [1]" in msg, msg
    report["wrong-device-error"] = msg.splitlines()[0]
out = jax.jit(lambda m, x: m(x))(m, jax.device_put(jnp.asarray(x), devices[2]))
assert out.sharding.device_set == {devices[2]}, out.sharding
assert_close(np.asarray(out), JAX.run(m, x), "backend", "float32", "uncommitted kernels follow the input")
print(json.dumps(report))
"""

DDP_SCRIPT = r"""
import datetime, json, os, socket, sys, tempfile
import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import nnaudio_torch as nt

WORLD, PER_RANK, L = 2, 2, 4000


class Model(nn.Module):
    # trainable mel front-end (filterbank and Fourier kernels) + a linear classifier
    def __init__(self):
        super().__init__()
        self.mel = nt.MelSpectrogram(sr=8000, n_fft=256, hop_length=64, n_mels=32, trainable_mel=True,
                                     trainable_STFT=True)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        return self.head(torch.log1p(self.mel(x)).mean(dim=-1))


def data():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(WORLD * PER_RANK, L, generator=g)
    y = torch.randint(0, 3, (WORLD * PER_RANK,), generator=g)
    return x, y


def init_model():
    torch.manual_seed(0)
    return Model()


def step(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


def worker(rank, port, out_dir):
    torch.set_num_threads(1)
    # loopback TCP rendezvous with a bounded wait: a stuck rendezvous is an error, never a hang
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD,
                            timeout=datetime.timedelta(seconds=120))
    model = DistributedDataParallel(init_model())
    x, y = data()
    mine = slice(rank * PER_RANK, (rank + 1) * PER_RANK)
    step(model, x[mine], y[mine])
    torch.save(model.module.state_dict(), os.path.join(out_dir, f"rank{rank}.pt"))
    dist.barrier()
    # leave without destroying the process group: torch 2.13's ~ProcessGroupGloo joins its run-loop
    # thread while holding the GIL that thread may be waiting for (a deadlock seen in CI: the rank
    # hung in destroy_process_group until the 300 s limit); both ranks are done and saved here
    os._exit(0)


if __name__ == "__main__":
    out_dir = sys.argv[1]
    with socket.socket() as s:  # a free loopback port for rank 0's store
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(worker, args=(port, out_dir), nprocs=WORLD, join=True)
    s0, s1 = (torch.load(os.path.join(out_dir, f"rank{r}.pt")) for r in range(WORLD))
    # reference: one process, the whole batch (DDP averages the per-rank mean-loss gradients)
    ref = init_model()
    before = {k: v.clone() for k, v in ref.state_dict().items()}
    step(ref, *data())
    r = ref.state_dict()
    params = {k for k, _ in ref.named_parameters()}
    report = {}
    for k in s0:
        report[k] = {
            "parameter": k in params,
            "identical_across_ranks": bool(torch.equal(s0[k], s1[k])),
            "changed": bool(not torch.equal(s0[k], before[k])),
            "rel_err_vs_single_process": float((s0[k] - r[k]).norm() / r[k].norm()),
        }
    print(json.dumps(report))
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None, tmp_path: Path) -> dict:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "NNAUDIO_DISABLE_CITATION_REMINDER": "1", **(env or {})},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.slow
def test_jax_batch_sharding_over_four_devices_equals_one_device(tmp_path):
    """Every class of ``reliability.REPS``: a batch sharded over 4 CPU devices with replicated
    kernels gives the single-device output, and a trainable configuration the same kernel
    gradients; arrays committed to different devices raise JAX's error naming them."""
    code = f"TESTS = {str(ROOT / 'tests')!r}\n" + JAX_SCRIPT
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    report = _run(code, env=env, tmp_path=tmp_path)
    assert "wrong-device-error" in report and "mel" in report


@pytest.mark.slow
def test_torch_ddp_step_with_a_trainable_mel_front_end(tmp_path):
    """Two gloo processes, one SGD step on different data: every kernel (mel filterbank, Fourier
    kernels) and the head are bitwise identical on both ranks, moved, and equal to one process
    stepping on the whole batch."""
    # gloo on the loopback interface (not whatever the host name resolves to)
    report = _run(DDP_SCRIPT, str(tmp_path), tmp_path=tmp_path, env={"GLOO_SOCKET_IFNAME": "lo"})
    assert set(report) >= {"mel.mel_basis", "mel.stft.wcos", "mel.stft.wsin", "head.weight"}
    for name, r in report.items():
        assert r["identical_across_ranks"], name
        assert r["changed"] == r["parameter"], name  # parameters moved, buffers (window) did not
        assert r["rel_err_vs_single_process"] < 1e-5, (name, r)
