"""Sentence segmentation with character offsets.

Offsets count Unicode code points, so `text[start:end]` is the sentence in Python and in
any language that indexes strings by code point. Blingfire finds the sentence ends inside
each block of text; the rules here add what it misses: a blank line always ends a
sentence, a bullet or a headline line stands alone, and a break after a title such as
"Mr." or "Gov." is undone. For Russian the same holds for "г." before a town's name,
"им.", "проф.", initials ("В. Путин"), and sentences quoted inside «...»; "и т.д." before
a capital letter ends a sentence, which blingfire misses.
"""

from __future__ import annotations

import bisect
import re
from ctypes import byref, c_char_p, c_int, c_int32, create_string_buffer
from typing import NamedTuple

import blingfire
import numpy as np

# Titles that precede a name, and abbreviations that precede a number: a full stop
# after them does not end a sentence.
_TITLES = frozenset(
    """mr mrs ms messrs dr prof gov rep sen gen lt col maj capt cmdr adm sgt cpl pvt
    rev hon pres supt insp det fr st mt""".split()
)
_BEFORE_NUMBER = frozenset(
    "no nos vol art sec approx jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# Russian: before a name (им. Пушкина, проф. Иванов, ул. Ленина, г. Курск) ...
_RU_TITLES = frozenset(
    "им проф акад доц ген св ул пр просп пер пл наб пос обл р-н тов гр г-н г-жа".split()
)
# ... and before a number (ст. 207, д. 5, ч. 2, п. 3, т. 2, рис. 1, с. 14, №).
_RU_BEFORE_NUMBER = frozenset("ст д ч п т рис табл с стр кв корп гл разд".split())
# ... and before a place's name as well: с. (село), д. (деревня), п. (посёлок), х. (хутор),
# ст. (станица): "у с. Луговое".
_RU_BEFORE_PLACE = frozenset("с д п х ст".split())
_RU_YEAR = frozenset(("г", "гг"))  # "в 2023 г." ends a sentence; "в г. Курске" does not
# Every word a full stop after which _break_is_false may undo (besides initials).
_ABBREVIATIONS = (
    _TITLES | _BEFORE_NUMBER | _RU_TITLES | _RU_BEFORE_NUMBER | _RU_BEFORE_PLACE | _RU_YEAR
)
# A "sentence" that is only a year phrase ("В 2021 г.") is the start of the next one.
_YEAR_PHRASE = re.compile(
    r"^\s*(?:[А-ЯЁ][а-яё]{0,5}\s+)?\d{4}(?:[-–]\d{2,4})?(?:-[а-я]{1,3})?\s*гг?\.\s*$"
)
_CYRILLIC_INITIAL = re.compile(r"^[А-ЯЁ]$")
# After a lone capital and a full stop, a capitalised word is taken for a surname ("С.
# Шойгу", "М. Захаровой") unless it is a common way to open a sentence ("план Б. Он ...").
# Splitting a name costs more than joining two sentences, so the list errs short.
_SENTENCE_OPENERS = frozenset(
    """он она оно они я мы вы ты это эти этот эта эту там тут так такой такие но а и
    однако поэтому также кроме при после до во в на по с со к ко из за для уже еще ещё
    все всё его её их как когда где что кто почему зачем сейчас теперь затем потом
    далее сегодня вчера завтра не нет да ни лишь только даже между причём впрочем итак
    напомним ранее позже сам сама сами об о от у через под над перед без пострадавших
    погибших жертв""".split()
)
_NEXT_WORD = re.compile(r"\s*[«\"]?([А-ЯЁ][а-яё]+)")
_ENDS_WITH_YEAR = re.compile(r"\d(?:-[а-я]{1,3})?\s*$")
# "и т.д.", "и т.п.", "и др." before a capital end a sentence; "и пр." only before a word
# that opens sentences, since "ул. Гагарина и пр. Ленина" names a проспект.
_RU_LIST_END = re.compile(r"\bи\s(т\.\s?[дп]|др|пр)\.(?=\s+[«\"]?([А-ЯЁA-Z][а-яёa-z]*))")
_QUOTE_REACH = 600  # how far a closing » is looked for
_QUOTE_CLOSERS = frozenset(".,;:!?…—–-)»")
_LAST_WORD = re.compile(r"(?<![\w.])([\w-]+)\.\s*$")
_LAST_WORD_REACH = 40  # how far back _last_word looks first
_WORD_RUN = re.compile(r"[\w-]*")  # what _LAST_WORD's word is made of
_LIST_NUMBER = re.compile(r"^\s*\d{1,3}\.\s*$")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v\u00a0\u2000-\u200a\u3000]*\n")
_BULLET = re.compile(r"[ \t\u00a0]*(?:[-*•·‣▪◦–—]|\d{1,3}[.)])\s")
_SENTENCE_END = frozenset(".!?…\"'”’»)")
_MAX_SENTENCE_CHARS = 5_000
_TAIL_CHARS = 200  # how much of a pending sentence an abbreviation rule looks at
_NON_SPACE = re.compile(r"\S")
_NEXT_INITIAL = re.compile(r"\s*[А-ЯЁ]\.\s*[А-ЯЁ]")
_WRAPPED_LINE_CHARS = 60


