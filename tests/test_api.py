"""Public API: nnAudio2 compatibility, identical signatures and documentation across backends,
import paths, silence on import and construction."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import nnAudio2.features.mel
import nnAudio2.features.stft
import numpy as np
import pytest
from backends import BACKENDS, JAX, TORCH
from cases import CASES, L

import nnaudio_jax
import nnaudio_torch

CLASSES = ["STFT", "iSTFT", "MelSpectrogram", "MFCC"]
NNAUDIO2 = {
    "STFT": nnAudio2.features.stft.STFT,
    "iSTFT": nnAudio2.features.stft.iSTFT,
    "MelSpectrogram": nnAudio2.features.mel.MelSpectrogram,
    "MFCC": nnAudio2.features.mel.MFCC,
}
#: (class, torch method, JAX method) pairs whose signatures must agree.
METHODS = [
    ("STFT", "forward", "__call__"),
    ("STFT", "inverse", "inverse"),
    ("iSTFT", "forward", "__call__"),
    ("MelSpectrogram", "forward", "__call__"),
    ("MFCC", "forward", "__call__"),
]
_P = inspect.Parameter


def _params(fn) -> list[inspect.Parameter]:  # noqa: ANN001
    """Parameters without ``self``; for a class, its ``__init__``'s (Flax's metaclass hides the
    constructor signature behind ``(*args, **kwargs)``)."""
    if inspect.isclass(fn):
        fn = fn.__init__
    return [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]


def _spec(fn) -> list[tuple[str, object, object]]:  # noqa: ANN001
    """Names, kinds and defaults (annotations differ between libraries by design)."""
    return [(p.name, p.kind, p.default) for p in _params(fn)]


def _display_names(fn) -> list[str]:  # noqa: ANN001
    return [
        ("**" if p.kind is _P.VAR_KEYWORD else "*" if p.kind is _P.VAR_POSITIONAL else "") + p.name for p in _params(fn)
    ]


def documented_parameters(obj) -> list[str]:  # noqa: ANN001
    """Names in the numpydoc ``Parameters`` section of ``obj``'s docstring (``a, b : t`` gives two)."""
    lines = (inspect.getdoc(obj) or "").splitlines()
    try:
        start = next(
            i for i in range(len(lines) - 1) if lines[i].strip() == "Parameters" and set(lines[i + 1].strip()) == {"-"}
        )
    except StopIteration:
        return []
    names: list[str] = []
    for i in range(start + 2, len(lines)):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and set(lines[i + 1].strip()) == {"-"}:
            break  # next section
        if line and not line[0].isspace():
            names += [n.strip() for n in line.split(" : ")[0].split(",")]
    return names


@pytest.mark.parametrize("cls", CLASSES)
def test_every_nnaudio2_argument_exists_with_the_same_default_and_order(backend, cls):
    theirs = _params(NNAUDIO2[cls].__init__)
    ours = {p.name: p for p in _params(getattr(backend.lib, cls))}
    for p in theirs:
        if p.kind is _P.VAR_KEYWORD:
            assert any(q.kind is _P.VAR_KEYWORD for q in ours.values()), f"{cls} lacks **{p.name}"
            continue
        assert p.name in ours, f"{backend}.{cls} lacks nnAudio2's argument {p.name!r}"
        assert ours[p.name].default == p.default, (p.name, ours[p.name].default, p.default)
    shared = [
        p.name
        for p in _params(getattr(backend.lib, cls))
        if p.name in {q.name for q in theirs} and p.kind is not _P.VAR_KEYWORD
    ]
    assert shared == [p.name for p in theirs if p.kind is not _P.VAR_KEYWORD]


@pytest.mark.parametrize(("cls", "torch_method", "jax_method"), METHODS)
def test_call_signatures_follow_nnaudio2(backend, cls, torch_method, jax_method):
    method = torch_method if backend is TORCH else jax_method
    theirs = dict((n, d) for n, _, d in _spec(getattr(NNAUDIO2[cls], torch_method)))
    ours = dict((n, d) for n, _, d in _spec(getattr(getattr(backend.lib, cls), method)))
    assert list(ours) == list(theirs)
    if cls == "iSTFT":  # documented difference: the STFT is one-sided, so the inverse defaults to it
        assert (ours.pop("onesided"), theirs.pop("onesided")) == (True, False)
    assert ours == theirs


@pytest.mark.parametrize("cls", CLASSES)
def test_constructor_signatures_are_identical_across_backends(cls):
    assert _spec(getattr(nnaudio_torch, cls)) == _spec(getattr(nnaudio_jax, cls))


