"""The `framing` command line on files, stdin and bad batch lines."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from app.cli import main

TEXT = "The ministry denied any involvement in the strike. Rain is expected in the north tomorrow."


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_classify_file_as_table(tiny_model_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
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


def test_classify_stdin_as_json(tiny_model_dir: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO(TEXT))
    code, out, _ = run(
        ["--model-dir", str(tiny_model_dir), "classify", "-", "--json", "--explain"], capsys
    )
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["index"] for r in rows] == [0, 1]
    assert rows[0]["labels"] == ["official_denial"]
    assert rows[0]["evidence"]["official_denial"]
    assert TEXT[rows[1]["start"] : rows[1]["end"]] == rows[1]["text"]


def test_classify_missing_file(tiny_model_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit, match="cannot read"):
        main(["--model-dir", str(tiny_model_dir), "classify", "/nonexistent/file.txt"])


def test_batch_reports_and_keeps_bad_lines(tiny_model_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "text": "Police dismissed the footage as fake."}),
                "{not json",
                json.dumps({"id": "b"}),
                json.dumps(["a", "list"]),
                json.dumps({"id": 7, "text": TEXT}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    code, _, err = run(
        ["--model-dir", str(tiny_model_dir), "batch", str(source), "--out", str(out), "--quiet"],
        capsys,
    )
    assert code == 0
    assert f"{source}:2: not valid JSON" in err
    assert f"{source}:3: 'text' must be" in err
    assert f"{source}:4: not a JSON object" in err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "7"]
    assert rows[0]["sentences"][0]["labels"] == ["official_denial"]
    assert rows[1]["summary"]["sentences"] == 2
    rejects = [json.loads(line) for line in Path(f"{out}.rejects").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [2, 3, 4]
    assert rejects[0]["raw"] == "{not json"
    strict = main(
        [
            "--model-dir",
            str(tiny_model_dir),
            "batch",
            str(source),
            "--out",
            str(out),
            "--quiet",
            "--strict",
        ]
    )
    assert strict == 1


def test_bad_model_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="make model"):
        main(["--model-dir", str(tmp_path), "classify", "-"])


RU_TEXT = "Министерство отвергло все обвинения в причастности к удару. Завтра ожидается дождь."
DE_TEXT = "Das Ministerium wies alle Vorwürfe über den Angriff entschieden zurück."


def test_models_lists_the_languages(bilingual_model_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(["--model-dir", str(bilingual_model_dir), "models"], capsys)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["en", "ru"]


def test_classify_names_the_language_and_takes_one(  # type: ignore[no-untyped-def]
    bilingual_model_dir: Path, tmp_path: Path, capsys
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
    assert "looks like German (de)" in err
    code, out, _ = run(
        ["--model-dir", str(bilingual_model_dir), "classify", str(de), "--language", "en"], capsys
    )
    assert code == 0 and out.startswith("language: en (request)")
    with pytest.raises(SystemExit, match="no model reads 'de'"):
        main(["--model-dir", str(bilingual_model_dir), "classify", str(de), "--language", "de"])


def test_batch_rejects_documents_in_unsupported_languages(  # type: ignore[no-untyped-def]
    bilingual_model_dir: Path, tmp_path: Path, capsys
) -> None:
    source = tmp_path / "in.jsonl"
    rows = [
        {"id": "en", "text": TEXT},
        {"id": "ru", "text": RU_TEXT},
        {"id": "de", "text": DE_TEXT},
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, err = run(
        [
            "--model-dir",
            str(bilingual_model_dir),
            "batch",
            str(source),
            "--out",
            str(out),
            "--quiet",
        ],
        capsys,
    )
    assert code == 0
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["language"]["code"]) for r in written] == [("en", "en"), ("ru", "ru")]
    assert {s["language"] for s in written[1]["sentences"]} == {"ru"}
    [reject] = [json.loads(line) for line in Path(f"{out}.rejects").read_text().splitlines()]
    assert reject["id"] == "de" and reject["line"] == 3 and "German" in reject["reason"]
    assert f"{source}:3: the text looks like German" in err