class Span(NamedTuple):
    start: int
    end: int


def _sentence_ends(chunk: str) -> list[int]:
    """Code-point offsets just past each sentence blingfire finds in `chunk`.

    Calls blingfire's C function directly: its Python wrapper maps byte offsets to
    code points one byte at a time, which took a third of a request's time.
    """
    data = chunk.encode("utf-8")
    size = len(data) * 2 + 16
    out = create_string_buffer(size)
    starts = (c_int32 * size)()
    ends = (c_int32 * size)()
    n_bytes = blingfire.blingfire.TextToSentencesWithOffsets(
        c_char_p(data), c_int(len(data)), byref(out), byref(starts), byref(ends), c_int(size)
    )
    if n_bytes <= 0 or n_bytes > size:
        return [len(chunk)]
    count = out.value.count(b"\n") + 1
    byte_ends = np.frombuffer(memoryview(ends), dtype=np.int32, count=count).astype(np.int64) + 1
    byte_ends = np.clip(byte_ends, 1, len(data))
    if len(data) == len(chunk):  # ASCII: bytes are code points
        return byte_ends.tolist()
    raw = np.frombuffer(data, dtype=np.uint8)
    code_points_before = np.cumsum((raw & 0xC0) != 0x80)  # code points in data[: i + 1]
    return code_points_before[byte_ends - 1].tolist()


def _blocks(text: str) -> list[Span]:
    """Split on blank lines, then on line breaks that start a bullet or follow a headline."""
    spans: list[Span] = []
    start = 0
    for m in _BLANK_LINE.finditer(text):
        spans.extend(_lines(text, start, m.start()))
        start = m.end()
    spans.extend(_lines(text, start, len(text)))
    return spans


def _lines(text: str, start: int, end: int) -> list[Span]:
    spans: list[Span] = []
    block_start = start
    pos = text.find("\n", start, end)
    while pos != -1:
        line_start = text.rfind("\n", block_start, pos) + 1 or block_start
        last_line = text[max(line_start, block_start) : pos].strip()
        has_text = bool(last_line) or _NON_SPACE.search(text, block_start, pos) is not None
        if has_text and (
            _BULLET.match(text, pos + 1, end) or _is_headline_break(last_line, text, pos + 1, end)
        ):
            spans.append(Span(block_start, pos))
            block_start = pos + 1
        pos = text.find("\n", pos + 1, end)
    spans.append(Span(block_start, end))
    return spans


def _is_headline_break(last_line: str, text: str, after: int, end: int) -> bool:
    """A line break between a headline-like line and one that starts like a sentence.

    A line ending in a comma, colon or dash continues; so does a long line ending in a
    word, which is taken as hard-wrapped prose.
    """
    if not last_line or last_line[-1] in ",;:-–—([":
        return False
    if last_line[-1] not in _SENTENCE_END and len(last_line) >= _WRAPPED_LINE_CHARS:
        return False
    found = _NON_SPACE.search(text, after, end)
    first = found.group() if found else ""
    return bool(first) and (first.isupper() or first.isdigit() or first in "\"“‘'«")


def _break_is_false(before: str, after: str, whole: bool = True) -> bool:
    """Whether a sentence end found after `before` is only an abbreviation's full stop.

    `before` is the end of the pending sentence (`whole` when it is all of it): the
    decision only ever looks at its last words, so long sentences cost no more.
    """
    if whole and _LIST_NUMBER.match(before):
        return True
    m = _last_word(before)
    if not m:
        return False
    word = m.group(1)
    lower = word.lower()
    if len(word) > 1 and lower not in _ABBREVIATIONS:  # the usual case: a plain word
        return False
    nxt = after.lstrip()[:1]
    if lower in _RU_BEFORE_PLACE and word == lower and nxt.isupper():
        return not _ENDS_WITH_YEAR.search(before[: m.start()])  # "за 9,8 с." is seconds
    if lower in _BEFORE_NUMBER or (lower in _RU_BEFORE_NUMBER and word == lower):
        return nxt.isdigit() or (nxt == "№")
    if lower in _RU_YEAR and word == lower:
        year_phrase = whole and bool(_YEAR_PHRASE.match(before))
        return not _ENDS_WITH_YEAR.search(before[: m.start()]) or year_phrase
    if _CYRILLIC_INITIAL.match(word) and _is_initial(before, m.start()):
        if _NEXT_INITIAL.match(after):  # "В. Г. Тимофеев": initials run on
            return True
        name = _NEXT_WORD.match(after)
        return name is not None and name.group(1).lower() not in _SENTENCE_OPENERS
    return lower in _TITLES or (lower in _RU_TITLES and word == lower)


