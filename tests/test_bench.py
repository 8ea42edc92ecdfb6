"""The benchmark runner works end to end (tiny signals); speed itself is never asserted.

The test runs the W1 quick workload on one row of each kind of builder: the generic forward,
inverse and forward+backward rows and one row of each family module (misc, cqt, vqt, icqt), so
every code path of the runner is exercised in a fraction of the full quick bench's ~200 s (the
rows left out differ from these only in their configuration). The subprocess timeout is only a
hang guard, far above any normal run, so a busy machine cannot fail the suite.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: One row per builder kind and per family module of ``bench``.
ROWS = ("stft", "istft", "train_mel", "gammatone", "cqt1992v2", "cqt2010v2", "icqt")


def test_bench_quick_writes_json_and_markdown(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--preset",
            "W1",
            "--rows",
            ",".join(ROWS),
            "--fail-on-error",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results, "empty results"
    md = (tmp_path / "results.md").read_text()
    for column in ("nnaudio_torch", "nnaudio_jax", "librosa", "nnAudio2"):
        assert column in md
    assert "| STFT magnitude" in md
