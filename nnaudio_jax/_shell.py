"""The base of every ``nnaudio_jax`` transform: the neutral state protocol.

``module.__nnaudio_state__()`` returns the module's backend-independent
:class:`nnaudio_shared.ModuleState` (class name, configuration, kernel dtype, trainable
names, every state array as NumPy), the way ``__dlpack__`` lets array libraries exchange arrays
without importing each other: ``nnaudio_torch.from_jax`` calls it and never imports this package.
"""

from __future__ import annotations

from typing import Any

from flax import nnx

__all__ = ["Transform"]


class Transform(nnx.Module):
    """Base class of the ``nnaudio_jax`` transforms (adds nothing to their state or ``__call__``)."""

    def __nnaudio_state__(self) -> Any:
        """Return this module's :class:`~nnaudio_shared.ModuleState` (arrays are copies)."""
        from ._interop import module_state

        return module_state(self)
