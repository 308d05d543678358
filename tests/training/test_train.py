"""Training end to end on a small data set: artifact, manifest, determinism, bad data, and
`framing train` taking the same flags as `python -m training.train`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main as framing
from app.core.artifact import save_model
from app.core.model import load_model, load_models
from tests.conftest import TINY, TINY_RU
from training.data import DataError
from training.evaluation import render_report
from training.train import main
from training.trainer import model_is_current, train

FAST = ["--cv", "2", "--jobs", "1"]


def write_data(path: Path, tiny: list[tuple[str, list[str]]], suffix: str) -> Path:
    rows = [*tiny, *[(f"{t} {suffix} {i}.", ls) for i, (t, ls) in enumerate(tiny)]]
    path.write_text(
        "".join(
            json.dumps({"id": f"r{i}", "text": t, "labels": ls, "domain": f"d{i % 3}"}) + "\n"
            for i, (t, ls) in enumerate(rows)
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    return write_data(tmp_path / "data.jsonl", TINY, "Officials said so on day")


def test_one_model_per_language(
    data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ru = write_data(tmp_path / "ru.jsonl", TINY_RU, "Об этом сообщили в день")
    out = tmp_path / "models"
    common = ["--out", str(out), *FAST]
    assert main(["--data", str(data_file), "--language", "en", *common]) == 0
    assert main(["--data", str(ru), "--language", "ru", *common]) == 0
    models = load_models(out)
    assert models.languages == ["en", "ru"]
    assert models["ru"].manifest.language == "ru"
    assert (out / "ru" / "report.md").read_text().startswith("# Evaluation report: ru model")
    capsys.readouterr()
    assert main(["--data", str(ru), "--language", "ru", "--if-needed", *common]) == 0
    assert "nothing to do" in capsys.readouterr().err
    # An English model in the Russian folder is not current: it is rebuilt.
    assert not model_is_current(out / "en", [data_file], "ru")


def test_framing_train_takes_the_same_flags(data_file: Path, tmp_path: Path) -> None:
    """`framing train` runs `python -m training.train` with its arguments unchanged."""
    out, reports = tmp_path / "models", tmp_path / "reports"
    args = ["--language", "en", "--data", str(data_file), "--out", str(out), *FAST]
    assert framing(["train", *args, "--reports", str(reports)]) == 0
    assert load_models(out).languages == ["en"]
    assert json.loads((reports / "en.json").read_text())["language"] == "en"
    assert framing(["train", "--cv", "1"]) == 2  # argparse's error status, passed through


def test_data_trains_one_language(data_file: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["--data", str(data_file), "--language", "en", "ru", "--out", str(tmp_path)])


def test_train_save_load(data_file: Path, tmp_path: Path) -> None:
    result = train([data_file], seed=3, cv=2, lodo=True, n_jobs=1)
    manifest = save_model(result.arrays, result.manifest, tmp_path / "model")
    model = load_model(tmp_path / "model")
    assert model.version == manifest.version
    assert manifest.labels == ["blame_attribution", "downplaying", "official_denial"]
    test = manifest.metrics["test"]
    for label in [*manifest.labels, "macro", "micro"]:
        assert {"precision", "recall", "f1", "support"} <= set(test[label])
    assert 0 <= test["false_alarm_rate"] <= 1
    assert set(manifest.metrics["leave_one_domain_out"]["per_domain_macro_f1"]) == {
        "d0",
        "d1",
        "d2",
    }
    assert (
        manifest.training_data["test_sentences"] + manifest.training_data["train_sentences"]
        == manifest.training_data["sentences"]
    )
    assert model_is_current(tmp_path / "model", [data_file])
    assert "## Test split" in render_report(manifest)


def test_same_seed_same_model(data_file: Path) -> None:
    a = train([data_file], seed=5, cv=2, n_jobs=1)
    b = train([data_file], seed=5, cv=2, n_jobs=1)
    assert a.manifest.thresholds == b.manifest.thresholds
    texts = ["The ministry denied the report.", "Only a few were hurt."]
    np.testing.assert_array_equal(a.pipeline.predict_proba(texts), b.pipeline.predict_proba(texts))


def test_bad_rows_stop_training(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "labels": []}\n{oops\n', encoding="utf-8")
    code = main(["--data", str(bad), "--out", str(tmp_path / "m"), *FAST])
    assert code == 2
    assert f"{bad}:2: not valid JSON" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_evaluation_sets_are_never_trained_on(data_file: Path, tmp_path: Path) -> None:
    """A sentence of an evaluation set in the training data stops training (stock
    furniture of eight words or fewer may recur)."""
    long = "The ministry denied any involvement in the strike on the border town."
    with data_file.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "leak", "text": long, "labels": ["official_denial"]}) + "\n")
        f.write(
            json.dumps(
                {"id": "stock", "text": "Sign up for our daily newsletter today.", "labels": []}
            )
            + "\n"
        )
    held_out = tmp_path / "held.jsonl"
    held_out.write_text(json.dumps({"text": long, "labels": ["official_denial"]}) + "\n")
    with pytest.raises(DataError) as info:
        train([data_file], cv=2, n_jobs=1, evaluations={"articles": held_out})
    assert long[:40] in str(info.value)
    stock = tmp_path / "stock.jsonl"
    stock.write_text(
        json.dumps({"text": "Sign up for our daily newsletter today.", "labels": []}) + "\n"
    )
    assert train([data_file], cv=2, n_jobs=1, evaluations={"articles": stock}).manifest


def test_the_served_scores_equal_the_trained_pipeline(data_file: Path, tmp_path: Path) -> None:
    """Serving's array arithmetic gives what scikit-learn's pipeline gives."""
    result = train([data_file], seed=3, cv=2, n_jobs=1)
    save_model(result.arrays, result.manifest, tmp_path / "model")
    model = load_model(tmp_path / "model")
    texts = [
        "The ministry denied any involvement.",
        "",
        "!!!",
        "😀 Only minor damage, officials said.",
        "Critics blamed the mayor. " * 30,
        "Министерство отвергло обвинения.",
    ]
    np.testing.assert_allclose(
        model.scores(texts), result.pipeline.predict_proba(texts), rtol=1e-5, atol=1e-6
    )


def test_reuse_c_gives_the_model_the_full_search_gives(
    data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--reuse-c` takes C from a report of the same data and builds the same model; a
    report of other data is ignored and the grid searched."""
    reports = tmp_path / "reports"
    common = ["--data", str(data_file), "--language", "en", *FAST]
    assert main([*common, "--out", str(tmp_path / "full"), "--reports", str(reports)]) == 0
    assert json.loads((reports / "en.json").read_text())["params"]["cv"] == 2
    capsys.readouterr()
    reused = tmp_path / "reused"
    assert main([*common, "--out", str(reused), "--reports", str(reports), "--reuse-c"]) == 0
    err = capsys.readouterr().err
    assert err.count(" fold 1/2") == 1, err  # one C, not the grid
    full, again = load_model(tmp_path / "full" / "en"), load_model(reused / "en")
    assert again.manifest.thresholds == full.manifest.thresholds
    assert "evaluation report" in again.manifest.params["c_search"]
    texts = ["The ministry denied the report.", "Rain fell on Tuesday."]
    np.testing.assert_array_equal(again.scores(texts), full.scores(texts))

    with data_file.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "new", "text": "A new sentence.", "labels": []}) + "\n")
    assert (
        main([*common, "--out", str(tmp_path / "other"), "--reports", str(reports), "--reuse-c"])
        == 0
    )
    err = capsys.readouterr().err
    assert "searching C" in err and err.count(" fold 1/2") == 3, err
