"""classify(): plain results, the no-word rule, sentence limits and cancellation."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from app.core.classifier import Cancelled, Limits, TooManySentences, classify, classify_each
from app.core.language import UnsupportedLanguage
from app.core.model import FramingModel, ModelSet, load_models

TEXT = "The ministry denied any involvement in the strike. Rain is expected in the north."


@pytest.fixture(scope="module")
def models(bilingual_model_dir: Path) -> ModelSet:
    return load_models(bilingual_model_dir)


def test_results_are_plain_data(models: ModelSet) -> None:
    [result] = classify(models, [TEXT], explain=True)
    first = result.sentences[0]
    assert TEXT[first.start : first.end] == first.text
    assert first.labels == ["official_denial"]
    assert first.evidence is not None and first.evidence["official_denial"]
    assert result.summary.counts["official_denial"] == 1
    assert result.models == {"en": models["en"].version}


@pytest.mark.parametrize("text", ["A", "1.", "—", "A\nB\nC"])
def test_sentences_without_words_carry_no_label(
    models: ModelSet, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every label decided for every sentence: only the no-word rule can leave one bare.
    monkeypatch.setattr(FramingModel, "decide", lambda self, scores: np.ones_like(scores, bool))
    [worded] = classify(models, ["Rain fell in the north."])
    assert worded.sentences[0].labels == models.labels  # the patch took effect
    [result] = classify(models, [text])
    assert result.sentences and all(not s.labels for s in result.sentences)


def test_limits_are_checked_before_scoring(models: ModelSet) -> None:
    many = "Rain fell.\n" * 30
    with pytest.raises(TooManySentences) as info:
        classify(models, [TEXT, many], limits=Limits(per_document=20))
    assert (info.value.what, info.value.index, info.value.limit) == ("document", 1, 20)
    with pytest.raises(TooManySentences) as info:
        classify(models, [many, many], limits=Limits(per_call=50))
    assert info.value.what == "request" and info.value.count == 60
    assert classify(models, [many], limits=Limits(explained=10))  # no evidence asked
    with pytest.raises(TooManySentences) as info:
        classify(models, [many], explain=True, limits=Limits(explained=10))
    assert info.value.what == "explained"


def test_a_stopped_job_ends_early(models: ModelSet) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        classify(models, [TEXT], stop=stop)


def test_classify_each_sets_refusals_aside(models: ModelSet) -> None:
    german = "Das Ministerium wies alle Vorwürfe über den Angriff entschieden zurück."
    results = classify_each(models, [TEXT, german, "Министерство отвергло обвинения в ударе."])
    assert isinstance(results[1], UnsupportedLanguage)
    assert [r.language.language for r in (results[0], results[2])] == ["en", "ru"]  # type: ignore[union-attr]