@pytest.mark.parametrize("cls", CLASSES)
def test_first_argument_is_positional_and_the_rest_keyword_only(backend, cls):
    params = _params(getattr(backend.lib, cls))
    assert params[0].kind is _P.POSITIONAL_OR_KEYWORD
    assert params[0].name == ("n_fft" if cls in ("STFT", "iSTFT") else "sr")
    assert all(p.kind in (_P.KEYWORD_ONLY, _P.VAR_KEYWORD) for p in params[1:])
    assert "dtype" in {p.name for p in params} and params[-1].kind is not _P.POSITIONAL_OR_KEYWORD


@pytest.mark.parametrize(("cls", "torch_method", "jax_method"), METHODS)
def test_method_signatures_are_identical_across_backends(cls, torch_method, jax_method):
    assert _spec(getattr(nnaudio_torch.__dict__[cls], torch_method)) == _spec(
        getattr(nnaudio_jax.__dict__[cls], jax_method)
    )


@pytest.mark.parametrize("cls", CLASSES)
def test_documented_parameters_match_the_signature_and_the_other_backend(cls):
    t, j = getattr(nnaudio_torch, cls), getattr(nnaudio_jax, cls)
    assert documented_parameters(t) == _display_names(t)
    assert documented_parameters(j) == documented_parameters(t)


@pytest.mark.parametrize(("cls", "torch_method", "jax_method"), METHODS)
def test_documented_method_parameters_match(cls, torch_method, jax_method):
    t = getattr(getattr(nnaudio_torch, cls), torch_method)
    j = getattr(getattr(nnaudio_jax, cls), jax_method)
    assert documented_parameters(t) == _display_names(t)
    assert documented_parameters(j) == documented_parameters(t)


def test_functional_layers_have_the_same_functions_and_signatures():
    tf, jf = nnaudio_torch.functional, nnaudio_jax.functional
    assert sorted(tf.__all__) == sorted(jf.__all__)
    for name in tf.__all__:
        assert _spec(getattr(tf, name)) == _spec(getattr(jf, name)), name
        assert documented_parameters(getattr(tf, name)) == documented_parameters(getattr(jf, name)), name


def test_public_names_match_across_backends():
    # interop: each backend converts modules and arrays *into* itself (nnaudio_jax.from_torch, ...)
    torch_only, jax_only = {"from_jax", "to_torch"}, {"Buffer", "check_finite", "from_torch", "to_jax"}
    assert set(nnaudio_torch.__all__) - torch_only == set(nnaudio_jax.__all__) - jax_only
    for name in CLASSES:
        assert inspect.isclass(getattr(nnaudio_torch, name)) and inspect.isclass(getattr(nnaudio_jax, name))


def test_one_version_source():
    import importlib.metadata

    import nnaudio_shared

    version = importlib.metadata.version("nnaudio-jax")  # pyproject.toml's, as installed
    assert nnaudio_torch.__version__ == nnaudio_jax.__version__ == nnaudio_shared.__version__ == version


def test_nnaudio2_import_paths():
    from nnaudio_torch.features.mel import MFCC, MelSpectrogram
    from nnaudio_torch.features.stft import STFT, iSTFT

    assert MelSpectrogram is nnaudio_torch.MelSpectrogram and MFCC is nnaudio_torch.MFCC
    assert STFT is nnaudio_torch.STFT and iSTFT is nnaudio_torch.iSTFT


def test_verbose_true_prints_nothing(capsys, signal):
    x = signal[:L].astype(np.float32)
    for backend in BACKENDS.values():
        for case in CASES.values():
            m = backend.build(case.cls, **case.kwargs, verbose=True)
            case.run(backend, m, case.input(x, "float32"))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_importing_the_backends_prints_nothing():
    code = "import nnaudio_torch, nnaudio_jax, nnaudio_torch.features.mel, nnaudio_torch.features.stft"
    env = {k: v for k, v in os.environ.items() if k != "NNAUDIO_DISABLE_CITATION_REMINDER"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env, check=True
    )
    assert proc.stdout == "" and proc.stderr == ""


def test_modules_are_pytrees_whose_leaves_are_the_kernels():
    """Kernels are traced arguments of a jitted call, not constants baked into the program."""
    import jax

    m = JAX.build("MelSpectrogram", sr=8000, n_fft=256, hop_length=64, n_mels=32, trainable_STFT=True)
    leaves = jax.tree_util.tree_leaves(m)
    shapes = sorted(tuple(leaf.shape) for leaf in leaves)
    assert shapes == sorted([(256,), (129, 256), (129, 256), (32, 129)])
