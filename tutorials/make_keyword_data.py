"""Synthesise a small keyword-spotting data set offline, in the layout of Speech Commands v0.02.

Google's Speech Commands v0.02 (2.3 GB) is the usual benchmark for keyword spotting. These
tutorials run without any download: this script builds a stand-in with the same folder layout
from the ``espeak-ng`` speech synthesiser (a Debian/Ubuntu package)::

    ROOT/<word>/<speaker>_nohash_<n>.wav     1 s, 16 kHz, mono, 16-bit PCM
    ROOT/_background_noise_/<kind>_noise.wav  long noise recordings (source of the silence class)
    ROOT/validation_list.txt                  <word>/<file>.wav, one a line
    ROOT/testing_list.txt

The 10 command words (yes no up down left right on off stop go) are said by every synthetic
speaker; each speaker also says a few of the 25 other v0.02 words (the "unknown" pool). A
speaker is an espeak-ng accent + voice variant + speaking rate + pitch; every clip gets a random
position in the second, a random level, a random tilt filter (microphone colour) and additive
noise at a random SNR. Validation and test speakers are disjoint from the training speakers, as
in the real data set. The result depends only on ``seed`` (and the espeak-ng version).

Usage::

    python tutorials/make_keyword_data.py tutorials/data/keywords --speakers 160 --seed 0

Any code that reads Speech Commands reads this folder, and :mod:`speech_commands` (the loader
used by the tutorials) reads a real copy of Speech Commands just as well.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

#: The ten command words of the 12-class Speech Commands task.
WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
#: The other 25 words of Speech Commands v0.02 (they make up the "unknown" class).
OTHER_WORDS = (
    "backward", "bed", "bird", "cat", "dog", "eight", "five", "follow", "forward", "four", "happy", "house",
    "learn", "marvin", "nine", "one", "seven", "sheila", "six", "three", "tree", "two", "visual", "wow", "zero",
)  # fmt: skip
SAMPLE_RATE = 16000
NOISE_KINDS = ("white", "pink", "brown", "running_tap", "hum")

#: espeak-ng English accents (the ``gmw`` voices that ship with the Debian package).
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
#: espeak-ng voice variants (``+variant``): male, female and Klatt-synthesiser voices.
VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "klatt3",
    "Alex", "Alicia", "Andrea", "Andy", "Annie", "david", "ed", "edward", "john", "linda", "max", "michel",
    "paul", "robert", "steph", "travis", "victor", "belinda", "benjamin", "caleb", "grandma", "grandpa", "aunty",
)  # fmt: skip

INSTALL_HINT = (
    "espeak-ng is not installed (or not on PATH); it synthesises the offline keyword data set. Install it with\n"
    "    sudo apt-get install espeak-ng        (Debian/Ubuntu; scripts/bootstrap.sh does this)\n"
    "    brew install espeak-ng                (macOS)\n"
    "or point the tutorials at a local copy of Speech Commands v0.02 with --data PATH."
)


class EspeakNotFoundError(RuntimeError):
    """``espeak-ng`` is missing: the message says how to install it."""


def find_espeak() -> str:
    """Path of the ``espeak-ng`` executable.

    Raises
    ------
    EspeakNotFoundError
        If it is not on ``PATH``; the message gives the install command.
    """
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise EspeakNotFoundError(INSTALL_HINT)
    return exe


@dataclass(frozen=True)
class Speaker:
    """One synthetic speaker: an espeak-ng voice and how it speaks."""

    id: str
    voice: str
    speed: int
    pitch: int
    tilt: float
    split: str


def _speaker_id(seed: int, index: int) -> str:
    return hashlib.sha1(f"nnaudio-keywords-{seed}-{index}".encode()).hexdigest()[:8]


def make_speakers(
    n_speakers: int, seed: int, *, val_fraction: float = 0.1, test_fraction: float = 0.1
) -> list[Speaker]:
    """Draw ``n_speakers`` speakers and assign each to one split (speaker-disjoint splits).

    At least one speaker goes to validation and one to testing when ``n_speakers >= 3``.
    """
    if n_speakers < 3:
        raise ValueError(f"n_speakers={n_speakers} is invalid: need at least 3 (train, validation, test)")
    order = np.random.default_rng([seed, 0]).permutation(n_speakers)
    n_val = max(1, round(val_fraction * n_speakers))
    n_test = max(1, round(test_fraction * n_speakers))
    split = {int(i): "validation" for i in order[:n_val]} | {int(i): "testing" for i in order[n_val : n_val + n_test]}
    speakers = []
    for i in range(n_speakers):
        r = np.random.default_rng([seed, 1, i])
        voice = f"{ACCENTS[r.integers(len(ACCENTS))]}+{VARIANTS[r.integers(len(VARIANTS))]}"
        speakers.append(
            Speaker(
                id=_speaker_id(seed, i),
                voice=voice,
                speed=int(r.integers(110, 231)),
                pitch=int(r.integers(15, 86)),
                tilt=float(r.uniform(-0.6, 0.6)),
                split=split.get(i, "training"),
            )
        )
    return speakers


def synthesise(word: str, *, voice: str, speed: int, pitch: int, exe: str | None = None) -> np.ndarray:
    """Say ``word`` with espeak-ng; float64 mono at 16 kHz, leading/trailing silence trimmed."""
    exe = exe or find_espeak()
    proc = subprocess.run(
        [exe, "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", word],
        capture_output=True,
        check=True,
    )
    y, sr = sf.read(io.BytesIO(proc.stdout), dtype="float64")
    if y.ndim > 1:
        y = y.mean(axis=1)
    g = np.gcd(SAMPLE_RATE, sr)
    y = signal.resample_poly(y, SAMPLE_RATE // g, sr // g)
    loud = np.flatnonzero(np.abs(y) > 0.02 * np.abs(y).max())
    return y[loud[0] : loud[-1] + 1] if loud.size else y


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of a noise ``kind`` (see ``NOISE_KINDS``) at 16 kHz with unit RMS."""
    if kind in ("white", "pink", "brown"):
        spec = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
        f[0] = f[1]
        spec *= {"white": 1.0, "pink": f**-0.5, "brown": 1.0 / f}[kind]
        y = np.fft.irfft(spec, n)
    elif kind == "running_tap":
        sos = signal.butter(4, [400, 5000], btype="bandpass", fs=SAMPLE_RATE, output="sos")
        t = np.arange(n) / SAMPLE_RATE
        y = signal.sosfilt(sos, rng.standard_normal(n)) * (1 + 0.4 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6)))
    elif kind == "hum":
        t = np.arange(n) / SAMPLE_RATE
        f0 = rng.choice([50.0, 60.0])
        y = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6)) / k for k in range(1, 8))
        y = y + 0.3 * rng.standard_normal(n)
    else:
        raise ValueError(f"kind={kind!r} is invalid: must be one of {NOISE_KINDS}")
    return np.asarray(y / (np.sqrt(np.mean(y**2)) + 1e-12))


