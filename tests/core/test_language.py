"""The language identifier held in flat arrays answers exactly as py3langid's own."""

from __future__ import annotations

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from app.core.language import _flatten_tables

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
