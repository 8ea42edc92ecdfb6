"""JAX compile time of every benchmark row, each in a fresh process (what a user waits for once).

``python -m bench.compile_time [--preset W1] [--rows stft,cqt1992v2,...]`` starts one Python process
per row; it builds the preset's inputs and the ``nnaudio_jax`` cell exactly as ``python -m bench``
does (:func:`bench.run.build_case`), which times ``jax.jit(...).lower(...).compile()`` (trace,
lower and XLA compile; the module's kernel design and JAX's start-up are not included), and
prints the seconds as JSON. The parent prints the machine, the load and a markdown table: the
source of the README's compile-time sentence.

A fresh process is the cold case a user meets; inside ``python -m bench`` a row compiles after the
rows before it. No persistent compilation cache is configured.

``python -m bench.compile_time --worker ROW PRESET`` is one measurement (JSON on stdout).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("NNAUDIO_DISABLE_CITATION_REMINDER", "1")


def _worker(row_key: str, preset_name: str) -> dict[str, float]:
    from .presets import PRESETS, ROWS, make_signal
    from .run import Inputs, _complex_stft_reference, build_case

    row = next(r for r in ROWS if r.key == row_key)
    x = make_signal(PRESETS[preset_name])
    inp = Inputs(x=x, spec=_complex_stft_reference(x))
    t0 = time.perf_counter()
    case = build_case("nnaudio_jax", row, inp)
    build_s = time.perf_counter() - t0
    assert case.compile_s is not None
    return {"compile_s": case.compile_s, "build_s": build_s}


def main(argv: list[str] | None = None) -> int:
    from .presets import PRESETS, ROWS
    from .run import _cpu_model, _loadavg, _version

    parser = argparse.ArgumentParser(prog="python -m bench.compile_time", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--preset", default="W1", choices=sorted(PRESETS))
    parser.add_argument("--rows", default=",".join(r.key for r in ROWS), help="comma-separated row keys")
    parser.add_argument("--worker", nargs=2, metavar=("ROW", "PRESET"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(*args.worker)))
        return 0
    keys = [k for k in args.rows.split(",") if k]
    labels = {r.key: r.label for r in ROWS}
    unknown = sorted(set(keys) - set(labels))
    if unknown:
        parser.error(f"unknown rows {unknown}; choose from {sorted(labels)}")
    preset = PRESETS[args.preset]
    print(
        f"{_cpu_model()}, {os.cpu_count()} cores; jax {_version('jax')}, jaxlib {_version('jaxlib')}, "
        f"flax {_version('flax')}; preset {preset.name} ({preset.description}); load average {_loadavg()}"
    )
    print("\n| task | JAX compile (s), fresh process |\n|---|---:|")
    for key in keys:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.compile_time", "--worker", key, preset.name],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:  # reported in the table, not fatal
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"| {labels[key]} | error: {last} |", flush=True)
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {labels[key]} | {result['compile_s']:.2f} |", flush=True)
    print(f"\nload average at the end: {_loadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