def _tilt(y: np.ndarray, tilt: float) -> np.ndarray:
    # One-pole shelving: tilt > 0 brightens, tilt < 0 darkens (a crude microphone colour).
    a = 0.85
    low = signal.lfilter([1 - a], [1, -a], y)
    return np.asarray(y + tilt * (y - low))


def render_clip(speech: np.ndarray, rng: np.random.Generator, *, tilt: float) -> np.ndarray:
    """Place a spoken word in one second with a random offset, level, colour and noise."""
    if speech.size > SAMPLE_RATE:  # very slow speakers: keep the middle second
        start = (speech.size - SAMPLE_RATE) // 2
        speech = speech[start : start + SAMPLE_RATE]
    speech = _tilt(speech, tilt)
    clip = np.zeros(SAMPLE_RATE)
    offset = int(rng.integers(0, SAMPLE_RATE - speech.size + 1))
    clip[offset : offset + speech.size] = speech
    rms = np.sqrt(np.mean(speech**2)) + 1e-12
    clip *= rng.uniform(0.02, 0.12) / rms
    snr_db = rng.uniform(8.0, 35.0)
    n = noise(NOISE_KINDS[rng.integers(len(NOISE_KINDS))], SAMPLE_RATE, rng)
    clip += n * np.sqrt(np.mean(clip[offset : offset + speech.size] ** 2)) * 10 ** (-snr_db / 20)
    peak = np.abs(clip).max()
    return clip * (0.98 / peak) if peak > 0.98 else clip  # never clip


