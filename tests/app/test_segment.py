"""Sentence segmentation: hard cases, and offset properties for any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.segment import split_sentences


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. embassy said Dr. Smith arrived at 3 p.m. on Monday. He left soon after.",
            ["The U.S. embassy said Dr. Smith arrived at 3 p.m. on Monday.", "He left soon after."],
        ),
        (
            "Gov. Ruiz and Rep. Alvarez met Sen. Park. They disagreed. Mr. Lee said so.",
            ["Gov. Ruiz and Rep. Alvarez met Sen. Park.", "They disagreed.", "Mr. Lee said so."],
        ),
        (
            "“We deny everything,” the spokesman said. “It is a lie.” Police declined to comment.",
            [
                "“We deny everything,” the spokesman said.",
                "“It is a lie.”",
                "Police declined to comment.",
            ],
        ),
        (
            'He said "no comment." Then he left.',
            ['He said "no comment."', "Then he left."],
        ),
        (
            "Prices rose 3.5 percent in May... Analysts were surprised.",
            ["Prices rose 3.5 percent in May...", "Analysts were surprised."],
        ),
        (
            "Only 3 were hurt.\u00a0The ministry called it an isolated incident.",
            ["Only 3 were hurt.", "The ministry called it an isolated incident."],
        ),
        (
            "Army shells border town\nThe army shelled the town on Tuesday, officials said.",
            ["Army shells border town", "The army shelled the town on Tuesday, officials said."],
        ),
        (
            "Ministry rejects report\n\nthe statement came late",
            ["Ministry rejects report", "the statement came late"],
        ),
        (
            "Key points:\n- Three killed\n• Ministry denies role\n1. Talks next week",
            ["Key points:", "- Three killed", "• Ministry denies role", "1. Talks next week"],
        ),
        (
            "The report was written by\nseveral officials who said it was late.",
            ["The report was written by\nseveral officials who said it was late."],
        ),
        (
            "The No. 3 reactor shut on Jan. 5 after a leak. Workers left.",
            ["The No. 3 reactor shut on Jan. 5 after a leak.", "Workers left."],
        ),
        ("   \n\n\t ", []),
    ],
)
def test_cases(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_blank_line_always_ends_a_sentence() -> None:
    text = "The talks went on and on and\n\n   \nthe ministry said nothing"
    assert sentences(text) == ["The talks went on and on and", "the ministry said nothing"]


def test_long_run_without_punctuation_is_cut() -> None:
    text = "word " * 300_000
    spans = split_sentences(text)
    assert len(spans) > 1
    assert max(b - a for a, b in spans) <= 5_000


def check_spans(text: str) -> None:
    spans = split_sentences(text)
    previous_end = 0
    covered = set()
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip() and piece
        covered.update(range(start, end))
        previous_end = end
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert i in covered, f"character {i} ({ch!r}) is in no sentence"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_offsets_cover_any_text(text: str) -> None:
    check_spans(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Mr.",
                "Dr.",
                "U.S.",
                "“",
                "”",
                "...",
                "\n",
                "\n\n",
                " ",
                "- ",
                "3.5",
                "No.",
                "word",
                "Word",
                "!",
                "?",
                "\u00a0",
                "\u202e",
                "שלום",
                "😀",
                ".",
            ]
        ),
        max_size=80,
    ).map("".join)
)
def test_offsets_cover_tricky_text(text: str) -> None:
    check_spans(text)
