"""The `framing` command line on files, stdin, bad input and batch files."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from app.cli import main

TEXT = "The ministry denied any involvement in the strike. Rain is expected in the north tomorrow."
RU_TEXT = "Министерство отвергло все обвинения в причастности к удару. Завтра ожидается дождь."
DE_TEXT = "Das Ministerium wies alle Vorwürfe über den Angriff entschieden zurück."


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def rows(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_classify_file_as_table(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "article.txt"
    path.write_text(TEXT, encoding="utf-8")
    code, out, _ = run(["--model-dir", str(tiny_model_dir), "classify", str(path)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("language: en (")
    assert "labels / sentence" in lines[1]
    assert "[official_denial] The ministry denied" in lines[2]
    assert "[-] Rain is expected" in lines[3]
    assert lines[-1].startswith("2 sentences, 1 labelled")


def test_classify_stdin_as_json(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(TEXT))
    code, out, _ = run(
        ["--model-dir", str(tiny_model_dir), "classify", "-", "--json", "--explain"], capsys
    )
    assert code == 0
    found = [json.loads(line) for line in out.splitlines()]
    assert [r["index"] for r in found] == [0, 1]
    assert found[0]["labels"] == ["official_denial"]
    assert found[0]["evidence"]["official_denial"]
    assert TEXT[found[1]["start"] : found[1]["end"]] == found[1]["text"]


def test_missing_empty_and_undecodable_files_are_one_line_each(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One rule for every file that cannot be classified: a line, the rest go on, exit 1."""
    good, empty, latin = tmp_path / "good.txt", tmp_path / "empty.txt", tmp_path / "cp1251.txt"
    good.write_text(TEXT, encoding="utf-8")
    empty.write_text("  \n", encoding="utf-8")
    latin.write_bytes(RU_TEXT.encode("cp1251"))
    missing = tmp_path / "missing.txt"
    args = [str(p) for p in (missing, empty, latin, good, tmp_path)]
    code, out, err = run(["--model-dir", str(tiny_model_dir), "classify", *args], capsys)
    assert code == 1
    assert "The ministry denied" in out  # the good file after the bad ones is classified
    lines = err.splitlines()
    assert len(lines) == 4 and all(line.startswith("framing: ") for line in lines)
    assert [line.split(": ")[1] for line in lines] == [
        str(missing),
        str(empty),
        str(latin),
        str(tmp_path),
    ]
    assert "Traceback" not in err


def test_bad_model_dir_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--model-dir", str(tmp_path / "none"), "models"], capsys)
    assert code == 2
    assert err.startswith("framing: ") and len(err.splitlines()) == 1


