"""The functional layers: one complete ``__all__``, identical in both backends, with identical
signatures and numpydoc docstrings; the JAX one imports no Flax; no import cycles."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import nnaudio_jax.functional as jf
import nnaudio_torch.functional as tf

#: Every public functional op of the library (one file per family inside each package).
EXPECTED = {
    "cfp",
    "cgls",
    "cqt",
    "cqt_fourier",
    "cqt_operator",
    "frame",
    "griffinlim",
    "icqt",
    "istft",
    "istft_matmul",
    "magnitude",
    "melspectrogram",
    "mfcc",
    "multirate_cqt",
    "overlap_add",
    "phase",
    "power_to_db",
    "spectral_power",
    "stft",
    "stft_matmul",
}
FAMILIES = ["_cfp", "_cqt", "_griffinlim", "_icqt", "_mel", "_multirate", "_stft"]


def _spec(fn) -> list[tuple[str, object, object]]:  # noqa: ANN001
    """Names, kinds and defaults (annotations differ between libraries by design)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def _section(doc: str, title: str) -> list[str]:
    """Lines of the numpydoc section ``title`` (empty when it is missing)."""
    lines = doc.splitlines()
    for i in range(len(lines) - 1):
        if lines[i].strip() == title and set(lines[i + 1].strip()) == {"-"}:
            out = []
            for line in lines[i + 2 :]:
                if line.strip() and set(line.strip()) == {"-"}:
                    out.pop()  # the next section's title
                    break
                out.append(line)
            return out
    return []


def _documented(doc: str) -> set[str]:
    names: set[str] = set()
    for line in _section(doc, "Parameters"):
        if line and not line.startswith(" "):
            names.update(n.strip() for n in line.split(" : ")[0].split(","))
    return names


def test_all_is_complete_and_identical():
    assert sorted(tf.__all__) == sorted(jf.__all__)
    assert set(tf.__all__) == EXPECTED
    assert len(tf.__all__) == len(set(tf.__all__))


@pytest.mark.parametrize("lib", [tf, jf], ids=["torch", "jax"])
def test_all_lists_every_public_function(lib):
    public = {n for n, v in vars(lib).items() if not n.startswith("_") and inspect.isfunction(v)}
    assert public == set(lib.__all__)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_signatures_are_identical(name):
    assert _spec(getattr(tf, name)) == _spec(getattr(jf, name))


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("lib", [tf, jf], ids=["torch", "jax"])
def test_numpydoc_parameters_and_returns(lib, name):
    doc = inspect.getdoc(getattr(lib, name)) or ""
    assert _section(doc, "Parameters"), f"{lib.__name__}.{name}: no Parameters section"
    assert _section(doc, "Returns"), f"{lib.__name__}.{name}: no Returns section"
    params = {p.name for p in inspect.signature(getattr(lib, name)).parameters.values()}
    assert _documented(doc) <= params, f"{lib.__name__}.{name}: documents parameters it does not take"


def _run(code: str) -> None:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_jax_functional_layer_imports_no_flax():
    """The functional package's own imports: ``nnaudio_jax`` itself (the module shells) is stubbed,
    so this checks ``nnaudio_jax.functional`` and its family modules, not the parent package."""
    root = Path(jf.__file__).resolve().parents[1]
    _run(
        "import sys, types\n"
        f"pkg = types.ModuleType('nnaudio_jax'); pkg.__path__ = [{str(root)!r}]\n"
        "sys.modules['nnaudio_jax'] = pkg\n"
        "import nnaudio_jax.functional as F\n"
        "assert F.cqt and F.icqt and F.cgls\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flax', 'optax', 'torch'})\n"
        "assert not bad, bad\n"
    )


@pytest.mark.parametrize("lib", [tf, jf], ids=["torch", "jax"])
def test_each_family_module_imports_first(lib):
    """No import cycles: each family file imports on its own (parent packages stubbed, so neither
    the module shells nor the functional ``__init__`` run first), in a fresh interpreter."""
    backend, here = lib.__name__.split(".")[0], Path(lib.__file__).resolve().parent
    _run(
        "import importlib, sys, types\n"
        f"for name, path in (({backend!r}, {str(here.parent)!r}), ({lib.__name__!r}, {str(here)!r})):\n"
        "    pkg = types.ModuleType(name); pkg.__path__ = [path]; sys.modules[name] = pkg\n"
        f"for family in {FAMILIES!r}:\n"
        f"    for m in [m for m in sys.modules if m.startswith({lib.__name__ + '._'!r})]:\n"
        "        del sys.modules[m]\n"
        f"    importlib.import_module({lib.__name__ + '.'!r} + family)\n"
    )
