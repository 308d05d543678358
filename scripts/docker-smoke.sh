#!/usr/bin/env bash
# Build the Docker image with podman on a locally made Debian base, run it, wait for
# /readyz, classify one text, run its HEALTHCHECK and check the image's size. For
# machines with no Docker engine and no registry (see ../shared/docker-on-this-machine.md).
# Usage: bash scripts/docker-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

STORE=${FRAMING_PODMAN_ROOT:-/var/tmp/framing-podman}
# The base is made like Debian's official slim images: no apt lists or caches, no
# documentation, man pages or translations (about 80 MB and 120 MB less than a plain
# debootstrap). Renamed when its recipe changes, so an older base is not reused.
BASE=localhost/framing-base:bookworm-python-slim
MAX_IMAGE_MB=${FRAMING_MAX_IMAGE_MB:-400}
IMAGE=localhost/framing:smoke
PORT=${FRAMING_SMOKE_PORT:-18000}
NAME=framing-smoke-$$
CONF=$(mktemp)
cat > "$CONF" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF=$CONF
pm() { podman --root "$STORE/storage" --runroot "$STORE/run" "$@"; }
cleanup() { pm rm -f "$NAME" >/dev/null 2>&1 || true; rm -f "$CONF"; }
trap cleanup EXIT

if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null; then
  echo "== installing podman and debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah debootstrap runc \
    uidmap fuse-overlayfs slirp4netns >/dev/null
fi
mkdir -p "$STORE"

if ! pm image exists "$BASE"; then
  echo "== making a Debian base image with Python"
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  rootfs=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  # What later installs must leave out too (as in Debian's slim images).
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
    > "$rootfs/etc/dpkg/dpkg.cfg.d/slim"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  find "$rootfs/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  tar -C "$rootfs" -c . | pm import - localhost/framing-debian:bookworm-slim >/dev/null
  rm -rf "$rootfs"
  basefile=$(mktemp)
  printf '%s\n' 'FROM localhost/framing-debian:bookworm-slim' \
    'RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin' \
    > "$basefile"
  pm build --network=host -t "$BASE" -f "$basefile" . >/dev/null
  rm -f "$basefile"
fi

echo "== building the image"
started=$(date +%s)
pm build --network=host --format docker \
  -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/host-ca.crt:ro \
  --build-arg PIP_CERT=/etc/ssl/host-ca.crt \
  --build-arg BASE_IMAGE="$BASE" -t "$IMAGE" -f Dockerfile . >/dev/null
echo "built in $(( $(date +%s) - started )) s"
size=$(pm image inspect "$IMAGE" --format '{{.Size}}')
base_size=$(pm image inspect "$BASE" --format '{{.Size}}')
echo "image size: $(( size / 1000000 )) MB (the base with Python: $(( base_size / 1000000 )) MB)"
if (( size > MAX_IMAGE_MB * 1000000 )); then
  echo "the image is over $MAX_IMAGE_MB MB"; exit 1
fi
for module in pyarrow dask distributed tqdm tabulate pip; do
  if pm run --rm --entrypoint python3 "$IMAGE" -c "import $module" >/dev/null 2>&1; then
    echo "the serving image has $module, which only batch runs or training need"; exit 1
  fi
done

echo "== running it (read-only root file system, non-root user)"
pm run -d --name "$NAME" --read-only --tmpfs /tmp --network=host -e FRAMING_PORT="$PORT" "$IMAGE" >/dev/null
user=$(pm exec "$NAME" id -u)
[[ "$user" != 0 ]] || { echo "container runs as root"; exit 1; }

for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then break; fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/readyz"; echo
body=$(curl -fsS "http://127.0.0.1:$PORT/classify" -H 'content-type: application/json' \
  -d '{"text": "The ministry rejected the report as a fabrication. Three people were hurt."}')
echo "$body" | python3 -c '
import json, sys
body = json.load(sys.stdin)
assert len(body["sentences"]) == 2, body
assert "official_denial" in body["sentences"][0]["labels"], body
print("classified:", [(s["text"], s["labels"]) for s in body["sentences"]])
'
body=$(curl -fsS "http://127.0.0.1:$PORT/classify" -H 'content-type: text/plain; charset=utf-8' \
  --data-binary 'Минобороны назвало сообщения об ударе по рынку фейком. Пострадавших нет.')
echo "$body" | python3 -c '
import json, sys
body = json.load(sys.stdin)
assert body["language"]["code"] == "ru", body
assert [s["language"] for s in body["sentences"]] == ["ru", "ru"], body
assert "official_denial" in body["sentences"][0]["labels"], body
print("classified in Russian:", [s["labels"] for s in body["sentences"]])
'
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/classify" \
  -H 'content-type: application/json' -d '{"text": ')
[[ "$status" == 400 ]] || { echo "malformed JSON gave $status, not 400"; exit 1; }
# The HEALTHCHECK must probe the port the container was told (FRAMING_PORT), not 8000.
pm healthcheck run "$NAME" >/dev/null 2>&1 || { echo "HEALTHCHECK failed on port $PORT"; exit 1; }
echo "HEALTHCHECK passed on port $PORT"
echo "docker smoke test passed"
