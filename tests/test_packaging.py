"""The wheel and the sdist as a user gets them: complete, typed, licensed, and built without warnings."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = {"nnaudio_shared", "nnaudio_jax", "nnaudio_torch", "nnaudio_cli"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """Build the wheel and the sdist with the environment's setuptools (no network)."""
    out = str(tmp_path_factory.mktemp("dist"))
    names, log = [], ""
    for hook in ("build_wheel", "build_sdist"):  # one process each: after build_wheel, build_sdist writes nothing
        code = (
            f"import sys; from setuptools import build_meta as b; sys.stdout.write('\\nBUILT ' + b.{hook}(sys.argv[1]))"
        )
        proc = subprocess.run(
            [sys.executable, "-W", "error::DeprecationWarning", "-c", code, out],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        names.append(proc.stdout.rsplit("BUILT ", 1)[1].strip())
        log += proc.stdout + proc.stderr
    wheel, sdist = names
    return os.path.join(out, wheel), os.path.join(out, sdist), log


def test_build_prints_no_deprecation_or_backend_warning(built: tuple[str, str, str]) -> None:
    log = built[2]
    for word in ("Deprecat", "BuildBackendWarning", "SetuptoolsWarning"):
        assert word not in log, log[max(0, log.find(word) - 500) : log.find(word) + 500]


def test_wheel_holds_the_four_typed_packages_and_the_license_only(built: tuple[str, str, str]) -> None:
    names = zipfile.ZipFile(built[0]).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == PACKAGES
    for package in PACKAGES:
        assert f"{package}/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".safetensors", ".wav", ".npz"))]


def test_sdist_carries_the_suite_with_its_helpers_and_data(built: tuple[str, str, str]) -> None:
    with tarfile.open(built[1]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    tracked = subprocess.run(
        ["git", "ls-files", "tests", "bench", "tutorials", "scripts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    if tracked:  # a git checkout: everything tracked there is in the sdist
        assert not sorted(set(tracked) - names)[:10]
    for helper in ("conftest.py", "backends.py", "cases.py", "tolerances.py", "references.py"):
        assert f"tests/{helper}" in names
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith("bench/results")]
