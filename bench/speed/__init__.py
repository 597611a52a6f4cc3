"""Speed benchmark (issue 3): run ``python -m bench.speed``; see bench/README.md, section "speed"."""
