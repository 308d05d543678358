# Framing-analysis service. Build: docker build -t framing .
# Run:   docker run --rm -p 8000:8000 framing
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS build
# PIP_CERT is only for build hosts whose package index sits behind a proxy with its own CA.
ARG PIP_CERT=
WORKDIR /src
RUN python3 -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
COPY training/__init__.py training/data.py training/train.py ./training/
RUN /opt/venv/bin/pip install --no-cache-dir --quiet .
COPY training/data ./training/data
# The models (one per language: /opt/model/en, /opt/model/ru) are built into the image;
# leave-one-domain-out is skipped to keep builds short.
RUN /opt/venv/bin/python training/train.py --out /opt/model --no-lodo \
        --real-news /nonexistent --reports /tmp/reports > /dev/null

FROM ${BASE_IMAGE}
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin framing
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/model /opt/model
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
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["framing", "serve"]
