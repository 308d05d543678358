"""The README's examples are what the current models answer (scripts/readme_examples.py)."""

from __future__ import annotations

from app.settings import Settings
from scripts.readme_examples import README, drifted, in_readme, render
from tests.model.served import served_model


def test_readme_examples_are_what_the_current_models_give() -> None:
    for language in ("en", "ru"):
        served_model(language)  # skips outside CI when `make model` has not run
    examples = render(Settings().model_dir)
    text = README.read_text(encoding="utf-8")
    assert set(in_readme(text)) == set(examples)
    assert drifted(text, examples) == [], (
        "README.md shows other answers than the current models give: "
        "run `python -m scripts.readme_examples`"
    )
