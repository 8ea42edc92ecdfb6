"""Benchmarks of nnaudio-jax against librosa, nnAudio2 and torch.stft (``python -m bench --help``)."""
