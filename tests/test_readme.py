"""Every code block of README.md is correct as written.

Python blocks run the way a reader runs them: each copied on its own (a fresh namespace: its own
imports and data, nothing from the block before), in a fresh Python process (the test session's
``jax_enable_x64`` and thread settings are not a user's; torch reports some warnings once per
process), in a temporary working directory (blocks may write files), with every warning an error
(a warning printed by a README example is a defect: the read-only memmap example used to print
torch's "The given NumPy array is not writable"). No third-party warning is ignored at present;
add one to ``IGNORED_WARNINGS`` with its reason if a dependency starts emitting one.

The blocks share one process (imports dominate: one process for all of them takes a fraction of
the time of one per block); each block is one test case, and a warning that fires only once per
process can be missed only behind an earlier block that already failed.

Shell blocks are not run (they install packages and run the whole suite); the files, modules and
commands they name must exist. A missing optional dependency (``transformers`` for the Trainer
example) fails its block: nothing is skipped.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

#: ``(message regex, category name)`` of third-party warnings allowed in README blocks, each with
#: its reason in a comment. Empty: the blocks emit no warning.
IGNORED_WARNINGS: tuple[tuple[str, str], ...] = ()

# A fence opens with optional indentation (blocks inside list items) and closes at the same indentation.
_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\w*)\n(?P<code>.*?)^(?P=indent)```[ \t]*$", re.MULTILINE | re.DOTALL)


def readme_blocks(lang: str) -> list[tuple[int, str]]:
    """``(line number of the opening fence, dedented code)`` of every ``lang`` block of the README."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 1, textwrap.dedent(m.group("code")))
        for m in _FENCE.finditer(text)
        if m.group("lang") == lang
    ]


PYTHON_BLOCKS = readme_blocks("python")
BASH_BLOCKS = readme_blocks("bash")

# Runs in the child process: argv[1] = JSON list of {"name", "code"}, argv[2] = where to write the results.
_RUNNER = """
import builtins, json, sys, time, traceback, warnings

blocks = json.load(open(sys.argv[1], encoding="utf-8"))
ignored = json.loads(sys.argv[3])
results = []
for block in blocks:
    t0 = time.perf_counter()
    error = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for message, category in ignored:
            warnings.filterwarnings("ignore", message=message, category=getattr(builtins, category))
        try:
            exec(compile(block["code"], block["name"], "exec"), {"__name__": "__main__"})
        except BaseException:
            error = traceback.format_exc()
    results.append({"error": error, "seconds": time.perf_counter() - t0})
    print(f"{block['name']}: {'ok' if error is None else 'FAILED'} ({time.perf_counter() - t0:.1f} s)", flush=True)
json.dump(results, open(sys.argv[2], "w", encoding="utf-8"))
"""


def test_readme_has_the_expected_blocks() -> None:
    # Guards the extraction: a changed fence syntax must not silently leave blocks untested.
    assert len(PYTHON_BLOCKS) >= 9, [line for line, _ in PYTHON_BLOCKS]
    assert len(BASH_BLOCKS) >= 5, [line for line, _ in BASH_BLOCKS]
    opened = README.read_text(encoding="utf-8").count("```") // 2
    assert opened == len(readme_blocks("python")) + len(BASH_BLOCKS) + len(readme_blocks("")), (
        "a README block has a language other than python/bash (or none): teach this test about it"
    )


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], str]:
    """Run every Python block once, in order, in one fresh process; per-block results and the log."""
    work = tmp_path_factory.mktemp("readme")
    blocks = [{"name": f"README.md:{line}", "code": code} for line, code in PYTHON_BLOCKS]
    (work / "blocks.json").write_text(json.dumps(blocks), encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _RUNNER,
            str(work / "blocks.json"),
            str(work / "results.json"),
            json.dumps(IGNORED_WARNINGS),
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,  # hang guard only: all blocks take about 20 s on a 2-core CPU
    )
    log = (proc.stdout + proc.stderr)[-6000:]
    assert proc.returncode == 0, f"the README runner itself failed (exit {proc.returncode}):\n{log}"
    results = json.loads((work / "results.json").read_text(encoding="utf-8"))
    assert len(results) == len(blocks)
    return results, log


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)), ids=[f"line{line}" for line, _ in PYTHON_BLOCKS])
def test_python_block_runs_as_written(index: int, readme_run: tuple[list[dict[str, Any]], str]) -> None:
    results, log = readme_run
    error = results[index]["error"]
    if error is not None:
        pytest.fail(f"README.md block at line {PYTHON_BLOCKS[index][0]} failed:\n{error}\n--- output ---\n{log}")


def _commands(code: str) -> list[list[str]]:
    """The simple commands of a bash block: continuation lines joined, split on ``&&``, comments dropped."""
    joined = code.replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            if words:
                commands.append(words)
    return commands


def test_bash_blocks_name_what_exists() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    for line, code in BASH_BLOCKS:
        for words in _commands(code):
            where = f"README.md:{line}: {' '.join(words)}"
            program = Path(words[0]).name
            assert program in {"bash", "python", "pip", "python3"} | set(scripts) or words[0] == ".venv/bin/python", (
                where
            )
            for word in words[1:]:
                if re.fullmatch(r"[\w./-]+\.(py|sh)", word):
                    assert (ROOT / word).is_file(), f"{where}: no file {word}"
            if "-m" in words:
                module = words[words.index("-m") + 1]
                found = importlib.machinery.PathFinder.find_spec(module, [str(ROOT)]) or importlib.util.find_spec(
                    module
                )
                assert found is not None, f"{where}: no module {module}"


def test_ci_runs_the_readme_test_command() -> None:
    """``.ci/run`` calls the README's test command verbatim (after the set-up and lint steps)."""
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    pytest_lines = [line.strip() for line in ci if "pytest" in line and not line.lstrip().startswith("#")]
    assert len(pytest_lines) == 1, pytest_lines
    command = pytest_lines[0]
    readme = README.read_text()
    assert f"bash scripts/bootstrap.sh && {command}" in readme, command
    assert command.replace(".venv/bin/", "") in readme, command