def generate(
    root: str | Path,
    *,
    n_speakers: int = 160,
    unknown_per_speaker: int = 6,
    repeats: int = 1,
    noise_seconds: float = 30.0,
    seed: int = 0,
    jobs: int = 2,
    overwrite: bool = False,
) -> Path:
    """Write the data set to ``root`` (see the module docstring for the layout).

    Parameters
    ----------
    root : path
        Output folder; created. If it already holds a complete data set made with the same
        parameters, nothing is done (unless ``overwrite``).
    n_speakers : int >= 3
        Number of synthetic speakers (10 % validation, 10 % testing, the rest training).
    unknown_per_speaker : int in [0, 25]
        How many of the 25 non-command words each speaker says.
    repeats : int >= 1
        Utterances of each word per speaker (``_nohash_0``, ``_nohash_1``, ...).
    noise_seconds : float > 1
        Length of each ``_background_noise_`` file.
    seed : int
        Everything random derives from it.
    jobs : int >= 1
        Concurrent espeak-ng processes.
    overwrite : bool
        Regenerate even if a matching data set exists.

    Returns
    -------
    Path
        ``root``.

    Raises
    ------
    EspeakNotFoundError
        If espeak-ng is not installed (the message says how to install it).
    """
    exe = find_espeak()
    root = Path(root)
    params = {
        "n_speakers": n_speakers, "unknown_per_speaker": unknown_per_speaker, "repeats": repeats,
        "noise_seconds": noise_seconds, "seed": seed, "sample_rate": SAMPLE_RATE, "format": 1,
    }  # fmt: skip
    stamp = root / "GENERATED.json"
    if not overwrite and stamp.exists() and json.loads(stamp.read_text()).get("params") == params:
        return root
    if stamp.exists():  # a data set of ours with other parameters: replace it
        for sub in (*WORDS, *OTHER_WORDS, "_background_noise_"):
            shutil.rmtree(root / sub, ignore_errors=True)
        stamp.unlink()
    elif root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty and holds no generated data set: refusing to write into it")
    if not 0 <= unknown_per_speaker <= len(OTHER_WORDS):
        raise ValueError(f"unknown_per_speaker={unknown_per_speaker} is invalid: must be in [0, {len(OTHER_WORDS)}]")
    if repeats < 1:
        raise ValueError(f"repeats={repeats} is invalid: must be >= 1")
    speakers = make_speakers(n_speakers, seed)
    jobs_list: list[tuple[Speaker, int, str, int]] = []
    for i, spk in enumerate(speakers):
        r = np.random.default_rng([seed, 2, i])
        others = [OTHER_WORDS[k] for k in sorted(r.choice(len(OTHER_WORDS), unknown_per_speaker, replace=False))]
        jobs_list += [(spk, i, word, rep) for word in (*WORDS, *others) for rep in range(repeats)]

    def make_one(job: tuple[Speaker, int, str, int]) -> str:
        spk, i, word, rep = job
        r = np.random.default_rng([seed, 3, i, (WORDS + OTHER_WORDS).index(word), rep])
        speed = int(spk.speed * r.uniform(0.92, 1.08)) if rep else spk.speed
        pitch = int(np.clip(spk.pitch + (r.integers(-4, 5) if rep else 0), 0, 99))
        speech = synthesise(word, voice=spk.voice, speed=speed, pitch=pitch, exe=exe)
        rel = f"{word}/{spk.id}_nohash_{rep}.wav"
        sf.write(root / rel, render_clip(speech, r, tilt=spk.tilt).astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
        return rel

    for word in (*WORDS, *OTHER_WORDS, "_background_noise_"):
        (root / word).mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        written = list(pool.map(make_one, jobs_list))
    for k, kind in enumerate(NOISE_KINDS):
        y = 0.1 * noise(kind, int(noise_seconds * SAMPLE_RATE), np.random.default_rng([seed, 4, k]))
        sf.write(root / "_background_noise_" / f"{kind}_noise.wav", y.astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
    split_of = {spk.id: spk.split for spk in speakers}
    for split in ("validation", "testing"):
        rows = sorted(rel for rel in written if split_of[rel.split("/")[1].split("_nohash_")[0]] == split)
        (root / f"{split}_list.txt").write_text("".join(f"{rel}\n" for rel in rows))
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    stamp.write_text(
        json.dumps({"params": params, "espeak_ng": version, "speakers": [asdict(s) for s in speakers]}, indent=1)
    )
    return root


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python tutorials/make_keyword_data.py ROOT [--speakers N] [--seed S]``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("root", type=Path, help="output folder")
    p.add_argument("--speakers", type=int, default=160, help="number of synthetic speakers (default 160)")
    p.add_argument("--unknown-per-speaker", type=int, default=6, help="non-command words per speaker (default 6)")
    p.add_argument("--repeats", type=int, default=1, help="utterances of each word per speaker (default 1)")
    p.add_argument("--noise-seconds", type=float, default=30.0, help="length of each background noise file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2, help="concurrent espeak-ng processes")
    p.add_argument("--overwrite", action="store_true")
    a = p.parse_args(argv)
    try:
        generate(
            a.root, n_speakers=a.speakers, unknown_per_speaker=a.unknown_per_speaker, repeats=a.repeats,
            noise_seconds=a.noise_seconds, seed=a.seed, jobs=a.jobs, overwrite=a.overwrite,
        )  # fmt: skip
    except EspeakNotFoundError as e:
        raise SystemExit(str(e)) from None


if __name__ == "__main__":
    main()
