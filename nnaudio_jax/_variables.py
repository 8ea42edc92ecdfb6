"""Variable types of the NNX modules."""

from __future__ import annotations

import json
from typing import Any

import jax
from flax import nnx

__all__ = ["Buffer"]


class Buffer(nnx.Variable):  # type: ignore[misc]
    """Frozen kernel state (window, frozen Fourier/mel/DCT kernels).

    A :class:`flax.nnx.Variable` that is not an :class:`flax.nnx.Param`: optimisers built with
    ``wrt=nnx.Param`` leave it alone, while ``nnx.state(module)`` still carries it, so
    checkpoints hold frozen and trained kernels alike. Trainable kernels are ``nnx.Param``.
    """


# --------------------------------------------------------------------------- jax.export
# ``graphdef, state = nnx.split(module)`` followed by ``jax.export.export(jax.jit(lambda st, x:
# nnx.merge(graphdef, st)(x)))(state, x).serialize()`` needs every pytree node type in ``state``
# registered for serialization: flax registers none (flax 0.12), so the types our modules' states
# hold are registered here: the State mapping, ``nnx.Param`` (trainable kernels) and ``Buffer``.


def _serialize_variable_aux(aux: Any) -> bytes:
    """Variable metadata (sorted ``(name, value)`` pairs) as JSON; non-JSON metadata is an error."""
    try:
        return json.dumps([[k, v] for k, v in aux]).encode("utf-8")
    except TypeError as e:
        raise ValueError(f"cannot serialize the variable metadata {aux!r} for jax.export: {e}") from None


def _deserialize_variable_aux(data: bytes) -> tuple[tuple[str, Any], ...]:
    return tuple((k, v) for k, v in json.loads(data.decode("utf-8")))


def _serialize_state_aux(aux: Any) -> bytes:
    """State keys (sorted; strings, or integers for list entries) as JSON."""
    return json.dumps(list(aux)).encode("utf-8")


def _deserialize_state_aux(data: bytes) -> tuple[Any, ...]:
    return tuple(json.loads(data.decode("utf-8")))


def _register_export_serialization() -> None:
    """Register State, Param and Buffer with ``jax.export`` (once; a type registered elsewhere is kept)."""
    nodes: list[tuple[type, str, Any, Any]] = [
        (nnx.State, "flax.nnx.State", _serialize_state_aux, _deserialize_state_aux),
        (nnx.Param, "flax.nnx.Param", _serialize_variable_aux, _deserialize_variable_aux),
        (Buffer, "nnaudio_jax.Buffer", _serialize_variable_aux, _deserialize_variable_aux),
    ]
    for nodetype, name, ser, de in nodes:
        try:
            jax.export.register_pytree_node_serialization(
                nodetype, serialized_name=name, serialize_auxdata=ser, deserialize_auxdata=de
            )
        except ValueError:  # already registered (by flax, a user, or an earlier import): keep it
            pass


_register_export_serialization()
