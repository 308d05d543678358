"""The model artifact on disk: `model.npz` beside its manifest `model.json`.

This module is the whole contract between training and serving: the file names, the
arrays and the manifest's fields, how both files are written (atomically) and how they
are checked when loaded.

`model.npz` holds plain arrays (the inverse document frequencies, each label's weights
and intercept) and a copy of the manifest's fields; it is read with pickling disabled,
so a model file can hold no code. The manifest names the file's SHA-256, and loading
checks that the manifest says what the file's copy says, so neither file can be edited
or swapped alone without the model refusing to load.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

MODEL_FILE = "model.npz"
MANIFEST_FILE = "model.json"
FORMAT = 3  # version of the file's layout: 3 is plain arrays (2 was a joblib pickle)
ARRAYS = ("idf", "weights", "intercepts")  # and "manifest": the copy of its fields

# Manifest fields that depend on the model file's bytes, so the file cannot hold them.
_DERIVED = ("sha256", "version")


class ModelLoadError(RuntimeError):
    """The model folder holds no usable model; the message says how to fix it.

    `reason` names what is wrong in a word or two ("hash-mismatch", "old-format", ...),
    for programs and tests; the message is for people.
    """

    def __init__(self, message: str, reason: str = "unusable") -> None:
        super().__init__(message)
        self.reason = reason


class Canary(BaseModel):
    text: str
    labels: list[str]


class Manifest(BaseModel):
    """What model.json says about model.npz beside it."""

    name: str = "framing"
    version: str
    language: str = Field(
        "en", pattern=r"^[a-z]{2,3}$", description="ISO 639 code of the language it reads."
    )
    created: datetime
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    format: int = Field(FORMAT, description="Layout of the model file this manifest names.")
    trained_with: dict[str, str] = Field(
        default={}, description="Versions of the libraries that trained it (for the record)."
    )
    labels: list[str] = Field(min_length=1)
    label_descriptions: dict[str, str] = {}
    thresholds: dict[str, float]
    training_data: dict[str, Any] = {}
    params: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    canaries: list[Canary] = Field(
        default=[], description="Sentences whose labels the model must reproduce when loaded."
    )

    @classmethod
    def unsaved(cls, **fields: Any) -> Manifest:
        """A manifest for a model about to be saved: `save_model` fills in its hash and
        version; it is created now."""
        return cls(version="unsaved", created=datetime.now(UTC), sha256="0" * 64, **fields)

    def signed_fields(self) -> dict[str, Any]:
        """The fields the model file carries a copy of: all but those derived from it."""
        return json.loads(self.model_dump_json(exclude=set(_DERIVED)))


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def version_of(created: datetime, sha256: str) -> str:
    """A model's version: its creation date and the start of its file's hash."""
    return f"{created:%Y.%m.%d}-{sha256[:7]}"


def _write_atomic(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def save_model(arrays: dict[str, np.ndarray], manifest: Manifest, out: Path) -> Manifest:
    """Write model.npz and model.json into `out`; the manifest as written.

    The manifest's sha256 and version are filled in from the written file. Each file is
    replaced atomically, the arrays first: a crash between the two leaves a pair that
    refuses to load (its hash does not match) rather than a wrong model.
    """
    missing = [name for name in ARRAYS if name not in arrays]
    if missing:
        raise ValueError(f"a model needs the arrays {list(ARRAYS)}; {missing} are missing")
    out.mkdir(parents=True, exist_ok=True)
    copy = np.array(json.dumps(manifest.signed_fields(), sort_keys=True))
    tmp = out / f".{MODEL_FILE}.{os.getpid()}.tmp"
    try:
        with tmp.open("wb") as f:
            np.savez_compressed(f, manifest=copy, **{k: arrays[k] for k in ARRAYS})  # type: ignore[arg-type]
        digest = file_sha256(tmp)
        final = manifest.model_copy(
            update={"sha256": digest, "version": version_of(manifest.created, digest)}
        )
        tmp.replace(out / MODEL_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    text = final.model_dump_json(indent=2) + "\n"
    _write_atomic(out / MANIFEST_FILE, lambda p: p.write_text(text, encoding="utf-8"))
    return final


def read_manifest(model_dir: Path) -> Manifest:
    path = model_dir / MANIFEST_FILE
    if not path.is_file():
        raise ModelLoadError(
            f"No model manifest at {path}. Build a model with `make model` "
            "(or `python -m training.train --out DIR`) and point FRAMING_MODEL_DIR at its "
            "folder.",
            reason="missing-manifest",
        )
    try:
        return Manifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
        raise ModelLoadError(
            f"The manifest {path} is not valid: {exc}. Rebuild the model.", reason="bad-manifest"
        ) from exc


def load_artifact(model_dir: Path) -> tuple[Manifest, dict[str, np.ndarray]]:
    """The checked manifest and arrays of `model_dir`; ModelLoadError says how to fix."""
    manifest = read_manifest(model_dir)
    path = model_dir / MODEL_FILE
    if not path.is_file():
        old = model_dir / "model.joblib"
        raise ModelLoadError(
            f"No model file at {path}"
            + (" (the model.joblib there is an older format)" if old.is_file() else "")
            + ". Rebuild the model with `make model`.",
            reason="old-format" if old.is_file() else "missing-file",
        )
    digest = file_sha256(path)
    if digest != manifest.sha256:
        raise ModelLoadError(
            f"{path} has SHA-256 {digest}, but its manifest says {manifest.sha256}: the file "
            "was changed or replaced. Refusing to load it; rebuild the model with `make model`.",
            reason="hash-mismatch",
        )
    if manifest.version != version_of(manifest.created, manifest.sha256):
        raise ModelLoadError(
            f"The manifest {model_dir / MANIFEST_FILE} gives version {manifest.version!r}, "
            "which does not match its creation time and hash: it was edited. Rebuild the model.",
            reason="edited-version",
        )
    if manifest.format != FORMAT:
        raise ModelLoadError(
            f"{path} is in model format {manifest.format}; this version reads {FORMAT}. "
            "Rebuild it with `make model`.",
            reason="old-format",
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in (*ARRAYS, "manifest")}
        copy = json.loads(str(arrays.pop("manifest")))
    except (OSError, ValueError, KeyError) as exc:  # truncated, not npz, an array missing
        raise ModelLoadError(
            f"{path} could not be read ({type(exc).__name__}: {exc}). Rebuild it with "
            "`make model`.",
            reason="unloadable",
        ) from exc
    if copy != manifest.signed_fields():
        raise ModelLoadError(
            f"The manifest {model_dir / MANIFEST_FILE} does not say what the model file "
            "records (labels, thresholds, metrics or training data were edited). Rebuild "
            "the model, or restore the manifest written with it.",
            reason="edited-manifest",
        )
    missing = [label for label in manifest.labels if label not in manifest.thresholds]
    if missing:
        raise ModelLoadError(
            f"The manifest has no threshold for {missing}. Rebuild the model.",
            reason="missing-threshold",
        )
    weights = arrays["weights"]
    n_labels = len(manifest.labels)
    if weights.ndim != 2 or weights.shape[1] != n_labels or len(arrays["intercepts"]) != n_labels:
        raise ModelLoadError(
            f"The model predicts {weights.shape[-1]} labels but its manifest lists "
            f"{manifest.labels}. Rebuild the model.",
            reason="label-count",
        )
    if arrays["idf"].shape != (weights.shape[0],):
        raise ModelLoadError(
            f"{path} has {weights.shape[0]} weights but {arrays['idf'].shape[0]} idf values. "
            "Rebuild the model.",
            reason="unloadable",
        )
    return manifest, arrays


def model_folders(model_dir: Path) -> list[Path]:
    """The folders under `model_dir` holding a model: one per language, or itself."""
    if not model_dir.is_dir():
        raise ModelLoadError(
            f"The model folder {model_dir} does not exist. Build the models with `make model` "
            "or point FRAMING_MODEL_DIR at a folder holding them.",
            reason="no-folder",
        )
    children = sorted(p for p in model_dir.iterdir() if p.is_dir())
    for child in children:
        if (child / MODEL_FILE).is_file() and not (child / MANIFEST_FILE).is_file():
            raise ModelLoadError(
                f"{child} holds {MODEL_FILE} but no {MANIFEST_FILE}: a training run did not "
                "finish. Rebuild the models with `make model`, or remove the folder.",
                reason="unfinished",
            )
    with_model = [p for p in children if (p / MANIFEST_FILE).is_file()]
    if with_model:
        # English first: it reads text no detector can place (numbers, names).
        return sorted(with_model, key=lambda p: (p.name != "en", p.name))
    return [model_dir]


def model_files(model_dir: Path) -> dict[str, bytes]:
    """Every language's model files, by their path under `model_dir` (to ship elsewhere)."""
    return {
        str((folder / name).relative_to(model_dir)): (folder / name).read_bytes()
        for folder in model_folders(model_dir)
        for name in (MODEL_FILE, MANIFEST_FILE)
    }
