"""Benchmark of the SIA DC-09 station link (issue 9): ``python -m bench.station`` (see __main__)."""
