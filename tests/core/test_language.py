"""The language identifier held in flat arrays, or read from an unpacked copy, answers
exactly as py3langid's own, and the script checks agree with each other."""

from __future__ import annotations

import logging
import lzma
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from app.core import language
from app.core.language import (
    _CYRILLIC_LETTER,
    _LATIN_LETTER,
    LanguageDetector,
    _flatten_tables,
    script_masks,
)
from app.settings import Settings

SAMPLES = [
    "The ministry rejected the report as a fabrication.",
    "Министерство обороны опровергло сообщения о потерях.",
    "Das Ministerium wies den Bericht zurück.",
    "Міністерство спростувало ці повідомлення.",
    "A\nB\nC\n" * 50,
    "x" * 3000,
    "",
]


def test_flat_tables_give_py3langids_own_answers() -> None:
    own = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    flat = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    _flatten_tables(flat)
    assert isinstance(flat.tk_output, memoryview)  # the tables were replaced
    for text in SAMPLES:
        assert flat.classify(text) == own.classify(text), text
        assert flat.rank(text)[:5] == own.rank(text)[:5], text


def test_the_script_regexes_mark_the_letters_script_masks_marks() -> None:
    # sentence_languages asks the regexes whether a text holds a letter of another script
    # and script_masks which ones: the two must agree on every code point.
    text = "".join(chr(c) for c in range(0x3000) if not 0xD800 <= c <= 0xDFFF)
    latin, cyrillic = script_masks(text)
    assert [bool(_LATIN_LETTER.match(ch)) for ch in text] == latin.tolist()
    assert [bool(_CYRILLIC_LETTER.match(ch)) for ch in text] == cyrillic.tolist()


@pytest.fixture(scope="module")
def packed() -> LanguageDetector:
    return LanguageDetector(["en", "ru"]).load()


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    """A cache folder of the test's own, emptied after it: each copy is 68 MB."""
    yield tmp_path
    for copy in tmp_path.glob("py3langid-*"):
        copy.unlink()


def _same_answers(a: LanguageDetector, b: LanguageDetector) -> None:
    for text in SAMPLES:
        assert a.identify(text) == b.identify(text), text
        own, other = a.identifier, b.identifier
        assert np.array_equal(own._decide(text), other._decide(text)), text  # type: ignore[attr-defined]


def test_an_unpacked_copy_is_made_once_and_answers_the_same(
    packed: LanguageDetector, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = LanguageDetector(["en", "ru"], cache).load()
    [copy] = cache.glob("py3langid-*.npz")
    assert not list(cache.glob("*.part"))
    _same_answers(packed, first)

    def no_unpacking(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was unpacked again")

    monkeypatch.setattr(lzma, "open", no_unpacking)
    second = LanguageDetector(["en", "ru"], cache).load()  # reads the copy
    assert list(cache.glob("py3langid-*.npz")) == [copy]
    _same_answers(packed, second)


def test_a_copy_of_another_py3langid_is_replaced(packed: LanguageDetector, cache: Path) -> None:
    stale = cache / "py3langid-0000000000000000.npz"
    stale.write_bytes(b"an older model")
    detector = LanguageDetector(["en", "ru"], cache).load()
    assert not stale.exists()
    assert len(list(cache.glob("py3langid-*.npz"))) == 1
    _same_answers(packed, detector)


def test_a_broken_copy_is_unpacked_past_and_removed(
    packed: LanguageDetector, cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    LanguageDetector(["en", "ru"], cache).load()
    [copy] = cache.glob("py3langid-*.npz")
    copy.write_bytes(copy.read_bytes()[: 1 << 20])  # cut short, as by a full disk
    with caplog.at_level(logging.WARNING, logger=language.__name__):
        detector = LanguageDetector(["en", "ru"], cache).load()
    assert "FRAMING_CACHE_DIR" in caplog.text
    assert not copy.exists()  # made again at the next start
    _same_answers(packed, detector)


def test_a_cache_folder_that_cannot_be_made_is_no_error(
    packed: LanguageDetector, tmp_path: Path
) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    detector = LanguageDetector(["en", "ru"], a_file / "cache").load()
    _same_answers(packed, detector)


def test_the_cache_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FRAMING_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert Settings().cache_dir == tmp_path / "framing"
    monkeypatch.setenv("FRAMING_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert Settings().cache_dir == tmp_path / "elsewhere"
    monkeypatch.setenv("FRAMING_CACHE_DIR", "")  # none: as the image sets it
    assert Settings().cache_dir is None
