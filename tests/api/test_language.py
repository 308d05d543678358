"""Language handling: detection, refusal of unsupported languages, routing to models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.core.artifact import ModelLoadError
from app.core.language import LanguageDetector, UnsupportedLanguage
from app.core.model import load_models
from app.settings import Settings
from tests.conftest import TINY, write_tiny_model

RU = "Министерство обороны опровергло сообщения об ударе по жилому кварталу в пригороде."
EN = "The defence ministry rejected reports of a strike on a residential district."


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(["en", "ru"]).load()


@pytest.mark.parametrize(("text", "language"), [(EN, "en"), (RU, "ru")])
def test_detects_served_languages(detector: LanguageDetector, text: str, language: str) -> None:
    found = detector.detect(text)
    assert found.language == language
    assert found.source == "detected"
    assert found.confidence is not None and found.confidence > 0.9


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Міністерство оборони спростувало повідомлення про удар по житловому кварталу.", "uk"),
        ("Das Verteidigungsministerium wies die Berichte über einen Angriff zurück.", "de"),
        ("Le ministère de la Défense a démenti les informations sur une frappe.", "fr"),
        ("Το υπουργείο Άμυνας διέψευσε τις πληροφορίες για επίθεση στην πόλη.", "el"),
    ],
)
def test_refuses_confident_unsupported_languages(
    detector: LanguageDetector, text: str, language: str
) -> None:
    with pytest.raises(UnsupportedLanguage) as caught:
        detector.detect(text)
    assert caught.value.language == language
    assert "English (en), Russian (ru)" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "language", "source"),
    [
        ("НАТО", "ru", "script"),  # too short to identify: the script decides
        ("Kyiv denied it.", "en", "script"),
        ("2024 — 17:45", "en", "default"),  # no letters at all
    ],
)
def test_short_text_falls_back_to_the_script(
    detector: LanguageDetector, text: str, language: str, source: str
) -> None:
    found = detector.detect(text)
    assert (found.language, found.source) == (language, source)


def test_a_confident_identification_beats_the_letter_count(detector: LanguageDetector) -> None:
    """Russian copy full of Latin names stays Russian; a script tie goes to the identifier."""
    text = (
        "Как сообщает Bloomberg со ссылкой на Financial Times и Wall Street Journal, "
        "Apple, Microsoft и Google отвергли обвинения."
    )
    assert detector.detect(text).language == "ru"
    assert detector.detect("Kremlin: «Это ложь»").language == "ru"
    sentence = "Apple, Microsoft и Google отвергли обвинения."
    assert detector.sentence_language(sentence, "ru") == "ru"


def test_requested_language_overrides_detection(detector: LanguageDetector) -> None:
    assert detector.detect(EN, "ru").language == "ru"
    assert detector.detect(EN, "ru").source == "request"
    with pytest.raises(UnsupportedLanguage) as info:
        detector.detect(EN, "de")
    assert (info.value.language, info.value.requested) == ("de", True)


def test_sentences_follow_their_script(detector: LanguageDetector) -> None:
    assert detector.sentence_language(RU, "en") == "ru"
    assert detector.sentence_language(EN, "ru") == "en"
    # A Russian sentence naming NATO or a Latin brand stays Russian, and a short aside
    # in the other script is too little to move a sentence.
    assert detector.sentence_language("В Брюсселе прошёл саммит NATO и G7.", "ru") == "ru"
    assert detector.sentence_language("Ok, да.", "ru") == "ru"
    assert LanguageDetector(["en"]).sentence_language(RU, "en") == "en"


def test_russian_document_goes_to_the_russian_model(bilingual_client: TestClient) -> None:
    text = f"{RU} Пресс-секретарь отказался от комментариев."
    response = bilingual_client.post("/classify", json={"text": text})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"]["code"] == "ru" and body["language"]["source"] == "detected"
    assert [m["language"] for m in body["models"]] == ["ru"]
    assert [s["language"] for s in body["sentences"]] == ["ru", "ru"]
    assert body["summary"]["languages"] == {"ru": 2}
    for s in body["sentences"]:
        assert text[s["start"] : s["end"]] == s["text"]


def test_mixed_document_is_classified_per_sentence(bilingual_client: TestClient) -> None:
    text = (
        "The ministry denied any involvement in the strike. Officials blamed foreign agents "
        "for the riots. Officials said it was calm. "
        "Пресс-секретарь назвал доклад фальшивкой и клеветой."
    )
    response = bilingual_client.post("/classify", json={"text": text})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"]["code"] == "en"
    assert [s["language"] for s in body["sentences"]] == ["en", "en", "en", "ru"]
    assert body["summary"]["languages"] == {"en": 3, "ru": 1}
    assert [m["language"] for m in body["models"]] == ["en", "ru"]
    assert body["sentences"][3]["labels"] == ["official_denial"]


def test_requested_language_reads_every_sentence(bilingual_client: TestClient) -> None:
    text = f"{EN} {RU}"
    response = bilingual_client.post("/classify", json={"text": text, "language": "ru"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"] == {"code": "ru", "source": "request"}
    assert {s["language"] for s in body["sentences"]} == {"ru"}
    plain = bilingual_client.post(
        "/classify?language=ru", content=text.encode(), headers={"content-type": "text/plain"}
    )
    assert plain.status_code == 200, plain.text
    assert plain.json() == body


def test_unsupported_language_is_a_422_problem(bilingual_client: TestClient) -> None:
    text = "Das Verteidigungsministerium wies die Berichte über einen Angriff zurück."
    response = bilingual_client.post("/classify", json={"text": text})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("unsupported-language")
    [error] = body["errors"]
    assert error["type"] == "unsupported_language"
    assert error["language"] == "de" and error["served"] == ["en", "ru"]
    assert text not in response.text  # the problem names the language, never echoes the text
    asked = bilingual_client.post("/classify", json={"text": EN, "language": "kk"})
    assert asked.status_code == 422, asked.text
    assert asked.json()["errors"][0]["language"] == "kk"
    assert asked.json()["errors"][0]["loc"] == ["body", "language"]
    in_query = bilingual_client.post(
        "/classify?language=kk", content=EN.encode(), headers={"content-type": "text/plain"}
    )
    assert in_query.status_code == 422, in_query.text
    assert in_query.json()["errors"][0]["loc"] == ["query", "language"]
    bad_code = bilingual_client.post("/classify", json={"text": EN, "language": "English"})
    assert bad_code.status_code == 422, bad_code.text
    assert bilingual_client.get("/readyz").status_code == 200  # still serving


def test_batch_names_the_document_in_an_unsupported_language(
    bilingual_client: TestClient,
) -> None:
    docs = [
        {"id": "a", "text": EN},
        {"id": "b", "text": RU, "language": "ru"},
        {"id": "c", "text": "Міністерство оборони спростувало повідомлення про удар по місту."},
    ]
    response = bilingual_client.post("/classify/batch", json={"documents": docs})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["language"] == "uk"
    assert response.json()["errors"][0]["loc"] == ["body", "documents", 2, "text"]
    ok = bilingual_client.post("/classify/batch", json={"documents": docs[:2]})
    assert ok.status_code == 200, ok.text
    assert [d["language"]["code"] for d in ok.json()["documents"]] == ["en", "ru"]
    assert ok.json()["documents"][1]["language"]["source"] == "request"


def test_labels_and_model_cards_name_the_languages(bilingual_client: TestClient) -> None:
    labels = bilingual_client.get("/labels").json()
    assert labels["languages"] == ["en", "ru"]
    assert [m["language"] for m in labels["models"]] == ["en", "ru"]
    assert all(set(item["thresholds"]) == {"en", "ru"} for item in labels["labels"])
    cards = bilingual_client.get("/model").json()
    assert set(cards["models"]) == {"en", "ru"}
    assert cards["models"]["ru"]["language"] == "ru"
    assert bilingual_client.get("/readyz").json()["languages"] == ["en", "ru"]


def test_reload_keeps_the_detector_and_follows_the_languages(
    bilingual_model_dir: Path, tmp_path: Path
) -> None:
    first = load_models(bilingual_model_dir)
    again = load_models(bilingual_model_dir, previous=first)
    assert again.detector is first.detector  # not loaded twice
    shutil.copytree(bilingual_model_dir / "en", tmp_path / "en")
    english = load_models(tmp_path, previous=first)
    assert english.languages == ["en"]
    assert english.detector is not first.detector
    with pytest.raises(UnsupportedLanguage):
        english.detector.detect(RU)


def test_an_unfinished_language_folder_is_refused(
    bilingual_model_dir: Path, tmp_path: Path
) -> None:
    shutil.copytree(bilingual_model_dir / "en", tmp_path / "en")
    (tmp_path / "ru").mkdir()
    shutil.copy(bilingual_model_dir / "ru" / "model.npz", tmp_path / "ru")
    with pytest.raises(ModelLoadError) as info:
        load_models(tmp_path)
    assert info.value.reason == "unfinished"


def test_a_model_in_the_wrong_language_folder_is_refused(tmp_path: Path) -> None:
    write_tiny_model(tmp_path / "ru")  # an English model
    with pytest.raises(ModelLoadError) as info:
        load_models(tmp_path)
    assert info.value.reason == "wrong-language-folder"


def test_languages_must_give_the_same_labels(bilingual_model_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(bilingual_model_dir / "ru", tmp_path / "ru")
    extra = [*TINY, ("The minister called the journalists traitors.", ["labelling_insult"])]
    extra += [("State TV branded the strikers hooligans.", ["labelling_insult"])]
    write_tiny_model(tmp_path / "en", extra)
    with pytest.raises(ModelLoadError) as info:
        load_models(tmp_path)
    assert info.value.reason == "label-mismatch"
    with pytest.raises(ModelLoadError):
        TestClient(create_app(Settings(model_dir=tmp_path))).__enter__()
