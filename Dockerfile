# Framing-analysis service. Build: docker build -t framing .
# Run:   docker run --rm -p 8000:8000 framing
ARG BASE_IMAGE=python:3.12-slim

# The service's own environment: no training or batch dependencies.
FROM ${BASE_IMAGE} AS service
# PIP_CERT is only for build hosts whose package index sits behind a proxy with its own CA.
ARG PIP_CERT=
WORKDIR /src
RUN python3 -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
COPY training/__init__.py ./training/
RUN /opt/venv/bin/pip install --no-cache-dir --quiet .

# The models (one per language: /opt/model/en, /opt/model/ru), trained in a stage of
# their own so that what training needs stays out of the served image.
FROM service AS train
ARG PIP_CERT=
COPY training ./training
RUN /opt/venv/bin/pip install --no-cache-dir --quiet '.[train]'
RUN /opt/venv/bin/python -m training.train --out /opt/model --real-news /nonexistent > /dev/null

FROM ${BASE_IMAGE}
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin framing
COPY --from=service /opt/venv /opt/venv
COPY --from=train /opt/model /opt/model
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FRAMING_MODEL_DIR=/opt/model \
    FRAMING_HOST=0.0.0.0 \
    FRAMING_PORT=8000 \
    FRAMING_WORKERS=1
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('FRAMING_PORT', '8000')}/healthz\", timeout=4)"]
CMD ["framing", "serve"]
