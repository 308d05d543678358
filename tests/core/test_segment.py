"""Sentence segmentation: hard cases, and offset properties for any text."""

from __future__ import annotations

import gc
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.segment import _LAST_WORD, _last_word, split_sentences


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # initials, spaced and not
            "Об этом сообщил В. В. Путин на встрече в Кремле. Переговоры продолжатся.",
            ["Об этом сообщил В. В. Путин на встрече в Кремле.", "Переговоры продолжатся."],
        ),
        (
            "Брифинг провёл генерал-майор И.Е. Коновалов. Вопросов не было.",
            ["Брифинг провёл генерал-майор И.Е. Коновалов.", "Вопросов не было."],
        ),
        (  # "т.е." and "т.ч." inside a sentence
            "Потери, т.е. убитые и раненые, не раскрываются. В т.ч. среди гражданских.",
            ["Потери, т.е. убитые и раненые, не раскрываются.", "В т.ч. среди гражданских."],
        ),
        (  # "г." before a town's name joins; after a year it ends the sentence
            "Пожар случился в г. Белгороде в 2023 г. Пострадавших нет.",
            ["Пожар случился в г. Белгороде в 2023 г.", "Пострадавших нет."],
        ),
        (
            "В 1990-х гг. ситуация была иной. Сейчас всё изменилось.",
            ["В 1990-х гг. ситуация была иной.", "Сейчас всё изменилось."],
        ),
        (
            "Школа им. Пушкина закрыта. Занятия перенесли.",
            ["Школа им. Пушкина закрыта.", "Занятия перенесли."],
        ),
        (
            "Доклад подготовлен проф. Ивановым и акад. Петровым. Выводы спорны.",
            ["Доклад подготовлен проф. Ивановым и акад. Петровым.", "Выводы спорны."],
        ),
        (
            "Дело возбуждено по ч. 3 ст. 207.3 УК. Суд назначен на май.",
            ["Дело возбуждено по ч. 3 ст. 207.3 УК.", "Суд назначен на май."],
        ),
        (  # guillemets: a quoted statement of two sentences stays whole
            "Он сказал: «Всё под контролем. Паники нет». Затем ушёл.",
            ["Он сказал: «Всё под контролем. Паники нет».", "Затем ушёл."],
        ),
        (  # direct speech: the dash after a quote or an exclamation continues
            "«Мы не имеем к этому отношения!» — заявил Песков. Он добавил подробности.",
            ["«Мы не имеем к этому отношения!» — заявил Песков.", "Он добавил подробности."],
        ),
        (
            "Это ложь! — возмутился депутат. Зал замолчал.",
            ["Это ложь! — возмутился депутат.", "Зал замолчал."],
        ),
        (  # a talk-show transcript: each dash line is a turn
            "— Это провокация, — сказал ведущий.\n— Согласен, — ответил гость.",
            ["— Это провокация, — сказал ведущий.", "— Согласен, — ответил гость."],
        ),
        (  # "и т.д." before a capital ends the sentence
            "Закрыты школы, больницы и т.д. Власти обещают всё восстановить.",
            ["Закрыты школы, больницы и т.д.", "Власти обещают всё восстановить."],
        ),
        (  # a lone capital after a degree sign is a unit, not an initial
            "В Москве +5°С. Осадков не ожидается.",
            ["В Москве +5°С.", "Осадков не ожидается."],
        ),
        (
            "В Москве +5 С. Осадков не ожидается.",
            ["В Москве +5 С.", "Осадков не ожидается."],
        ),
        (  # one initial before a surname joins ...
            "Об этом сообщила М. Захарова. Позже МИД уточнил.",
            ["Об этом сообщила М. Захарова.", "Позже МИД уточнил."],
        ),
        (  # ... a lone capital before another word does not
            "У Кремля есть план Б. Он уже работает.",
            ["У Кремля есть план Б.", "Он уже работает."],
        ),
        (
            "Объект отнесли к категории Б. Пострадавших нет.",
            ["Объект отнесли к категории Б.", "Пострадавших нет."],
        ),
        (  # "и пр." ends the sentence although "пр." also abbreviates "проспект"
            "Купили хлеб, молоко и пр. Потом магазин закрыли.",
            ["Купили хлеб, молоко и пр.", "Потом магазин закрыли."],
        ),
        (  # с. (село) and д. (деревня) before a place's name
            "Вода прорвала дамбу у с. Луговое. Жителей д. Кривцы эвакуировали.",
            ["Вода прорвала дамбу у с. Луговое.", "Жителей д. Кривцы эвакуировали."],
        ),
        (  # a year phrase at the start of a sentence does not end it
            "В 2021 г. Росприроднадзор уже штрафовал завод. Штраф не оплачен.",
            ["В 2021 г. Росприроднадзор уже штрафовал завод.", "Штраф не оплачен."],
        ),
        (  # ... but "с." after a number is seconds
            "Он пробежал стометровку за 9,8 с. Это новый рекорд.",
            ["Он пробежал стометровку за 9,8 с.", "Это новый рекорд."],
        ),
        (  # "и пр." names a проспект before a street's name
            "Авария произошла у ул. Гагарина и пр. Ленина в центре города.",
            ["Авария произошла у ул. Гагарина и пр. Ленина в центре города."],
        ),
        (  # initials before surnames of any shape
            "Об этом заявил министр С. Шойгу. Позже о нём написал А. Навальный в блоге.",
            ["Об этом заявил министр С. Шойгу.", "Позже о нём написал А. Навальный в блоге."],
        ),
        (  # a quotation whose » touches its last word, followed by lower case
            "Министр назвал заявление «ложью. Полной ложью» и покинул зал.",
            ["Министр назвал заявление «ложью. Полной ложью» и покинул зал."],
        ),
        (  # "и т. д." inside a quotation does not end the sentence
            "Он сказал: «Купили молоко и т. д. Потом пошли домой», — и замолчал.",
            ["Он сказал: «Купили молоко и т. д. Потом пошли домой», — и замолчал."],
        ),
        (  # a stray « does not swallow the sentences after it
            "Компания «Ромашка. Вторая фраза. А тут » и конец.",
            ["Компания «Ромашка.", "Вторая фраза.", "А тут » и конец."],
        ),
    ],
)
def test_russian_cases(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


PATHOLOGICAL = {
    "repeated_town": "г. Курск ",
    "initials": "А. Иванов ",
    "street": "ул. Ленина ",
    "named_after": "им. Пушкина ",
    "village": "с. Луговое ",
    "titles": "Mr. Smith ",
    "open_quotes": "«Это. ",
    "dash_turns": "— Да.\n",
    "bullets": "- a\n",
    "no_spaces": "a",
    "dots": "a.",
    "one_char_per_line": "A\n",
    "one_lower_char_per_line": "a\n",
    "list_ends": "и т.д. Он ",
    "year_phrases": "В 2021 г. ",
}


@pytest.mark.parametrize("unit", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_segmentation_takes_linear_time(unit: str) -> None:
    """Eight times the text costs at most about eight times the time (quadratic is 64x).

    10k against 80k characters: linear work stays near 8x, so the bound of 20x leaves room
    for a busy machine, and quadratic work (64x) cannot pass. The two sizes are timed in
    turn, best of five each, with the garbage collector paused: a collection that a long
    test session's heap makes slow once landed in the large run only (CI, stop 20: 7x
    over two doublings on linear code).
    """
    texts = [(unit * (n // len(unit) + 1))[:n] for n in (10_000, 80_000)]
    best = [float("inf"), float("inf")]
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            for i, text in enumerate(texts):
                started = time.perf_counter()
                split_sentences(text)
                best[i] = min(best[i], time.perf_counter() - started)
    finally:
        gc.enable()
    small, large = best
    assert large <= 20 * small + 0.01, (small, large)


def test_initials_after_a_blank_line_stay_together() -> None:
    text = "Текст письма.\n\nВ. Г. Тимофеев, ветеран труда"
    assert sentences(text) == ["Текст письма.", "В. Г. Тимофеев, ветеран труда"]


_LAST_WORD_PARTS = ["a", "Я", "_", "7", "-", ".", " ", "\n", ",", "г", "Mr", "x" * 45]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_LAST_WORD_PARTS), max_size=40),
    st.sampled_from(["", ".", ". ", ".\n "]),
)
def test_last_word_is_the_regex_search(parts: list[str], end: str) -> None:
    """_last_word's shortcut finds what searching the whole text for _LAST_WORD finds,
    including words longer than its reach and hyphens before a word."""
    text = "".join(parts) + end
    expected = _LAST_WORD.search(text)
    found = _last_word(text)
    assert (found and (found.span(), found.group(1))) == (
        expected and (expected.span(), expected.group(1))
    )
