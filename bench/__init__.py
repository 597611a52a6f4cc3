"""Benchmarks: scripts that print numbers with the hardware noted (DEVELOPERS.md), run via make."""
