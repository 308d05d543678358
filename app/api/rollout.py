"""One set of models across workers: checked, content-addressed copies and a pointer.

`framing serve` gives its workers a run folder. Staging checks the models in the model
folder (hash, manifest, canaries), copies their files to `RUN/models/<digest>/` and
points `RUN/current` at that digest. Every worker serves the copy the pointer names:
at start-up, after a crash (never the files in the model folder, which may have
changed since), and when the pointer moves. Each worker reports what it serves in
`RUN/workers/<pid>`, so a reload can wait until all of them serve the new models.
A model that fails its checks is never staged: the pointer, and what is served, stay.

    python -m app.api.rollout stage     # what SIGHUP to `framing serve` runs
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from app.core.artifact import ModelLoadError, model_files
from app.core.model import ModelSet, load_models
from app.settings import get_settings


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Rollout:
    """The run folder of one `framing serve`: staged models, the pointer, the workers."""

    def __init__(self, run_dir: Path, model_dir: Path, cache_dir: Path | None = None) -> None:
        self.run_dir = run_dir
        self.model_dir = model_dir
        self.cache_dir = cache_dir  # for the language identifier (load_models)
        self.store = run_dir / "models"
        self.pointer = run_dir / "current"
        self.reports = run_dir / "workers"
        for folder in (self.store, self.reports):
            folder.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.run_dir / "lock").open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def current(self) -> str | None:
        try:
            return self.pointer.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def load(self, digest: str, previous: ModelSet | None = None) -> ModelSet:
        """The staged models `digest` names, checked again as they load."""
        return load_models(self.store / digest, previous, self.cache_dir)

    def stage(self, previous: ModelSet | None = None) -> tuple[str, ModelSet]:
        """Check the models in the model folder, copy and point at them; their digest and
        the loaded models. ModelLoadError, and nothing changes, if they fail a check."""
        with self._locked():
            return self._stage(previous)

    def _stage(self, previous: ModelSet | None) -> tuple[str, ModelSet]:
        files = model_files(self.model_dir)
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
        key = digest.hexdigest()[:32]
        target = self.store / key
        if not target.is_dir():
            tmp = self.store / f".{key}.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            for name, data in files.items():
                (tmp / name).parent.mkdir(parents=True, exist_ok=True)
                (tmp / name).write_bytes(data)
            try:
                models = load_models(tmp, previous, self.cache_dir)
            except ModelLoadError as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                message = str(exc).replace(str(tmp), str(self.model_dir))
                raise ModelLoadError(message, exc.reason) from None
            tmp.rename(target)
        else:
            models = self.load(key, previous)
        _write_atomic(self.pointer, key + "\n")
        return key, models

    def current_or_stage(self, previous: ModelSet | None = None) -> tuple[str, ModelSet]:
        """What a starting worker serves: the staged models, or (the first time) stage."""
        with self._locked():
            key = self.current()
            if key is not None and (self.store / key).is_dir():
                return key, self.load(key, previous)
            return self._stage(previous)

    def report(self, digest: str) -> None:
        _write_atomic(self.reports / str(os.getpid()), digest + "\n")

    def forget(self) -> None:
        (self.reports / str(os.getpid())).unlink(missing_ok=True)

    def serving(self) -> dict[int, str]:
        """What each live worker reports serving (reports of dead workers are removed)."""
        out: dict[int, str] = {}
        for path in self.reports.iterdir():
            if not path.name.isdigit():
                continue
            pid = int(path.name)
            if not _alive(pid):
                path.unlink(missing_ok=True)
                continue
            with contextlib.suppress(FileNotFoundError):
                out[pid] = path.read_text(encoding="utf-8").strip()
        return out

    def all_serve(self, digest: str, workers: int) -> bool:
        serving = self.serving()
        return len(serving) >= workers and all(d == digest for d in serving.values())


def main(argv: list[str]) -> int:
    if argv[:1] != ["stage"]:
        print(__doc__, file=sys.stderr)
        return 2
    settings = get_settings()
    if settings.run_dir is None:
        print("FRAMING_RUN_DIR is not set: nothing is serving from a run folder", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        key, models = Rollout(settings.run_dir, settings.model_dir, settings.cache_dir).stage()
    except ModelLoadError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    print(f"staged {models.version} as {key} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
