"""Errors of the DSP language."""

__all__ = ["DspError"]


class DspError(Exception):
    """A DSP definition that cannot become a FAUST program (or that FAUST rejected)."""
