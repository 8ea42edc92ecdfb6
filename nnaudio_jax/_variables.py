"""Variable types of the NNX modules."""

from __future__ import annotations

from flax import nnx

__all__ = ["Buffer"]


class Buffer(nnx.Variable):  # type: ignore[misc]
    """Frozen kernel state (window, frozen Fourier/mel/DCT kernels).

    A :class:`flax.nnx.Variable` that is not an :class:`flax.nnx.Param`: optimisers built with
    ``wrt=nnx.Param`` leave it alone, while ``nnx.state(module)`` still carries it, so
    checkpoints hold frozen and trained kernels alike. Trainable kernels are ``nnx.Param``.
    """
