# integrity — one image for the API (`integrity serve`) and the Celery worker (`integrity worker`).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    INTEGRITY_DATA_DIR=/var/lib/integrity

# OCR (tesseract + Simplified Chinese), PDF tools, CJK fonts and pango for PDF reports.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-chi-sim poppler-utils fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin integrity
WORKDIR /app

COPY pyproject.toml README.md ./
COPY integrity ./integrity
COPY service ./service
COPY workers ./workers
# corpora/: sample corpus, catalogue snapshot, policies (editable install keeps them next to the code)
COPY corpora ./corpora
RUN pip install -e . \
 && mkdir -p /var/lib/integrity \
 && chown -R integrity:integrity /var/lib/integrity

USER integrity
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["integrity", "serve", "--host", "0.0.0.0", "--port", "8000"]
