"""Long signals take the chunked JAX STFT path; it must equal the one-shot framing and torch."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import nnaudio_torch as nt
from nnaudio_jax import functional as JF
from nnaudio_jax.functional import _CHUNK_FRAMES
from tests.tolerances import assert_close


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "kw",
    [dict(n_fft=256, hop_length=64), dict(n_fft=250, hop_length=96, freq_bins=60, center=False)],
)
def test_chunked_stft_equals_one_shot_and_torch(dtype, kw, rng):
    hop = kw["hop_length"]
    n = (2 * _CHUNK_FRAMES + 77) * hop  # more frames than the one-shot limit, ragged last chunk
    x = rng.standard_normal((2, n)).astype(dtype)
    win = np.hanning(kw["n_fft"] + 1)[:-1].astype(dtype)
    center = kw.get("center", True)
    spec = jax.jit(lambda x, w: JF.stft(x, w, **kw, pad_mode="reflect"))(jnp.asarray(x), jnp.asarray(win))
    frames = JF.frame(jnp.asarray(x), n_fft=kw["n_fft"], hop_length=hop, center=center, pad_mode="reflect")
    assert frames.shape[1] > 2 * _CHUNK_FRAMES
    one_shot = jnp.swapaxes(jnp.fft.rfft(frames * jnp.asarray(win), axis=-1), -1, -2)[:, : kw.get("freq_bins")]
    np.testing.assert_array_equal(np.asarray(spec), np.asarray(one_shot))
    ref = nt.functional.stft(
        torch.from_numpy(x), torch.from_numpy(win), **kw, pad_mode="reflect"
    ).numpy()
    assert_close(np.asarray(spec), ref, "backend", dtype)


def test_chunked_stft_gradient_is_finite_and_matches_one_shot(rng):
    x = jnp.asarray(rng.standard_normal((1, (2 * _CHUNK_FRAMES + 10) * 64)))
    win = jnp.asarray(np.hanning(257)[:-1])

    def loss(x, chunked):
        if chunked:
            s = JF.stft(x, win, n_fft=256, hop_length=64, pad_mode="constant")
        else:
            fr = JF.frame(x, n_fft=256, hop_length=64, center=True, pad_mode="constant")
            s = jnp.fft.rfft(fr * win, axis=-1)
        return jnp.sum(jnp.abs(s) ** 2)

    g_chunk = jax.grad(loss)(x, True)
    g_ref = jax.grad(loss)(x, False)
    assert bool(jnp.isfinite(g_chunk).all())
    assert_close(np.asarray(g_chunk), np.asarray(g_ref), "backend", "float64")
