"""Behaviour of the trained model in models/ (built by `make model`).

Minimum functionality (clear cases per label, hard negatives), invariance (names of
people, places and companies change no label), directional (adding a denial raises the
denial score). The metric floors are in test_floors.py. The sentences here are
written for these tests and are in no training file.
"""

from __future__ import annotations

from functools import partial

import pytest

from tests.model import served

labels_of = partial(served.labels_of, "en")
score = partial(served.score, "en")


CLEAR = {
    "blame_attribution": [
        "The interior minister accused neighbouring Varnia of "
        "arming the militants who burned the market.",
        "Residents say the collapse of the bridge is "
        "entirely the fault of the contractor that skipped inspections.",
        "State television told viewers that exiled bloggers had orchestrated the fuel shortages.",
        "The regulator holds the airline's management responsible for the grounding of its fleet.",
        "Prosecutors charged the former mayor with embezzling funds meant for flood defences.",
        "Opposition leaders blamed the governing party's reckless "
        "spending for the collapse of the currency.",
    ],
    "downplaying": [
        "The spokesman described the deaths of eleven "
        "miners as a regrettable but isolated incident.",
        "Officials insisted the chemical leak was nothing more than a minor technical hiccup.",
        "Only a handful of protesters were slightly hurt, the "
        "police chief said, calling it no cause for alarm.",
        "The ministry referred to the forced removal of villagers as a temporary relocation.",
        "The company said reports of widespread data theft were greatly exaggerated.",
        "Commanders called the shelling of the suburb a limited and routine operation.",
    ],
    "official_denial": [
        "The defence ministry categorically denied that its aircraft had struck the hospital.",
        "A company spokeswoman rejected the allegations of forced labour as completely baseless.",
        "The embassy dismissed the leaked documents as crude forgeries.",
        "Police officials said they had played no part in the disappearance of the activist.",
        "The presidential office called the investigative "
        "report a fabrication from start to finish.",
        "The army said claims that its troops looted the town were false.",
    ],
}

NONE = [
    "The court denied bail to the three suspects on Thursday.",
    "Police declined to comment on the investigation.",
    "Farmers blamed the drought for the poor wheat harvest this year.",
    "The official responsible for regional transport will retire in March.",
    "Three people were injured when a bus overturned near the station.",
    "It is the only road bridge linking the island to the mainland.",
    "A minor party won two seats in the regional assembly.",
    "The council approved a new budget for schools on Monday.",
    "Sign up for our morning newsletter to get the day's headlines.",
    "Investigators are examining the cause of the warehouse fire.",
]


@pytest.mark.parametrize(("label", "text"), [(k, t) for k, ts in CLEAR.items() for t in ts])
def test_clear_cases_get_their_label(label: str, text: str) -> None:
    assert label in labels_of(text), (text, labels_of(text))


def test_hard_negatives_mostly_get_no_label() -> None:
    wrong = [(t, labels_of(t)) for t in NONE if labels_of(t)]
    assert len(wrong) <= 2, wrong


def test_two_moves_in_one_sentence() -> None:
    text = (
        "The spokesman rejected the accusations as lies and blamed foreign provocateurs "
        "for the unrest."
    )
    assert {"official_denial", "blame_attribution"} <= labels_of(text)


SWAPS = [
    ("Varnia", "Keltoria"),
    ("Minister Okafor", "Minister Lindqvist"),
    ("Halvern Steel", "Ostrava Mining"),
    ("Dakar", "Tbilisi"),
]
TEMPLATES = [
    "{b} said the accusations from {a} were groundless and politically motivated.",
    "Officials in {a} blamed {b} for the blackout that hit the capital.",
    "{a} described the explosion at the plant as a small technical incident.",
    "Rain fell across {a} on Tuesday, and {b} reported normal traffic.",
]


@pytest.mark.parametrize("template", TEMPLATES)
def test_names_do_not_change_labels(template: str) -> None:
    base = labels_of(template.format(a="Varnia", b="Minister Okafor"))
    for a, b in [
        ("Keltoria", "Minister Lindqvist"),
        ("Halvern Steel", "Ostrava Mining"),
        ("Dakar", "Tbilisi"),
    ]:
        assert labels_of(template.format(a=a, b=b)) == base, (template, a, b)


@pytest.mark.parametrize(
    "text",
    [
        "The ministry commented on the reports about the bombing of the village.",
        "The company issued a statement about the leaked safety audit.",
        "The governor spoke to journalists about the accusations of vote rigging.",
    ],
)
def test_adding_a_denial_raises_the_denial_score(text: str) -> None:
    denied = text.rstrip(".") + " and categorically denied the reports."
    assert score(denied, "official_denial") > score(text, "official_denial") + 0.2


def test_adding_a_minimiser_raises_the_downplaying_score() -> None:
    plain = "Several workers were hurt in the explosion at the refinery, officials said."
    minimised = (
        "Only a couple of workers suffered minor scrapes in what officials called a "
        "small, routine incident at the refinery."
    )
    assert score(minimised, "downplaying") > score(plain, "downplaying") + 0.2


def test_removing_the_accusation_lowers_the_blame_score() -> None:
    blamed = "The mayor blamed rival gangs backed by the opposition for the wave of arson."
    neutral = "A wave of arson hit the city last week, the mayor said."
    assert score(neutral, "blame_attribution") < score(blamed, "blame_attribution") - 0.2