def _last_word(before: str) -> re.Match[str] | None:
    """_LAST_WORD.search(before), the same match, without trying every position of a
    long `before`.

    A match is a run of word characters and hyphens ending at the last full stop (only
    white space after it), so it starts no earlier than the longest such run ending
    there. That run is measured backwards over the last _LAST_WORD_REACH characters,
    and searching from its start finds the same match (its look-behind sees the real
    text); a run that fills the reach may go on, and the whole of `before` is searched.
    """
    dot = len(before.rstrip()) - 1
    if dot < 0 or before[dot] != ".":
        return None
    reach = max(dot - _LAST_WORD_REACH, 0)
    backwards = before[reach:dot][::-1]
    run = _WORD_RUN.match(backwards).end()  # type: ignore[union-attr]
    if run == len(backwards) and reach > 0:
        return _LAST_WORD.search(before)
    return _LAST_WORD.search(before, dot - run)


def _is_initial(before: str, at: int) -> bool:
    """Whether the capital letter at `at` stands as an initial, not a unit ("+5 С.")."""
    if at == 0:
        return True
    if before[at - 1] not in " \t\n(«":
        return False
    word_before = before[:at].rstrip()
    return not word_before or not word_before[-1].isdigit()


def _inside_quote(text: str, opened: int, cut: int, end: int) -> bool:
    """Whether `cut` falls inside «...» opened in this sentence (`opened` « not yet
    closed before it) and closed soon after.

    The closing » must end a quotation: touching the word before it, or followed by
    punctuation, a dash or the end of the block, so a stray « does not swallow the
    sentences after it.
    """
    if opened <= 0:
        return False
    close = text.find("»", cut, min(end, cut + _QUOTE_REACH))
    if close == -1 or "«" in text[cut:close]:
        return False
    if not text[close - 1].isspace():
        return True
    found = _NON_SPACE.search(text, close + 1, end)
    return found is None or found.group() in _QUOTE_CLOSERS


def _split_long(text: str, span: Span) -> list[Span]:
    """Cut a run-on stretch with no sentence end at whitespace, so no sentence is huge."""
    out: list[Span] = []
    start = span.start
    while span.end - start > _MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + 1, start + _MAX_SENTENCE_CHARS)
        if cut <= start:
            cut = start + _MAX_SENTENCE_CHARS
        out.append(Span(start, cut))
        start = cut
    out.append(Span(start, span.end))
    return out


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of `text`, in order, without overlap, trimmed of surrounding space.

    Every character that is not white space lies inside exactly one span.
    """
    out: list[Span] = []
    if not text.strip():
        return out
    # Blingfire finds the ends, once for the whole text; the text between consecutive
    # ends is a sentence, so nothing it might skip or normalise is ever lost.
    ends = _sentence_ends(text)
    list_ends: set[int] = set()  # ends after "и т.д." and the like: never undone
    if "т." in text or "др." in text or "пр." in text:
        list_ends = {
            m.end()
            for m in _RU_LIST_END.finditer(text)
            if m.group(1) != "пр" or m.group(2).lower() in _SENTENCE_OPENERS
        }
        if list_ends:
            ends = sorted(set(ends).union(list_ends))
    quotes = "«" in text  # without one, no break can fall inside a quotation
    for block in _blocks(text):
        if not text[block.start : block.end].strip():
            continue
        first = bisect.bisect_right(ends, block.start)
        last = bisect.bisect_left(ends, block.end)
        cuts = ends[first:last]
        start = block.start
        pending: int | None = None  # where the sentence a false break held back starts
        opened = 0  # « minus » in the pending sentence so far
        for cut in [*cuts, block.end]:
            if pending is None:
                piece_start = start
                opened = 0
            else:
                piece_start, pending = pending, None
            if quotes:
                opened += text.count("«", start, cut) - text.count("»", start, cut)
            start = cut
            if cut != block.end:
                tail = max(piece_start, cut - _TAIL_CHARS)
                false_break = cut not in list_ends and _break_is_false(
                    text[tail:cut], text[cut : cut + 30], whole=tail == piece_start
                )
                if false_break or _inside_quote(text, opened, cut, block.end):
                    pending = piece_start
                    continue
            if cut - piece_start > _MAX_SENTENCE_CHARS:
                parts = _split_long(text, Span(piece_start, cut))
            else:
                parts = [Span(piece_start, cut)]
            for a, b in parts:  # trimmed of white space; nothing left, no sentence
                segment = text[a:b]
                rest = segment.lstrip()
                if rest:
                    a += len(segment) - len(rest)
                    out.append(Span(a, a + len(rest.rstrip())))
    return out
