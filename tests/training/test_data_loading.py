"""Training data loading: JSONL and CSV, extra labels, and every bad row reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.data import DataError, fingerprint, load_examples


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_and_csv_with_extra_label(tmp_path: Path) -> None:
    write(
        tmp_path / "a.jsonl",
        [
            json.dumps(
                {"id": "x1", "text": "The ministry denied it.", "labels": ["official_denial"]}
            ),
            json.dumps({"text": "Rain fell.", "labels": []}),
        ],
    )
    (tmp_path / "b.csv").write_text(
        'text,labels\n"He was called a traitor, and blamed.",blame_attribution;name_calling\n'
        "Plain sentence here.,\n",
        encoding="utf-8",
    )
    examples = load_examples([tmp_path])
    assert len(examples) == 4
    assert examples[2].labels == ("blame_attribution", "name_calling")
    assert examples[3].labels == ()
    assert examples[1].id == "a.jsonl:2"


def test_every_bad_row_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.jsonl",
        [
            json.dumps({"id": "1", "text": "Fine.", "labels": []}),
            "{broken",
            json.dumps({"id": "2", "text": "", "labels": []}),
            json.dumps({"id": "3", "text": "No labels key"}),
            json.dumps({"id": "4", "text": "Bad label", "labels": ["Not A Label"]}),
            json.dumps({"id": "1", "text": "Duplicate id", "labels": []}),
            json.dumps(["not", "an", "object"]),
        ],
    )
    with pytest.raises(DataError) as info:
        load_examples([path])
    problems = info.value.problems
    assert [p.split(": ")[0] for p in problems] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6, 7)]
    assert "not valid JSON" in problems[0]
    assert "already used" in problems[4]


def test_csv_needs_its_columns(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("sentence,label\nHello,none\n", encoding="utf-8")
    with pytest.raises(DataError, match="'text' and 'labels' columns"):
        load_examples([tmp_path / "x.csv"])


def test_missing_path_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_examples([tmp_path / "nope.jsonl"])
    (tmp_path / "latin.jsonl").write_bytes(b'{"text": "caf\xe9", "labels": []}\n')
    with pytest.raises(DataError, match="not valid UTF-8"):
        load_examples([tmp_path / "latin.jsonl"])


def test_fingerprint_ignores_file_order(tmp_path: Path) -> None:
    rows = [json.dumps({"id": str(i), "text": f"Sentence {i}.", "labels": []}) for i in range(4)]
    a = load_examples([write(tmp_path / "a.jsonl", rows)])
    b = load_examples([write(tmp_path / "b.jsonl", rows[::-1])])
    assert fingerprint(a) == fingerprint(b)
    changed = load_examples([write(tmp_path / "c.jsonl", [*rows[:3], rows[3].replace("3.", "3!")])])
    assert fingerprint(changed) != fingerprint(a)
