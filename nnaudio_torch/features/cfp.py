"""nnAudio2 path ``features.cfp``: re-exports :class:`Combined_Frequency_Periodicity` and :class:`CFP`."""

from .._cfp import CFP, Combined_Frequency_Periodicity

__all__ = ["CFP", "Combined_Frequency_Periodicity"]
