"""The ``nnaudio`` command line (``nnaudio compare``), in-process and as the installed script."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from nnaudio_cli import _plot, main
from nnaudio_cli._compare import BackendResult, default_out_path
from nnaudio_cli._plot import display_images
from nnaudio_cli._signal import read_mono, synthetic_signal

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = ["--n-fft", "512", "--hop-length", "128", "--repeat", "2"]
ROW = re.compile(r"^(torch|jax) vs (librosa|jax)\s+(\S+)\s+(\S+)$", re.MULTILINE)
PAIRS = {("torch", "librosa"), ("jax", "librosa"), ("torch", "jax")}
# Relative tolerances of float32 backends against the float64 librosa reference and each other.
TOL_L2 = 1e-5
TOL_MAX = 1e-4


def parse_errors(stdout: str) -> dict[tuple[str, str], tuple[float, float]]:
    return {(m[1], m[2]): (float(m[3]), float(m[4])) for m in ROW.finditer(stdout)}


def assert_png(path: Path) -> None:
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_MAGIC


def assert_agreement(stdout: str) -> None:
    errors = parse_errors(stdout)
    assert set(errors) == PAIRS, stdout
    for pair, (rel_l2, rel_max) in errors.items():
        assert rel_l2 < TOL_L2, (pair, rel_l2)
        assert rel_max < TOL_MAX, (pair, rel_max)


@pytest.mark.parametrize(
    ("transform", "extra"),
    [("stft", []), ("mel", ["--n-mels", "40"]), ("mfcc", ["--n-mels", "40", "--n-mfcc", "13"])],
)
def test_compare_synthetic(tmp_path, capsys, transform, extra):
    out = tmp_path / f"{transform}.png"
    rc = main(["compare", "--transform", transform, "--out", str(out), "--seconds", "1", *SMALL, *extra])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.err == ""
    assert_png(out)
    assert_agreement(captured.out)
    assert f"wrote {out}" in captured.out
    for backend in ("torch", "jax", "librosa"):
        assert re.search(rf"^{backend}\s+\d+\.\d+\s+", captured.out, re.MULTILINE), captured.out


def test_compare_default_output_path_and_constant_padding(tmp_path, capsys, monkeypatch):
    """Without --out the figure goes to <temp dir>/nnaudio_compare/, not the working directory."""
    work, temp = tmp_path / "work", tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    rc = main(["compare", "--seconds", "0.5", "--pad-mode", "constant", "--n-mels", "32", *SMALL])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    expected = temp / "nnaudio_compare" / "mel_synthetic.png"
    assert_png(expected)
    assert f"wrote {expected}" in captured.out
    assert list(work.iterdir()) == []
    assert_agreement(captured.out)
    assert "pad_mode=constant" in captured.out


def test_default_output_path_names_transform_and_input(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = tmp_path / "nnaudio_compare"
    assert default_out_path("stft", None) == str(folder / "stft_synthetic.png")
    assert default_out_path("mfcc", "/data/my take #2.flac") == str(folder / "mfcc_my_take_2.png")
    assert default_out_path("mel", "###.wav") == str(folder / "mel_audio.png")


def test_help_states_the_default_output_folder(capsys):
    assert main(["compare", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "nnaudio_compare" in text and "temporary directory" in text


def test_compare_stereo_wav(tmp_path, capsys):
    sr = 16000
    t = np.arange(sr) / sr
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    right = 0.3 * np.sin(2 * np.pi * 1000 * t) + 0.1
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), sr, subtype="FLOAT")

    y, file_sr = read_mono(str(path))
    assert file_sr == sr
    assert y.dtype == np.float32 and y.shape == (sr,)
    np.testing.assert_allclose(y, (left + right) / 2, atol=1e-6)

    out = tmp_path / "stereo.png"
    rc = main(
        ["compare", str(path), "--out", str(out), "--transform", "mel", "--n-mels", "40", "--seconds", "0.5", *SMALL]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "8000 samples) @ 16000 Hz" in captured.out
    assert_png(out)
    assert_agreement(captured.out)


def run_user_error(capsys, argv: list[str]) -> str:
    rc = main(argv)
    captured = capsys.readouterr()
    assert rc == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("nnaudio compare: ")
    assert "Traceback" not in captured.err
    return lines[0]


def test_missing_file(tmp_path, capsys):
    line = run_user_error(capsys, ["compare", str(tmp_path / "nope.wav"), "--out", str(tmp_path / "o.png")])
    assert "cannot read" in line and "nope.wav" in line
    assert not (tmp_path / "o.png").exists()


def test_directory(tmp_path, capsys):
    line = run_user_error(capsys, ["compare", str(tmp_path), "--out", str(tmp_path / "o.png")])
    assert "is a directory" in line


def test_corrupt_file(tmp_path, capsys):
    bad = tmp_path / "x.wav"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    line = run_user_error(capsys, ["compare", str(bad), "--out", str(tmp_path / "o.png")])
    assert "cannot read" in line and "x.wav" in line


@pytest.mark.parametrize(
    "argv",
    [
        ["--transform", "mfcc", "--n-mfcc", "500"],  # ParameterError: n_mfcc > n_mels
        ["--n-fft", "0"],  # ParameterError
        ["--transform", "stft", "--n-mels", "40"],  # option that does not apply
        ["--seconds", "0.01"],  # too short for reflect padding (ParameterError)
    ],
)
def test_invalid_arguments(tmp_path, capsys, argv):
    run_user_error(capsys, ["compare", "--out", str(tmp_path / "o.png"), *argv])
    assert not (tmp_path / "o.png").exists()


def test_unwritable_output(tmp_path, capsys):
    line = run_user_error(capsys, ["compare", "--seconds", "0.5", "--out", str(tmp_path / "missing" / "o.png")])
    assert "cannot write" in line


def test_argparse_errors_and_help(capsys):
    assert main([]) == 2
    assert main(["compare", "--repeat", "0"]) == 2
    assert main(["compare", "--transform", "cqt"]) == 2
    capsys.readouterr()
    assert main(["--help"]) == 0
    assert "compare" in capsys.readouterr().out


def test_synthetic_signal_is_deterministic():
    a = synthetic_signal(sr=8000, seconds=0.5)
    b = synthetic_signal(sr=8000, seconds=0.5)
    assert a.dtype == np.float32 and a.shape == (4000,)
    np.testing.assert_array_equal(a, b)
    assert np.isclose(np.max(np.abs(a)), 0.9)


def test_console_script_help():
    script = Path(sys.executable).parent / "nnaudio"
    assert script.is_file(), "the package must be installed (pip install -e .)"
    proc = subprocess.run([str(script), "compare", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "usage: nnaudio compare" in proc.stdout
    assert "--transform" in proc.stdout


# --------------------------------------------------------------------------- bad values: one line, exit 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seconds", "1e308"], "--seconds: '1e308' is out of range: must be a number in (0, 600]"),
        (["--seconds", "nan"], "--seconds: 'nan' is out of range"),
        (["--seconds", "-1"], "--seconds: '-1' is out of range"),
        (["--seconds", "abc"], "--seconds: invalid number 'abc'"),
        (["--sr", "0"], "--sr: '0' is out of range: must be an integer in [1, 768000]"),
        (["--sr", "0.5"], "--sr: invalid integer '0.5'"),
        (["--sr", "inf"], "--sr: invalid integer 'inf'"),
        (["--sr", "1000000000"], "--sr: '1000000000' is out of range"),
        (["--n-fft", "0"], "--n-fft: '0' is out of range: must be an integer in [1, 16384]"),
        (["--n-fft", "1e9"], "--n-fft: invalid integer '1e9'"),
        (["--n-fft", "1000000000"], "--n-fft: '1000000000' is out of range"),
        (["--hop-length", "0"], "--hop-length: '0' is out of range"),
        (["--hop-length", "-5"], "--hop-length: '-5' is out of range"),
        (["--hop-length", "100000"], "--hop-length: '100000' is out of range"),
        (["--n-mels", "0"], "--n-mels: '0' is out of range: must be an integer in [1, 1024]"),
        (["--n-mels", "100000"], "--n-mels: '100000' is out of range"),
        (["--n-mfcc", "-1"], "--n-mfcc: '-1' is out of range"),
        (["--n-mfcc", "nan"], "--n-mfcc: invalid integer 'nan'"),
        (["--repeat", "0"], "--repeat: '0' is out of range: must be an integer in [1, 1000]"),
        (["--repeat", "1000000"], "--repeat: '1000000' is out of range"),
        (["--transform", "cqt"], "--transform: invalid choice: 'cqt'"),
        (["--pad-mode", "wrap"], "--pad-mode: invalid choice: 'wrap'"),
        (["--sr", "768000", "--seconds", "600"], "at most 16777216 are analysed"),
    ],
)
def test_bad_option_values_are_one_line_exit_2(tmp_path, capsys, argv, message):
    """Every numeric option is parsed and range-checked; argparse's own errors are one line too
    (before: a usage block of several lines, and --seconds 1e308 or --n-fft 1000000000 ended in a
    traceback or an enormous allocation)."""
    assert message in run_user_error(capsys, ["compare", "--out", str(tmp_path / "o.png"), *argv])
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: sf.write(d / "empty.wav", np.zeros(0), 8000) or d / "empty.wav", "contains no audio samples"),
        (
            lambda d: sf.write(d / "nan.wav", np.array([0.1, np.nan] * 500), 8000, subtype="FLOAT") or d / "nan.wav",
            "NaN or infinite samples",
        ),
        (lambda d: (d / "notes.txt").write_text("not audio\n" * 50) and d / "notes.txt", "not a readable audio file"),
    ],
    ids=["empty", "nan", "text"],
)
def test_bad_audio_files_are_one_line_exit_2(tmp_path, capsys, make, message):
    line = run_user_error(capsys, ["compare", str(make(tmp_path)), "--out", str(tmp_path / "o.png")])
    assert "cannot read" in line and message in line


def test_help_states_the_limits(capsys):
    assert main(["compare", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "at most 16384" in out and "16777216 samples" in out and "0 < S <= 600" in out


@pytest.mark.parametrize("transform", ["stft", "mel"])
def test_silence_is_drawn_at_the_floor_of_the_colour_scale(transform):
    """Digital silence is -80 dB (the bottom colour), never 0 dB, also when everything is silent."""
    silent = np.zeros((5, 4))
    half = silent.copy()
    half[:, 2:] = 3.0
    for ref in (silent, half):
        results = {
            "torch": BackendResult("torch", out=ref.astype(np.float32)),
            "jax": BackendResult("jax", unavailable="not installed"),
            "librosa": BackendResult("librosa", out=ref),
        }
        images = display_images(results, transform)
        assert images["jax"] is None
        for name in ("torch", "librosa"):
            image = images[name]
            assert image is not None
            np.testing.assert_array_equal(image[:, :2], -80.0)
            np.testing.assert_array_equal(image[:, 2:], -80.0 if ref is silent else 0.0)


def test_compare_draws_a_silent_file_at_the_floor(tmp_path, capsys, monkeypatch):
    drawn: list[dict] = []

    def record(results, transform):
        images = display_images(results, transform)
        drawn.append(images)
        return images

    monkeypatch.setattr(_plot, "display_images", record)
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(8000, dtype=np.float32), 16000, subtype="FLOAT")
    rc = main(["compare", str(path), "--transform", "stft", "--out", str(tmp_path / "s.png"), *SMALL])
    assert rc == 0, capsys.readouterr().err
    assert len(drawn) == 1
    for name in ("torch", "jax", "librosa"):
        np.testing.assert_array_equal(drawn[0][name], -80.0)
