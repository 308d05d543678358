"""The language identifier held in flat arrays answers exactly as py3langid's own, and the
script checks agree with each other."""

from __future__ import annotations

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from app.core.language import _CYRILLIC_LETTER, _LATIN_LETTER, _flatten_tables, script_masks

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
