"""The metric floors recorded in each language's model card: the same for every language."""

from __future__ import annotations

import pytest

from tests.model.served import served_model


@pytest.mark.parametrize("language", ["en", "ru"])
def test_metric_floors_in_the_model_card(language: str) -> None:
    model = served_model(language)
    metrics = model.manifest.metrics
    test = metrics["test"]
    assert test["macro"]["f1"] >= 0.85, test["macro"]
    for label in model.labels:
        assert test[label]["f1"] >= 0.80, (label, test[label])
    assert metrics["leave_one_domain_out"]["pooled"]["macro"]["f1"] >= 0.75
