# Framing-analysis service. Build: docker build -t framing .
# Run:   docker run --rm -p 8000:8000 framing   (podman run works the same way)
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

# The environment the image serves from, without what the service never reads: pip and
# setuptools, the packages' test suites, C sources and type stubs, Swagger UI's source
# maps, the tokenizer models and Windows and macOS libraries in blingfire's wheel (the
# service calls only its sentence breaker, in libblingfiretokdll.so), and the debugging
# symbols of the compiled modules (binutils' strip, here only; not the libraries wheels
# carry in their .libs folders, which strip breaks). About 200 MB in all;
# the last line checks that the service still imports and cuts sentences.
FROM service AS runtime
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends binutils > /dev/null
RUN /opt/venv/bin/python -m pip uninstall --yes --quiet pip setuptools \
 && find /opt/venv -depth -type d -name tests -path '*/site-packages/*' -exec rm -rf {} + \
 && find /opt/venv/lib -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' \
      -o -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name '*.pyi' -o -name '*.js.map' \
      -o -name '*.css.map' \) -delete \
 && find /opt/venv/lib -type f -name '*.so' ! -path '*.libs/*' -exec strip --strip-unneeded {} + \
 && cd /opt/venv/lib/python3*/site-packages/blingfire \
 && rm -f ./*.bin ./*.i2w ./*.dll ./*.pdb ./*.dylib \
 && /opt/venv/bin/python -c "import app.api.main, app.cli, uvloop; from app.core.segment import split_sentences; assert len(split_sentences('One. Two.')) == 2"

FROM ${BASE_IMAGE}
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin framing
COPY --from=runtime /opt/venv /opt/venv
COPY --from=train /opt/model /opt/model
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FRAMING_MODEL_DIR=/opt/model \
    FRAMING_CACHE_DIR= \
    FRAMING_HOST=0.0.0.0 \
    FRAMING_PORT=8000 \
    FRAMING_WORKERS=1
USER 10001
EXPOSE 8000
# Probes the port the service listens on: FRAMING_PORT as the container was given it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('FRAMING_PORT', '8000')}/healthz\", timeout=4)"]
CMD ["framing", "serve"]
