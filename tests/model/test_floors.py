"""The metric floors: the test split in each model's card, leave-one-domain-out in the
report `make evaluate` writes for the same data. The same floors in every language."""

from __future__ import annotations

import json

import pytest

from tests.model.served import served_model
from training.paths import REPORTS


@pytest.mark.parametrize("language", ["en", "ru"])
def test_test_split_floors_in_the_model_card(language: str) -> None:
    model = served_model(language)
    test = model.manifest.metrics["test"]
    assert test["macro"]["f1"] >= 0.85, test["macro"]
    for label in model.labels:
        assert test[label]["f1"] >= 0.80, (label, test[label])


@pytest.mark.parametrize("language", ["en", "ru"])
def test_leave_one_domain_out_floor_in_the_current_report(language: str) -> None:
    model = served_model(language)
    report = json.loads((REPORTS / f"{language}.json").read_text(encoding="utf-8"))
    assert report["training_data"]["fingerprint"] == model.manifest.training_data["fingerprint"], (
        f"training/reports/{language}.json was written for other data: run `make evaluate`"
    )
    pooled = report["metrics"]["leave_one_domain_out"]["pooled"]
    assert pooled["macro"]["f1"] >= 0.75, pooled["macro"]
