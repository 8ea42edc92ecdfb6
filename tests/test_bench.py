"""The benchmark runner works end to end (tiny signals); speed itself is never asserted.

The subprocess timeout is only a hang guard, far above any normal run: the quick bench takes
about 200 s on the idle 2-core machine and several times that under load, and a limit that a
busy machine approaches would make the suite fail for reasons that have nothing to do with the code.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_quick_writes_json_and_markdown(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--fail-on-error", "--out", str(tmp_path)],
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
