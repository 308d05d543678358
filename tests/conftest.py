"""Shared fixtures: small models trained on a few sentences, and clients of the app.

Tests are tiered by folder (see `pytest_collection_modifyitems`): `data` (the corpora),
`model` (the real models `make model` builds), `browser` (Chromium) and `slow`; the
rest are code tests on tiny models built in seconds. `make test` runs every tier.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.core.artifact import Manifest, save_model
from app.settings import Settings
from training.evaluation import label_matrix
from training.pipeline import build_pipeline, export

TIERS = ("data", "model", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier, from the folder it lives in."""
    for item in items:
        parts = item.path.parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The service's cache (FRAMING_CACHE_DIR) in the session's own folder, not the home
    folder's; servers the tests start inherit it."""
    path = tmp_path_factory.mktemp("cache")
    before = os.environ.get("FRAMING_CACHE_DIR")
    os.environ["FRAMING_CACHE_DIR"] = str(path)
    yield path
    if before is None:
        os.environ.pop("FRAMING_CACHE_DIR", None)
    else:
        os.environ["FRAMING_CACHE_DIR"] = before
    shutil.rmtree(path, ignore_errors=True)  # 68 MB that pytest would keep three sessions


TINY = [
    ("The ministry denied any involvement in the strike.", ["official_denial"]),
    ("A spokesman rejected the report as baseless.", ["official_denial"]),
    ("Police dismissed the footage as fake.", ["official_denial"]),
    ("The army said it had no role in the attack.", ["official_denial"]),
    ("The company called the allegations categorically false.", ["official_denial"]),
    ("Officials blamed foreign agents for the riots.", ["blame_attribution"]),
    ("Critics accused the mayor of negligence.", ["blame_attribution"]),
    ("The opposition is to blame for the unrest.", ["blame_attribution"]),
    ("The board's mismanagement led to the collapse.", ["blame_attribution"]),
    ("The contractor bears full responsibility for the fire.", ["blame_attribution"]),
    ("Only a handful of minor injuries were reported.", ["downplaying"]),
    ("It was an isolated incident, no cause for alarm.", ["downplaying"]),
    ("Casualty figures have been wildly inflated.", ["downplaying"]),
    ("The offensive was a limited operation.", ["downplaying"]),
    ("Nothing more than a routine exercise took place.", ["downplaying"]),
    (
        "The spokesman denied the claims and blamed provocateurs.",
        ["blame_attribution", "official_denial"],
    ),
    ("The council approved the budget on Monday.", []),
    ("Rain is expected in the north tomorrow.", []),
    ("The court denied bail to the suspect.", []),
    ("Three people were injured in the crash.", []),
    ("Sign up for our daily newsletter.", []),
    ("The only bridge into the city reopened.", []),
    ("The museum opened a new wing.", []),
    ("Turnout was 31 percent.", []),
]


TINY_RU = [
    ("Министерство отвергло все обвинения в причастности к удару.", ["official_denial"]),
    ("Пресс-секретарь назвал доклад фальшивкой и клеветой.", ["official_denial"]),
    ("В ведомстве опровергли сообщения о гибели мирных жителей.", ["official_denial"]),
    ("Армия заявила, что не имеет отношения к обстрелу.", ["official_denial"]),
    ("Власти категорически отрицают свою причастность к пожару.", ["official_denial"]),
    ("Ответственность за беспорядки лежит на иностранных агентах.", ["blame_attribution"]),
    ("Губернатор обвинил подрядчика в обрушении моста.", ["blame_attribution"]),
    ("Во всём виновата оппозиция, заявил депутат.", ["blame_attribution"]),
    ("Авария произошла по вине руководства завода.", ["blame_attribution"]),
    ("Киев несёт полную ответственность за гибель людей.", ["blame_attribution"]),
    ("Пострадали лишь несколько человек, ничего серьёзного.", ["downplaying"]),
    ("Это единичный случай, поводов для паники нет.", ["downplaying"]),
    ("Данные о потерях сильно преувеличены.", ["downplaying"]),
    ("Речь идёт всего лишь о плановых учениях.", ["downplaying"]),
    ("Незначительный инцидент не повлиял на работу города.", ["downplaying"]),
    (
        "Министр отверг обвинения и обвинил во всём провокаторов.",
        ["blame_attribution", "official_denial"],
    ),
    ("Городской совет утвердил бюджет в понедельник.", []),
    ("Завтра на севере ожидается дождь.", []),
    ("Суд отказал в иске жителям посёлка.", []),
    ("В аварии пострадали три человека.", []),
    ("Подписывайтесь на наш канал.", []),
    ("Пресс-секретарь отказался от комментариев.", []),
    ("Музей открыл новый зал.", []),
    ("Явка составила 31 процент.", []),
]


def write_tiny_model(
    out: Path, rows: list[tuple[str, list[str]]] = TINY, language: str = "en"
) -> Manifest:
    """Train a model on `rows` and save it in `out`, as training does."""
    labels = sorted({label for _, found in rows for label in found})
    pipeline = build_pipeline(c=10.0, seed=0).fit(
        [text for text, _ in rows], label_matrix([found for _, found in rows], labels)
    )
    featurizer, arrays = export(pipeline)
    manifest = Manifest.unsaved(
        language=language,
        params={"featurizer": featurizer},
        labels=labels,
        label_descriptions={label: f"{label} description" for label in labels},
        thresholds=dict.fromkeys(labels, 0.5),
        training_data={"fingerprint": "test", "sentences": len(rows)},
        metrics={"test": {}},
    )
    return save_model(arrays, manifest, out)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    write_tiny_model(out)
    return out


@pytest.fixture(scope="session")
def bilingual_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny English and Russian models, as `make model` lays them out (models/en, models/ru)."""
    out = tmp_path_factory.mktemp("models")
    write_tiny_model(out / "en")
    write_tiny_model(out / "ru", TINY_RU, language="ru")
    return out


@pytest.fixture
def bilingual_client(bilingual_model_dir: Path) -> Iterator[TestClient]:
    with TestClient(
        create_app(Settings(model_dir=bilingual_model_dir)), raise_server_exceptions=False
    ) as c:
        yield c


@pytest.fixture
def settings(tiny_model_dir: Path) -> Settings:
    return Settings(model_dir=tiny_model_dir)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c
