#!/usr/bin/env bash
# Build every runtime dependency as a wheel on the host (docker/wheels/, gitignored) so that the image build needs
# no network: the Dockerfile installs with `pip install --no-index --find-links`. Sdist-only packages (jieba) are
# built here once. Skipped when the wheelhouse is newer than pyproject.toml (FORCE=1 rebuilds).
# The resolving interpreter is Debian's /usr/bin/python3 (3.11.2), in a venv of its own: the very interpreter of
# integrity-base:bookworm, so environment markers resolve as in the image (redis needs async-timeout below
# 3.11.3, which a newer host Python would leave out). python:3.11-slim-bookworm's newer 3.11 needs a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=docker/wheels
if [ -z "${PYTHON:-}" ]; then
  BUILD_VENV=${WHEEL_VENV:-/var/tmp/integrity-wheel-venv}
  [ -x "$BUILD_VENV/bin/python" ] || /usr/bin/python3 -m venv "$BUILD_VENV"
  PYTHON=$BUILD_VENV/bin/python
fi
PY=$PYTHON
STAMP=$OUT/.complete
want=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$want" != "3.11" ]; then
  echo "build-wheels: $PY is Python $want; the image runs 3.11 (set PYTHON=python3.11)" >&2
  exit 1
fi
if [ -z "${FORCE:-}" ] && [ -f "$STAMP" ] && [ "$STAMP" -nt pyproject.toml ]; then
  echo "build-wheels: $OUT is up to date ($(ls "$OUT"/*.whl | wc -l) wheels)"
  exit 0
fi
mkdir -p "$OUT"
rm -f "$STAMP" "$OUT"/*.whl  # no stale versions left behind
# The runtime dependencies exactly as pyproject.toml bounds them, plus what an editable install of the project
# needs without build isolation (setuptools, wheel).
"$PY" - >"$OUT/requirements.txt" <<'PYEOF'
import tomllib

project = tomllib.load(open("pyproject.toml", "rb"))
build = tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]
print("\n".join(project["project"]["dependencies"] + build))
PYEOF
t0=$SECONDS
"$PY" -m pip wheel -q --disable-pip-version-check --wheel-dir "$OUT" -r "$OUT/requirements.txt"
touch "$STAMP"
echo "build-wheels: $(ls "$OUT"/*.whl | wc -l) wheels, $(du -sh "$OUT" | cut -f1), in $((SECONDS - t0)) s"