def test_batch_writes_sentence_rows_and_rejects(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "text": "Police dismissed the footage as fake."}),
                "{not json",
                json.dumps({"id": "b"}),
                json.dumps(["a", "list"]),
                json.dumps({"id": 7, "text": TEXT}),
                json.dumps({"text": "The council approved the budget."}),
                json.dumps({"id": ["x"], "text": TEXT}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    base = ["--model-dir", str(tiny_model_dir), "batch", str(source), "--out", str(out), "--quiet"]
    code, _, err = run(base, capsys)
    assert code == 0
    assert f"{source}:2: not valid JSON" in err
    written = rows(out)
    assert [(r["document_id"], r["sentence_index"]) for r in written] == [
        ("a", 0),
        ("7", 0),
        ("7", 1),
        ("6", 0),  # no id: the line number
    ]
    assert written[0]["labels"] == ["official_denial"]
    assert set(written[0]) >= {"document_language", "language", "start", "end", "text"}
    rejects = rows(Path(f"{out}.rejects"))
    assert [r["line"] for r in rejects] == [2, 3, 4, 7]
    assert all(set(r) >= {"file", "line", "reason"} for r in rejects)
    assert main([*base, "--strict"]) == 1


@pytest.mark.parametrize("where", ["missing-folder", "existing-folder"])
def test_batch_out_mistakes_are_one_line(
    where: str, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": TEXT}) + "\n", encoding="utf-8")
    out = tmp_path / "nowhere" / "out.jsonl" if where == "missing-folder" else tmp_path
    args = ["--model-dir", str(tiny_model_dir), "batch", str(source), "--quiet"]
    code, _, err = run([*args, "--out", str(out), "--engine", "local"], capsys)
    assert code == 2
    assert err.startswith("framing: --out") and "Traceback" not in err


def test_models_lists_the_languages(
    bilingual_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["--model-dir", str(bilingual_model_dir), "models"], capsys)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["en", "ru"]


def test_classify_names_the_language_and_takes_one(
    bilingual_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ru, de = tmp_path / "ru.txt", tmp_path / "de.txt"
    ru.write_text(RU_TEXT, encoding="utf-8")
    de.write_text(DE_TEXT, encoding="utf-8")
    code, out, _ = run(["--model-dir", str(bilingual_model_dir), "classify", str(ru)], capsys)
    assert code == 0
    assert out.splitlines()[0].startswith("language: ru (detected, ")
    assert "[official_denial] Министерство" in out
    code, out, err = run(["--model-dir", str(bilingual_model_dir), "classify", str(de)], capsys)
    assert code == 1
    assert "German (de)" in err and "--language" in err
    code, out, _ = run(
        ["--model-dir", str(bilingual_model_dir), "classify", str(de), "--language", "en"], capsys
    )
    assert code == 0 and out.startswith("language: en (request)")
    code, _, err = run(
        ["--model-dir", str(bilingual_model_dir), "classify", str(de), "--language", "de"], capsys
    )
    assert code == 2 and "German" in err


def test_batch_rejects_documents_in_unsupported_languages(
    bilingual_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    docs = [
        {"id": "en", "text": TEXT},
        {"id": "ru", "text": RU_TEXT},
        {"id": "de", "text": DE_TEXT},
        {"id": "de-as-en", "text": DE_TEXT, "language": "en"},
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in docs), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["--model-dir", str(bilingual_model_dir), "batch", str(source), "--out", str(out)]
    code, _, err = run([*args, "--quiet"], capsys)
    assert code == 0
    written = rows(out)
    languages = {(r["document_id"], r["document_language"]) for r in written}
    assert languages == {("en", "en"), ("ru", "ru"), ("de-as-en", "en")}
    assert {r["language"] for r in written if r["document_id"] == "ru"} == {"ru"}
    [reject] = rows(Path(f"{out}.rejects"))
    assert reject["id"] == "de" and reject["line"] == 3 and "German" in reject["reason"]
    assert f"{source}:3: the text looks like German" in err


def bad_inputs(folder: Path) -> dict[str, Path]:
    """One input file of each kind a batch run refuses."""
    folder.mkdir()
    empty, blank, header = folder / "empty.jsonl", folder / "blank.jsonl", folder / "header.csv"
    empty.write_bytes(b"")
    blank.write_text("\n  \n", encoding="utf-8")
    header.write_text("id,text\n", encoding="utf-8")
    text, broken = folder / "notes.txt", folder / "broken.parquet"
    text.write_text(TEXT, encoding="utf-8")
    broken.write_bytes(b"PAR1 not really PAR1")
    (folder / "sub").mkdir()
    return {
        "missing": folder / "missing.jsonl",
        "empty": empty,
        "blank": blank,
        "header-only": header,
        "other-type": text,
        "not-parquet": broken,
        "folder": folder / "sub",
    }


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_batch_refuses_missing_empty_and_unreadable_inputs_one_line_each(
    engine: str, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One rule for every input file a run cannot read: a line each, exit 2, nothing run."""
    inputs = bad_inputs(tmp_path / "in")
    out = tmp_path / ("out.jsonl" if engine == "local" else "out")
    base = ["--model-dir", str(tiny_model_dir), "batch", "--quiet", "--engine", engine]
    for kind, path in inputs.items():
        code, _, err = run([*base, str(path), "--out", str(out)], capsys)
        assert code == 2, kind
        assert err.startswith(f"framing: {path}: ") and len(err.splitlines()) == 1, (kind, err)
        assert not out.exists(), kind
    if engine == "dask":  # every bad file of the command is named, then nothing runs
        paths = [str(p) for p in inputs.values()]
        code, _, err = run(
            [*base, *paths, str(tmp_path / "in" / "*.nothing"), "--out", str(out)], capsys
        )
        assert code == 2
        assert len(err.splitlines()) == len(inputs) + 1
        assert all(line.startswith("framing: ") for line in err.splitlines())
        assert "Traceback" not in err and not out.exists()


def test_batch_out_and_rejects_mistakes_are_one_line(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": TEXT}) + "\n", encoding="utf-8")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    base = ["--model-dir", str(tiny_model_dir), "batch", str(source), "--quiet"]
    for extra in (
        ["--out", str(a_file), "--engine", "dask"],
        ["--out", str(tmp_path / "nowhere" / "out")],
        ["--out", str(tmp_path / "o.jsonl"), "--rejects", str(tmp_path / "nowhere" / "r")],
        ["--out", str(tmp_path / "o.jsonl"), "--rejects", str(tmp_path)],
        ["--out", str(tmp_path / "o"), "--rejects", str(tmp_path / "r")],
    ):
        code, _, err = run([*base, *extra], capsys)
        assert code == 2, extra
        assert err.startswith("framing: ") and len(err.splitlines()) == 1, (extra, err)


@pytest.mark.parametrize(
    "args",
    [
        ["batch", "in.jsonl", "--out", "o", "--workers", "0"],
        ["batch", "in.jsonl", "--out", "o", "--partition-size", "-5"],
        ["serve", "--port", "99999"],
        ["serve", "--workers", "zero"],
    ],
)
def test_bad_numbers_are_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("framing ") and "Traceback" not in err


def test_bad_settings_are_one_line_naming_the_variable(
    tiny_model_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from app.settings import get_settings

    monkeypatch.setenv("FRAMING_PORT", "eighty")
    monkeypatch.setenv("FRAMING_WORKERS", "0")
    get_settings.cache_clear()
    try:
        code, _, err = run(["models"], capsys)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert code == 2
    lines = err.splitlines()
    assert sorted(line.split(":")[1].strip() for line in lines) == [
        "FRAMING_PORT",
        "FRAMING_WORKERS",
    ]


def test_serve_refuses_a_missing_model_folder_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import app.api.server

    def never(*args: object) -> None:
        raise AssertionError("the server was started")

    monkeypatch.setattr(app.api.server, "serve", never)
    code, _, err = run(["--model-dir", str(tmp_path / "none"), "serve", "--port", "1"], capsys)
    assert code == 2
    assert err.startswith("framing: ") and len(err.splitlines()) == 1


def test_an_unreachable_scheduler_is_one_line(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dask = pytest.importorskip("dask")
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": TEXT}) + "\n", encoding="utf-8")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, _, err = run(
            [
                "--model-dir",
                str(tiny_model_dir),
                "batch",
                str(source),
                "--out",
                str(tmp_path / "out"),
                "--scheduler",
                "tcp://127.0.0.1:9",
                "--quiet",
            ],
            capsys,
        )
    assert code == 2
    assert err.startswith("framing: the Dask scheduler tcp://127.0.0.1:9: ")
    assert len(err.splitlines()) == 1


def test_train_refuses_an_output_it_cannot_write_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from training.train import main as train_main

    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    for flags in (["--out", str(a_file / "models")], ["--reports", str(a_file)], ["--jobs", "0"]):
        with pytest.raises(SystemExit) as exited:
            train_main(["--language", "en", *flags])
        assert exited.value.code == 2, flags
        assert "error:" in capsys.readouterr().err
