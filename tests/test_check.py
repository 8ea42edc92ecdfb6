"""``nnaudio check`` and ``nnaudio_cli.check_consistency``: every registered transform, built from one
configuration in both backends, agrees within the package's tolerance table."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import soundfile as sf
from nnaudio_shared import ParameterError
from nnaudio_shared._interop import CHECK_TOLERANCES, REGISTRY, TransformSpec, octave_outputs
from tolerances import TOLERANCES

from nnaudio_cli import check_consistency, main
from nnaudio_cli._check import parse_set

ROW = re.compile(r"^(output.*?)\s+\((?:\d+, )*\d*,?\)\s+(\S+)\s+(\S+)\s+(\S+)\s+(ok|FAIL.*)$", re.MULTILINE)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_transform_agrees_across_backends(name, dtype):
    spec = REGISTRY[name]
    report = check_consistency(name, spec.example, seconds=0.5, sr=8000 if spec.sr_arg else None, dtype=dtype, repeat=1)
    assert report.transform == name and report.dtype == dtype
    assert report.tolerance == CHECK_TOLERANCES[spec.check_kind][dtype]
    assert report.outputs and all(math.isfinite(o.rel_l2) for o in report.outputs)
    assert report.passed, report.format()
    assert report.torch_ms > 0 and report.jax_ms > 0 and report.jax_compile_ms > 0
    # judged also by the suite's own torch-vs-JAX table, so that loosening the package's check
    # table (CHECK_TOLERANCES, which report.passed uses) cannot weaken this test
    tol = TOLERANCES[SUITE_KIND[spec.check_kind]][dtype]
    for o in report.outputs:
        for limit in ("rel_l2", "rel_max", "abs_max"):
            bound = getattr(tol, limit)
            assert bound is None or getattr(o, limit) <= bound, (o.name, limit, getattr(o, limit), bound)


#: The suite's tolerance kind (tests/tolerances.py) for each kind of the package's check table.
SUITE_KIND = {"spectral": "backend", "waveform": "backend", "db": "mfcc", "iterative": "griffinlim", "cfp": "cfp"}


def test_tolerance_table_covers_every_kind_and_dtype():
    for spec in REGISTRY.values():
        assert set(CHECK_TOLERANCES[spec.check_kind]) == {"float32", "float64"}
    for rows in CHECK_TOLERANCES.values():
        for tol in rows.values():
            assert any(v is not None for v in vars(tol).values())


def test_a_zero_tolerance_fails_and_names_the_limit():
    report = check_consistency("stft", {"n_fft": 256, "hop_length": 64}, seconds=0.5, repeat=1, tolerance_scale=0.0)
    assert not report.passed
    assert all(o.exceeded for o in report.outputs)
    assert "FAIL" in report.format() and "rel_l2 = " in report.format()


def test_outputs_hook_splits_the_report(monkeypatch):
    """A registry hook decides the reported parts (constant-Q transforms report per octave)."""

    def halves(config, out):
        out = np.asarray(out)
        return {"low bins": out[: out.shape[0] // 2], "high bins": out[out.shape[0] // 2 :]}

    monkeypatch.setitem(REGISTRY, "STFT", TransformSpec("STFT", example=REGISTRY["STFT"].example, outputs=halves))
    report = check_consistency(
        "STFT", {"n_fft": 256, "hop_length": 64, "output_format": "Magnitude"}, seconds=0.5, repeat=1
    )
    assert [o.name for o in report.outputs] == ["low bins", "high bins"]
    assert report.outputs[0].shape == (64, report.outputs[0].shape[1])


def test_octave_outputs_groups_bins_per_octave():
    config = {"bins_per_octave": 12, "fmin": 32.7, "output_format": "Magnitude"}
    mag = np.arange(2 * 30 * 5, dtype=np.float64).reshape(2, 30, 5)
    parts = octave_outputs(config, mag)
    assert list(parts)[0] == "output" and len(parts) == 4
    sizes = [p.shape[1] for k, p in parts.items() if k.startswith("octave")]
    assert sizes == [12, 12, 6]
    np.testing.assert_array_equal(parts["octave 3 (from 130.8 Hz, bins 24-29)"], mag[:, 24:])
    complex_parts = octave_outputs({**config, "output_format": "Complex"}, np.zeros((30, 5, 2)))
    assert [p.shape for p in complex_parts.values()] == [(30, 5, 2), (12, 5, 2), (12, 5, 2), (6, 5, 2)]


def test_check_rejects_bad_arguments():
    with pytest.raises(ParameterError, match="transform='nope'"):
        check_consistency("nope")
    with pytest.raises(ParameterError, match="n_fft=-1"):
        check_consistency("stft", {"n_fft": -1})
    with pytest.raises(ParameterError, match="dtype"):
        check_consistency("stft", {"dtype": "float64"})
    with pytest.raises(ParameterError, match="missing 1 required positional argument"):
        check_consistency("Griffin_Lim", {})
    with pytest.raises(ParameterError, match="differs from the signal's sample rate"):
        check_consistency("mel", {"sr": 16000}, sr=8000)
    with pytest.raises(ParameterError, match="signal has shape"):
        check_consistency("stft", signal=np.zeros((2, 0)))


def test_check_accepts_a_signal_array():
    y = np.random.default_rng(0).standard_normal((2, 4000))
    report = check_consistency("mel", {"n_fft": 256, "hop_length": 64, "n_mels": 32}, signal=y, sr=8000, repeat=1)
    assert report.passed and report.source == "given signal" and report.config["sr"] == 8000.0
    assert report.outputs[0].shape == (2, 32, 63)


# --------------------------------------------------------------------------- command line


def test_cli_passes_with_exit_0(capsys):
    rc = main(
        [
            "check",
            "--transform",
            "mel",
            "--seconds",
            "0.5",
            "--repeat",
            "1",
            "--set",
            "n_fft=512",
            "--set",
            "n_mels=40",
            "--set",
            'window=["kaiser", 4.0]',
            "--set",
            "fmax=None",
        ]
    )
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "PASS" in out.out and out.err == ""
    rows = ROW.findall(out.out)
    assert len(rows) == 1 and rows[0][-1] == "ok" and float(rows[0][1]) <= 1e-6
    config = json.loads(re.search(r"config: (\{.*\})", out.out).group(1))
    assert config["n_fft"] == 512 and config["window"] == ["kaiser", 4.0] and config["fmax"] is None
    assert re.search(r"torch \(eager, no_grad\)\s+\d+\.\d+ ms", out.out)
    assert re.search(r"jax \(jax.jit\)\s+\d+\.\d+ ms\s+\(compile \d+\.\d ms", out.out)


def test_cli_fails_with_exit_1_when_the_error_exceeds_the_tolerance(capsys):
    rc = main(
        ["check", "-t", "stft", "--seconds", "0.5", "--repeat", "1", "--set", "n_fft=256", "--tolerance-scale", "0"]
    )
    out = capsys.readouterr().out
    assert rc == 1
    assert "FAIL: torch and JAX differ" in out


def test_cli_reads_a_file_and_uses_its_rate(tmp_path, capsys):
    path = tmp_path / "tone.wav"
    t = np.arange(8000) / 16000
    sf.write(path, np.stack([np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 660 * t)], axis=1), 16000)
    rc = main(
        [
            "check",
            str(path),
            "-t",
            "MFCC",
            "--config",
            json.dumps({"n_fft": 512, "n_mels": 40}),
            "--repeat",
            "1",
            "--dtype",
            "float64",
        ]
    )
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "16000 Hz" in out.out and '"sr": 16000.0' in out.out and "float64" in out.out
    conflict = main(["check", str(path), "-t", "mel", "--set", "sr=22050", "--repeat", "1"])
    assert conflict == 2 and "differs from the signal's sample rate" in capsys.readouterr().err


def test_cli_config_file_and_set_override(tmp_path, capsys):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"n_fft": 256, "hop_length": 32}))
    rc = main(
        ["check", "-t", "istft", "--config", str(cfg), "--set", "hop_length=64", "--seconds", "0.25", "--repeat", "1"]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert '"hop_length": 64' in out and '"n_fft": 256' in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-t", "nope"], "transform='nope' is invalid"),
        (["-t", "stft", "--set", "n_fft"], "expected KEY=VALUE"),
        (["-t", "stft", "--set", "n_fft=-4"], "n_fft=-4"),
        (["-t", "stft", "--set", "bogus=1"], "unexpected keyword argument 'bogus'"),
        (["-t", "stft", "--config", "{not json"], "not valid JSON"),
        (["-t", "stft", "--config", "[1, 2]"], "must be a JSON object"),
        (["-t", "stft", "--config", "missing.json"], "cannot read --config"),
        (["-t", "stft", "/no/such/file.wav"], "cannot read"),
    ],
)
def test_cli_usage_errors_exit_2(capsys, argv, message):
    assert main(["check", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nnaudio check: ") and message in err and "Traceback" not in err


def test_parse_set_values():
    assert parse_set(["a=1", "b=2.5", "c=null", "d=True", "e=hann", 'f=["kaiser", 4.0]', "g=None"]) == {
        "a": 1,
        "b": 2.5,
        "c": None,
        "d": True,
        "e": "hann",
        "f": ["kaiser", 4.0],
        "g": None,
    }
