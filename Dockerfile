# integrity — one image for the API (`integrity serve`), the Celery worker (`integrity worker`) and migrations.
#
# Builds without network: Python dependencies come from docker/wheels (docker/build-wheels.sh), and on the local
# base image integrity-base:bookworm (docker/build-base.sh: debootstrap + docker import) the Debian packages are
# already there. With a registry, the default base python:3.11-slim-bookworm works too (the Debian packages are
# then installed with apt-get).  Local:  docker build --build-arg BASE_IMAGE=integrity-base:bookworm -t integrity .
ARG BASE_IMAGE=python:3.11-slim-bookworm

# --- stage 1: the virtualenv, from the host-built wheels (not kept in the final image) ----------------------
FROM ${BASE_IMAGE} AS venv
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY docker/wheels /wheels
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install -q --no-index --find-links /wheels -r /wheels/requirements.txt

# --- stage 2: runtime ---------------------------------------------------------------------------------------
FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LANG=C.UTF-8 \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    XDG_CACHE_HOME=/tmp/.cache \
    INTEGRITY_DATA_DIR=/var/lib/integrity

# OCR (tesseract + Simplified Chinese), PDF tools, CJK fonts and pango for PDF reports. Already present in
# integrity-base:bookworm (no network needed); installed from Debian on any other bookworm base.
RUN missing=""; \
    for p in tesseract-ocr tesseract-ocr-chi-sim poppler-utils fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0; do \
      dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; \
    done; \
    if [ -n "$missing" ]; then \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing \
      && rm -rf /var/lib/apt/lists/*; \
    fi

# Non-root user, fixed uid/gid 10001 so that volume ownership is predictable on every host.
RUN groupadd --system --gid 10001 integrity \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin integrity \
 && mkdir -p /var/lib/integrity \
 && chown integrity:integrity /var/lib/integrity
WORKDIR /app

COPY --from=venv /opt/venv /opt/venv
COPY pyproject.toml README.md ./
COPY integrity ./integrity
COPY service ./service
COPY workers ./workers
# corpora/: sample corpus, catalogue snapshot, policies (the editable install keeps them next to the code, where
# integrity.settings looks for them). Bytecode is compiled now: the root file system is read-only at run time.
COPY corpora ./corpora
RUN pip install -q --no-index --no-deps --no-build-isolation -e . \
 && python -m compileall -q /app/integrity /app/service /app/workers \
 && integrity --help >/dev/null

# never root at run time (uid/gid 10001)
USER integrity
# /var/lib/integrity: uploads, per-tenant corpora, local indexes. Mount a volume; everything else can be read-only.
VOLUME ["/var/lib/integrity"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["integrity", "serve", "--host", "0.0.0.0", "--port", "8000"]
