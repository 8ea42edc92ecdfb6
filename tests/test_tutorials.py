"""The offline keyword data: espeak-ng generator and Speech Commands loader; every tutorial's
``--quick`` run end to end (each in a subprocess, on one small generated data set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
sys.path.insert(0, str(TUTORIALS))

import make_keyword_data as mk  # noqa: E402
from speech_commands import CLASSES, SpeechCommands  # noqa: E402

#: A few dozen clips: 6 speakers x (10 words + 2 unknown words); the tutorials' --quick size.
TINY = {"n_speakers": 6, "unknown_per_speaker": 2, "noise_seconds": 4.0, "seed": 0}


@pytest.fixture(scope="session")
def keywords(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated data set for the whole session."""
    return mk.generate(tmp_path_factory.mktemp("keywords") / "data", **TINY)


# --- generator ------------------------------------------------------------------------------------


def test_generated_layout_is_speech_commands_v002(keywords):
    wavs = sorted(keywords.glob("*/*.wav"))
    words = {p.parent.name for p in wavs if p.parent.name != "_background_noise_"}
    assert set(mk.WORDS) <= words and words - set(mk.WORDS) <= set(mk.OTHER_WORDS) and words - set(mk.WORDS)
    clips = [p for p in wavs if p.parent.name != "_background_noise_"]
    assert len(clips) == 6 * 12
    for p in clips[::7]:
        info = sf.info(p)
        assert (info.samplerate, info.channels, info.frames, info.subtype) == (16000, 1, 16000, "PCM_16")
        assert p.stem.split("_nohash_")[1].isdigit() and len(p.stem.split("_nohash_")[0]) == 8
    noise = sorted((keywords / "_background_noise_").glob("*.wav"))
    assert [p.stem for p in noise] == sorted(f"{k}_noise" for k in mk.NOISE_KINDS)
    assert all(sf.info(p).frames == 4 * 16000 for p in noise)


