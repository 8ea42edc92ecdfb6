"""``nnaudio check`` and ``nnaudio_cli.check_consistency``: every registered transform, built from one
configuration in both backends, agrees within the package's tolerance table."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import soundfile as sf
from nnaudio_shared import CHECK_KINDS, REGISTRY, ParameterError, TransformSpec, octave_outputs
from tolerances import TOLERANCES

from nnaudio_cli import check_consistency, main
from nnaudio_cli._check import parse_set
from nnaudio_cli._tolerances import CHECK_TOLERANCES, FLOAT32_TOLERANCES, Tolerance

ROW = re.compile(r"^(output.*?)\s+\((?:\d+, )*\d*,?\)\s+(\S+)\s+(\S+)\s+(\S+)\s+(ok|FAIL.*)$", re.MULTILINE)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_transform_agrees_across_backends(name, dtype):
    spec = REGISTRY[name]
    report = check_consistency(name, spec.example, seconds=0.5, sr=8000 if spec.sr_arg else None, dtype=dtype, repeat=1)
    assert report.transform == name and report.dtype == dtype
    assert report.tolerance == _expected_tolerance(name, dtype)
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


def _expected_tolerance(name, dtype):
    if dtype == "float32" and name in FLOAT32_TOLERANCES:
        return Tolerance(**FLOAT32_TOLERANCES[name])
    return CHECK_TOLERANCES[REGISTRY[name].check_kind][dtype]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_transform_passes_at_its_default_configuration(name, capsys):
    """``nnaudio check -t NAME`` with no constructor argument exits 0 on the built-in signal (float32).

    Short signal and one timed call for speed; the configuration is the transform's defaults
    (Griffin_Lim's n_fft, which has none, is the check's documented 2048; CQT1992's defaults
    make the check choose 88200 Hz).
    """
    rc = main(["check", "--transform", name, "--seconds", "0.5", "--repeat", "1"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "PASS" in out and f"tolerance ({name}, float32)" in out
    if name == "Griffin_Lim":
        assert "note: n_fft=2048 chosen by the check" in out
    elif name == "CQT1992":
        assert "note: sr=88200 chosen by the check" in out and "@ 88200 Hz" in out
    else:
        assert "note:" not in out


def test_float32_tolerance_rows_name_registered_transforms():
    assert set(FLOAT32_TOLERANCES) <= set(REGISTRY)
    for row in FLOAT32_TOLERANCES.values():
        assert row and all(0 < v < 1e-2 for v in row.values())


def test_the_chosen_rate_and_required_values_never_override_the_user():
    with pytest.raises(ParameterError, match="above the Nyquist frequency"):
        check_consistency("CQT1992", sr=22050, seconds=0.1, repeat=1)
    with pytest.raises(ParameterError, match="above the Nyquist frequency"):
        check_consistency("CQT1992", {"sr": 22050}, seconds=0.1, repeat=1)
    report = check_consistency("Griffin_Lim", {"n_fft": 256, "n_iter": 2}, seconds=0.1, repeat=1)
    assert report.config["n_fft"] == 256 and not report.notes


#: The suite's tolerance kind (tests/tolerances.py) for each kind of the package's check table.
SUITE_KIND = {"spectral": "backend", "waveform": "backend", "db": "mfcc", "iterative": "griffinlim", "cfp": "cfp"}


def test_tolerance_table_covers_every_kind_and_dtype():
    assert set(CHECK_TOLERANCES) == set(CHECK_KINDS)
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
        (["-t", "stft", "--set", "bogus=1"], "'bogus' is not a constructor argument of STFT"),
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


# --------------------------------------------------------------------------- bad values: one line, exit 2


def one_line_usage_error(capsys, argv: list[str], prefix: str = "nnaudio check: ") -> str:
    """Run ``nnaudio check`` and return its one-line error (exit 2, nothing on stdout, no traceback)."""
    rc = main(["check", *argv])
    captured = capsys.readouterr()
    assert rc == 2, (argv, rc, captured.err)
    lines = captured.err.splitlines()
    assert len(lines) == 1, (argv, captured.err)
    assert lines[0].startswith(prefix) and "Traceback" not in captured.err
    assert captured.out == ""
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seconds", "1e308"], "--seconds: '1e308' is out of range: must be a number in (0, 600]"),
        (["--seconds", "nan"], "--seconds: 'nan' is out of range"),
        (["--seconds", "inf"], "--seconds: 'inf' is out of range"),
        (["--seconds", "-1"], "--seconds: '-1' is out of range"),
        (["--seconds", "0"], "--seconds: '0' is out of range"),
        (["--seconds", "abc"], "--seconds: invalid number 'abc'"),
        (["--sr", "0.5"], "--sr: '0.5' is out of range: must be a number in [1, 768000]"),
        (["--sr", "inf"], "--sr: 'inf' is out of range"),
        (["--sr", "nan"], "--sr: 'nan' is out of range"),
        (["--sr", "1e9"], "--sr: '1e9' is out of range"),
        (["--sr", "x"], "--sr: invalid number 'x'"),
        (["--repeat", "0"], "--repeat: '0' is out of range: must be an integer in [1, 1000]"),
        (["--repeat", "1e9"], "--repeat: invalid integer '1e9'"),
        (["--repeat", "100000"], "--repeat: '100000' is out of range"),
        (["--tolerance-scale", "-1"], "--tolerance-scale: '-1' is out of range"),
        (["--tolerance-scale", "nan"], "--tolerance-scale: 'nan' is out of range"),
        (["--tolerance-scale", "1e300"], "--tolerance-scale: '1e300' is out of range"),
        (["--dtype", "float16"], "--dtype: invalid choice: 'float16'"),
    ],
)
def test_cli_bad_option_values_are_one_line_exit_2(capsys, argv, message):
    assert message in one_line_usage_error(capsys, ["-t", "stft", *argv])


def test_cli_unknown_option_is_one_line_exit_2(capsys):
    # argparse reports unrecognised arguments from the top-level parser
    line = one_line_usage_error(capsys, ["-t", "stft", "--bogus"], prefix="nnaudio: ")
    assert "unrecognized arguments: --bogus" in line


def test_cli_missing_transform_is_one_line_exit_2(capsys):
    assert "the following arguments are required: --transform" in one_line_usage_error(capsys, [])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-t", "mel", "--set", "sr=abc"], "sr='abc' is invalid: expected a real number"),
        (["-t", "stft", "--set", "n_fft=1e9"], "n_fft=1000000000.0 is invalid: expected an integer"),
        (["-t", "stft", "--set", "n_fft=1000000000"], "the command line allows n_fft <= 16384"),
        (["-t", "mel", "--set", "n_mels=100000"], "the command line allows n_mels <= 1024"),
        (["-t", "griffin_lim", "--set", "n_fft=256", "--set", "n_iter=10000000"], "allows n_iter <= 1000"),
        (["-t", "stft", "--set", "unknown=1"], "'unknown' is not a constructor argument of STFT"),
        (["-t", "mfcc", "--set", "unknown=1"], "unknown"),  # **kwargs: MelSpectrogram rejects it
        (["-t", "stft", "--set", "n_fft"], "expected KEY=VALUE"),
        (["-t", "stft", "--set", "=1"], "expected KEY=VALUE"),
        (["-t", "stft", "--set", "fmin=NaN"], "fmin=nan is invalid: must be finite"),
        (["-t", "stft", "--set", "fmax=Infinity"], "fmax=inf is invalid: must be finite"),
        (["-t", "stft", "--set", "random_state=99999999999999"], "not a constructor argument"),
        (["-t", "griffin_lim", "--set", "n_fft=256", "--set", "random_state=99999999999"], "at most 2147483647"),
        (["-t", "stft", "--set", "dtype=float64"], "chosen with --dtype"),
        (["-t", "stft", "--set", "pad_mode=1"], "pad_mode='1' is invalid"),  # text-typed: not JSON 1
        (["-t", "stft", "--config", '{"n_fft": 100000}'], "the command line allows n_fft <= 16384"),
        (["-t", "stft", "--config", '{"nope": 1}'], "'nope' is not a constructor argument of STFT"),
        (["-t", "mel", "--config", '{"sr": "abc"}', "--sr", "8000"], "sr='abc' is invalid: expected a real number"),
        (["-t", "mel", "--set", "sr=0.5"], "sr=0.5 is invalid: must be >= 1"),
        (["-t", "mel", "--set", "sr=1e308"], "is invalid: must be <= 768000"),
        (["-t", "stft", "--sr", "768000", "--seconds", "600"], "at most 16777216 are synthesised"),
        (["-t", "cqt", "--set", "fmin=0.001"], "refused before designing"),
    ],
)
def test_cli_bad_constructor_arguments_are_one_line_exit_2(capsys, argv, message):
    """Values are parsed with the constructor's types and bounded before anything is designed (a
    tiny fmin once designed constant-Q kernels for minutes and gigabytes)."""
    assert message in one_line_usage_error(capsys, [*argv, "--repeat", "1"])


def _write(path, samples, sr=8000, **kwargs):
    sf.write(path, samples, sr, **kwargs)
    return str(path)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: str(d), "is a directory"),
        (lambda d: str(d / "missing.wav"), "No such file"),
        (lambda d: _write(d / "empty.wav", np.zeros(0)), "contains no audio samples"),
        (
            lambda d: _write(d / "nan.wav", np.array([0.1, np.nan, 0.2] * 100), subtype="FLOAT"),
            "NaN or infinite samples",
        ),
        (lambda d: (d / "text.wav").write_text("not audio at all\n" * 20) and str(d / "text.wav"), "not a readable"),
        (lambda d: (d / "x.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt ") and str(d / "x.wav"), "not a readable"),
    ],
    ids=["directory", "missing", "empty", "nan", "text", "truncated"],
)
def test_cli_bad_audio_files_are_one_line_exit_2(tmp_path, capsys, make, message):
    line = one_line_usage_error(capsys, [make(tmp_path), "-t", "stft", "--repeat", "1"])
    assert "cannot read" in line and message in line


def test_read_mono_refuses_too_many_samples_before_reading(tmp_path):
    from nnaudio_cli._errors import UserError
    from nnaudio_cli._signal import read_mono

    path = _write(tmp_path / "long.wav", np.zeros(1000))
    with pytest.raises(UserError, match="1000 samples to analyse, at most 999 allowed"):
        read_mono(path, max_samples=999)
    assert read_mono(path, seconds=0.01, max_samples=999)[0].shape == (80,)


def test_check_consistency_bounds_the_synthetic_signal():
    with pytest.raises(ParameterError, match="at most 16777216 are synthesised"):
        check_consistency("stft", seconds=1e308)
    with pytest.raises(ParameterError, match="sr=0.5 is invalid"):
        check_consistency("stft", sr=0.5)


def test_help_states_the_limits(capsys):
    assert main(["check", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "n_fft <= 16384" in out and "16777216 samples" in out and "0 < S <= 600" in out