def test_generated_clips_hold_speech_and_are_not_clipped(keywords):
    for word in ("yes", "stop"):
        for p in sorted((keywords / word).glob("*.wav")):
            y, _ = sf.read(p)
            frames = np.sqrt(np.mean(y[: 16000 // 400 * 400].reshape(-1, 400) ** 2, axis=1))  # 25 ms RMS
            assert frames.max() > 2 * np.median(frames), p  # a word stands out of the noise floor
            assert np.abs(y).max() < 0.99


def test_split_lists_are_speaker_disjoint_and_complete(keywords):
    lists = {s: (keywords / f"{s}_list.txt").read_text().split() for s in ("validation", "testing")}
    assert all(lists.values())
    every = {f"{p.parent.name}/{p.name}" for p in keywords.glob("*/*.wav") if p.parent.name != "_background_noise_"}
    speakers = {s: {r.split("/")[1].split("_nohash_")[0] for r in rows} for s, rows in lists.items()}
    train = {r.split("/")[1].split("_nohash_")[0] for r in every - set(lists["validation"]) - set(lists["testing"])}
    assert set(lists["validation"]) | set(lists["testing"]) <= every
    assert not (speakers["validation"] & speakers["testing"]) and not (
        train & (speakers["validation"] | speakers["testing"])
    )
    # a speaker's every clip is in its split
    for s, rows in lists.items():
        assert set(rows) == {r for r in every if r.split("/")[1].split("_nohash_")[0] in speakers[s]}


def test_generation_is_deterministic(tmp_path):
    kw = {"n_speakers": 3, "unknown_per_speaker": 0, "noise_seconds": 1.5, "seed": 7}
    a, b = mk.generate(tmp_path / "a", **kw), mk.generate(tmp_path / "b", **kw)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != "GENERATED.json")
    assert len(files) == 3 * 10 + len(mk.NOISE_KINDS) + 2
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != "GENERATED.json")
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    c = mk.generate(tmp_path / "c", **{**kw, "seed": 8})
    assert (a / "validation_list.txt").read_text() != (c / "validation_list.txt").read_text()


def test_generate_refuses_a_foreign_folder_and_reuses_its_own(tmp_path, keywords):
    (tmp_path / "mine.txt").write_text("user data")
    with pytest.raises(FileExistsError, match="refusing"):
        mk.generate(tmp_path, **TINY)
    stamp = (keywords / "GENERATED.json").stat().st_mtime_ns
    assert mk.generate(keywords, **TINY) == keywords and (keywords / "GENERATED.json").stat().st_mtime_ns == stamp


def test_missing_espeak_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng on this PATH
    with pytest.raises(mk.EspeakNotFoundError, match=r"apt-get install espeak-ng"):
        mk.generate(tmp_path / "data", n_speakers=3)
    with pytest.raises(SystemExit, match=r"apt-get install espeak-ng"):
        mk.main([str(tmp_path / "data")])
    import common

    args = common.parser("t").parse_args(["--quick", "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit, match=r"(?s)espeak-ng is not installed.*apt-get install espeak-ng"):
        common.setup(args)


# --- loader on a hand-made folder (exact expectations) and on the generated one --------------------


def _wav(path: Path, n: int, value: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.full(n, value, dtype=np.float32), 16000, subtype="PCM_16")


@pytest.fixture
def handmade(tmp_path: Path) -> Path:
    """A minimal real-layout folder: two speakers x {yes, go, bed, marvin}, one short clip."""
    for spk, v in (("aaaa0000", 0.25), ("bbbb1111", 0.5)):
        for w in ("yes", "go", "bed", "marvin"):
            _wav(tmp_path / w / f"{spk}_nohash_0.wav", 16000, v)
    _wav(tmp_path / "yes" / "aaaa0000_nohash_1.wav", 8000, 0.125)  # shorter than 1 s
    _wav(tmp_path / "_background_noise_" / "white_noise.wav", 50000, 0.5)
    (tmp_path / "validation_list.txt").write_text("yes/bbbb1111_nohash_0.wav\ngo/bbbb1111_nohash_0.wav\n")
    (tmp_path / "testing_list.txt").write_text("bed/bbbb1111_nohash_0.wav\nmarvin/bbbb1111_nohash_0.wav\n")
    (tmp_path / "LICENSE").write_text("not a folder")
    return tmp_path


def test_loader_implements_the_12_class_mapping(handmade):
    assert CLASSES == ("_silence_", "_unknown_", "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
    train = SpeechCommands(handmade, "training", silence_percentage=100, unknown_percentage=50)
    words = {it.path.relative_to(handmade).as_posix(): it.label for it in train.items if it.path is not None}
    # training = everything not listed; 3 command clips -> ceil(1.5) = 2 unknown clips, 3 silence clips
    assert {k: v for k, v in words.items() if v != 1} == {
        "yes/aaaa0000_nohash_0.wav": 2, "yes/aaaa0000_nohash_1.wav": 2, "go/aaaa0000_nohash_0.wav": 11,
    }  # fmt: skip
    assert {k for k, v in words.items() if v == 1} == {"bed/aaaa0000_nohash_0.wav", "marvin/aaaa0000_nohash_0.wav"}
    assert train.class_counts()["_silence_"] == 3 and len(train) == 8
    X, y = train.arrays()
    assert X.shape == (8, 16000) and X.dtype == np.float32 and y.dtype == np.int64
    short = [i for i, it in enumerate(train.items) if it.path is not None and it.path.name == "aaaa0000_nohash_1.wav"][
        0
    ]
    np.testing.assert_allclose(X[short, :8000], 0.125, atol=1e-4)
    np.testing.assert_array_equal(X[short, 8000:], 0.0)  # zero-padded to 1 s
    sil = X[y == 0]
    assert all(np.ptp(s) < 1e-4 and 0 <= s[0] <= 0.5 + 1e-4 for s in sil)  # scaled noise segments
    val = SpeechCommands(handmade, "validation", silence_percentage=0, unknown_percentage=0)
    assert sorted((it.path.relative_to(handmade).as_posix(), it.label) for it in val.items) == [
        ("go/bbbb1111_nohash_0.wav", 11), ("yes/bbbb1111_nohash_0.wav", 2),
    ]  # fmt: skip
    test = SpeechCommands(handmade, "testing", silence_percentage=0, unknown_percentage=0)
    assert len(test) == 0  # only unknown words listed and no command word: 0 % of 0


def test_loader_silence_segments_do_not_overlap_between_subsets(handmade):
    (handmade / "validation_list.txt").write_text("yes/bbbb1111_nohash_0.wav\n")
    (handmade / "testing_list.txt").write_text("go/bbbb1111_nohash_0.wav\n")
    spans = {}
    for s in ("training", "validation", "testing"):
        d = SpeechCommands(handmade, s, silence_percentage=500, seed=3)
        offs = [it.noise_offset for it in d.items if it.path is None]
        spans[s] = (min(offs), max(offs) + 16000)
    assert spans["training"][1] <= 0.8 * 50000 + 16000 and spans["validation"][0] >= 0.8 * 50000
    assert spans["testing"][0] >= 0.9 * 50000


def test_loader_rejects_what_is_not_speech_commands(tmp_path):
    with pytest.raises(FileNotFoundError, match="validation_list"):
        SpeechCommands(tmp_path, "training")
    with pytest.raises(ValueError, match="subset"):
        SpeechCommands(tmp_path, "train")  # type: ignore[arg-type]


def test_loader_on_the_generated_set(keywords):
    subsets = {s: SpeechCommands(keywords, s, seed=1) for s in ("training", "validation", "testing")}
    for d in subsets.values():
        counts = d.class_counts()
        n_words = sum(counts[w] for w in mk.WORDS)
        assert all(counts[w] == n_words // 10 for w in mk.WORDS)  # every speaker says every word once
        assert counts["_unknown_"] == int(np.ceil(n_words / 10)) and counts["_silence_"] == int(np.ceil(n_words / 10))
    assert subsets["training"].class_counts()["yes"] == 4
    again = SpeechCommands(keywords, "training", seed=1)
    assert [it.path for it in again.items] == [it.path for it in subsets["training"].items]
    assert np.array_equal(again.arrays()[0], subsets["training"].arrays()[0])


# --- every tutorial, --quick, end to end ---------------------------------------------------------------

PARTS = {
    "part1_mel_spectrograms": ["part1_mel.png"],
    "part2_linear_keyword_spotter": ["part2_training.png", "part2_torch.pt", "part2_jax.npz"],
    "part3_evaluation_and_kernels": ["part3_confusion.png", "part3_kernels.png", "part3_spectrogram.png"],
    "part4_bc_resnet": ["part4_training.png"],
    "part5_trainer_and_learnable_mel": ["part5_fixed_vs_learnable.png"],
}


@pytest.mark.slow
@pytest.mark.parametrize("part", sorted(PARTS))
def test_tutorial_quick_run(part, keywords, tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning:__main__"}
    proc = subprocess.run(
        [sys.executable, str(TUTORIALS / f"{part}.py"), "--quick", "--data", str(keywords), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    name = part.split("_")[0]
    for f in [*PARTS[part], f"{name}_results.md", f"{name}_results.json"]:
        assert (tmp_path / f).stat().st_size > 0, f
    results = json.loads((tmp_path / f"{name}_results.json").read_text())
    assert results["environment"]["torch"].startswith("2.")
    assert (tmp_path / f"{name}_results.md").read_text().startswith(f"# Part {name[-1]}")
