"""Which language a document is in, and which served model each of its sentences goes to.

A document's language comes from py3langid (a maintained fork of langid.py that ships its
own model, so nothing is downloaded) on the first characters of the text. When it names
a language no model serves, with high confidence, on enough letters, the document is
refused rather than guessed at. When it is unsure (short text, names, numbers) the
writing system decides: Cyrillic letters go to the Russian model, Latin ones to English.

Inside a document, a sentence written mostly in the other served script (a Russian quote
in an English article) goes to that script's model: telling Cyrillic from Latin is
certain, where telling languages apart on one short sentence is not.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import lzma
import os
import re
import shutil
import tempfile
import zipfile
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

log = logging.getLogger(__name__)

# How much of a document language identification reads: the first FIRST_SAMPLE_CHARS,
# and up to SAMPLE_CHARS only when that is not enough to be sure (the identifier's cost
# grows with the text: about 0.1 ms for 400 characters, 0.3 ms for 1,000).
FIRST_SAMPLE_CHARS = 400
SAMPLE_CHARS = 1_000
# The identifier is trusted when it is this sure: a document in a served language is read
# in it, and one in another language is refused (given enough letters) ...
CONFIDENT = 0.9
# ... and has this many letters to go on: "OK" or "NATO" is no evidence of anything.
MIN_LETTERS = 20
# A sentence leaves its document's model when this share of its letters (and at least
# MIN_SENTENCE_LETTERS of them) are in another served language's script.
SCRIPT_SHARE = 0.8
MIN_SENTENCE_LETTERS = 8

_LETTER = re.compile(r"[^\W\d_]")
# The letters script_masks marks, as character classes: whether a document holds any
# letter of another script is one regex scan, not a dozen NumPy calls on its code points.
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
_CYRILLIC_LETTER = re.compile("[\u0400-\u04ff]")
SCRIPT_OF_LANGUAGE = {"en": "latin", "ru": "cyrillic"}

Source = Literal["request", "detected", "script", "default"]


@dataclass(frozen=True)
class Detection:
    """The language a document is read as, and how that was decided."""

    language: str
    source: Source
    confidence: float | None = None


class UnsupportedLanguage(ValueError):
    """The text is in a language no served model reads."""

    def __init__(
        self,
        language: str,
        served: Sequence[str],
        confidence: float | None = None,
        requested: bool = False,
    ) -> None:
        self.language = language
        self.served = list(served)
        self.confidence = confidence
        self.requested = requested  # asked for in the request, rather than detected
        self.index: int | None = None  # the document's position in a batch, when known
        ours = ", ".join(language_name(code) for code in self.served)
        if requested:
            message = f"no model reads {language_name(language)}; the languages served are {ours}."
        else:
            sure = f" (confidence {confidence:.2f})" if confidence is not None else ""
            message = (
                f"the text looks like {language_name(language)}{sure}, and this service reads only "
                f"{ours}. If you know the text is in one of those, give its language."
            )
        super().__init__(message)


_NAMES = {
    "en": "English",
    "ru": "Russian",
    "uk": "Ukrainian",
    "be": "Belarusian",
    "bg": "Bulgarian",
    "sr": "Serbian",
    "mk": "Macedonian",
    "kk": "Kazakh",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pl": "Polish",
    "pt": "Portuguese",
    "nl": "Dutch",
    "tr": "Turkish",
    "el": "Greek",
    "ar": "Arabic",
    "he": "Hebrew",
    "fa": "Persian",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "hi": "Hindi",
    "ka": "Georgian",
    "hy": "Armenian",
    "az": "Azerbaijani",
    "ro": "Romanian",
    "cs": "Czech",
    "sk": "Slovak",
    "hu": "Hungarian",
    "fi": "Finnish",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "et": "Estonian",
    "lv": "Latvian",
    "lt": "Lithuanian",
    "hr": "Croatian",
    "sl": "Slovenian",
}


def language_name(code: str) -> str:
    name = _NAMES.get(code)
    return f"{name} ({code})" if name else repr(code)


def script_masks(text: str) -> tuple[np.ndarray, np.ndarray]:
    """For each code point of `text`: is it a Latin letter, is it a Cyrillic one."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    folded = cp | 0x20
    latin = ((folded >= 0x61) & (folded <= 0x7A)) | (
        (cp >= 0xC0) & (cp <= 0x24F) & (cp != 0xD7) & (cp != 0xF7)
    )
    cyrillic = (cp >= 0x400) & (cp <= 0x4FF)
    return latin, cyrillic


def script_counts(text: str) -> tuple[int, int]:
    """Latin letters and Cyrillic letters in `text`."""
    latin, cyrillic = script_masks(text)
    return int(latin.sum()), int(cyrillic.sum())


def _flatten_tables(identifier: object) -> None:
    """Hold py3langid's automaton in flat arrays: the same numbers, read faster.

    Identification walks an automaton over the sample's bytes, reading per byte a 39 MB
    array.array of transitions and two lists of ints (row offsets, outputs) whose ints
    are objects scattered over the heap. After the rest of a request has run, each read
    is a cache miss: the walk took 0.27-0.34 ms of an article's classification, against
    0.05 ms when warm. In NumPy arrays read through memoryviews (indexing gives the same
    Python ints, so py3langid's own walk computes the same counts) it took 0.20 ms, and
    the worker holds 3.5 MB less. Left as they are if py3langid changes its tables.
    """
    kinds = {"tk_nextmove": np.uint32, "_rowbase": np.int64, "tk_output": np.int64}
    try:
        tables = {
            name: np.array(getattr(identifier, name), dtype=kind) for name, kind in kinds.items()
        }
        for name, table in tables.items():
            setattr(identifier, name, table.data)  # a memoryview
    except (AttributeError, TypeError, ValueError, OverflowError):
        pass


def _stdlib_array(values: np.ndarray) -> array[int]:
    """An unsigned array as py3langid's loader gives it: a stdlib array of the same width."""
    out: array[int] = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


def _unpacked_identifier(cache_dir: Path) -> object | None:
    """py3langid's identifier, read from an unpacked copy of its model in `cache_dir`.

    The package ships its model LZMA-packed: unpacking takes 0.4 s of every worker's
    start. The copy (68 MB, an .npz) is made once, named by the packed file's SHA-256 so
    that another py3langid gets a copy of its own, and read in 0.06 s. None, and the
    caller unpacks as before, when the copy cannot be made or read.
    """
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    packed = Path(MODEL_DIR) / MODEL_FILE
    copy: Path | None = None
    try:
        with packed.open("rb") as f:
            copy = cache_dir / f"py3langid-{hashlib.file_digest(f, 'sha256').hexdigest()[:16]}.npz"
        if not copy.is_file():
            cache_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=cache_dir, suffix=".part", delete=False) as out:
                try:
                    with lzma.open(packed) as source:
                        shutil.copyfileobj(source, out, 1 << 20)
                except BaseException:
                    os.unlink(out.name)
                    raise
            os.replace(out.name, copy)  # whole or not at all, with several workers at once
            for stale in cache_dir.glob("py3langid-*.npz"):
                if stale != copy:
                    stale.unlink(missing_ok=True)
        with np.load(copy, allow_pickle=False) as data:
            return LanguageIdentifier(
                data["ptc"],
                data["pc"],
                data["classes"].tolist(),
                _stdlib_array(data["nextmove"]),
                data["out_feat"].tolist(),
                norm_probs=True,
                tk_row=_stdlib_array(data["nextmove_row"]),
            )
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        read_only = isinstance(exc, PermissionError) or getattr(exc, "errno", None) == errno.EROFS
        log.log(
            logging.INFO if read_only else logging.WARNING,
            "cannot use the unpacked language identifier in %s (%s): unpacking it instead, "
            "0.4 s more at each start. Set FRAMING_CACHE_DIR to a writable folder.",
            cache_dir,
            exc,
        )
        if copy is not None and copy.is_file() and not read_only:
            copy.unlink(missing_ok=True)  # unreadable: made again at the next start
        return None


class LanguageDetector:
    """Decides the language of documents and sentences among the `served` ones."""

    def __init__(self, served: Sequence[str], cache_dir: Path | None = None) -> None:
        if not served:
            raise ValueError("a detector needs at least one served language")
        self.served = list(served)
        self.cache_dir = cache_dir  # for an unpacked copy of py3langid's model
        self._identifier: object | None = None

    @property
    def identifier(self) -> object:
        """py3langid's identifier, loaded on first use (0.5 s, or 0.15 s from the unpacked
        copy in `cache_dir`; about 70 MB)."""
        if self._identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = None
            if self.cache_dir is not None:
                identifier = _unpacked_identifier(self.cache_dir)
            if identifier is None:
                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            _flatten_tables(identifier)
            self._identifier = identifier
        return self._identifier

    def load(self) -> LanguageDetector:
        """Load the identifier now (at start-up) rather than on the first request."""
        _ = self.identifier
        return self

    def identify(self, text: str) -> tuple[str, float]:
        """py3langid's best language and its probability."""
        language, confidence = self.identifier.classify(text)  # type: ignore[attr-defined]
        return str(language), float(confidence)

    def _served_in(self, script: str) -> str | None:
        return next((c for c in self.served if SCRIPT_OF_LANGUAGE.get(c) == script), None)

    def by_script(self, latin: int, cyrillic: int) -> str | None:
        """The served language whose script holds most of these letters (none on a tie)."""
        if latin == cyrillic:
            return None
        return self._served_in("cyrillic" if cyrillic > latin else "latin")

    def detect(self, text: str, requested: str | None = None) -> Detection:
        """The language to read `text` in; UnsupportedLanguage when none of ours fits."""
        if requested is not None:
            if requested not in self.served:
                raise UnsupportedLanguage(requested, self.served, requested=True)
            return Detection(requested, "request")
        sample = text[:FIRST_SAMPLE_CHARS]
        language, confidence = self.identify(sample)
        if confidence < CONFIDENT and len(text) > FIRST_SAMPLE_CHARS:
            sample = text[:SAMPLE_CHARS]
            language, confidence = self.identify(sample)
        latin, cyrillic = script_counts(sample)
        if language not in self.served:
            letters = len(_LETTER.findall(sample))
            other_script = letters >= MIN_LETTERS and latin + cyrillic < letters / 2
            sure = confidence >= CONFIDENT and letters >= MIN_LETTERS
            if other_script or sure:
                raise UnsupportedLanguage(language, self.served, confidence)
        if language in self.served and confidence >= CONFIDENT:
            return Detection(language, "detected", round(confidence, 4))
        # Unsure: the writing system most letters are in decides, then the identifier.
        by_script = self.by_script(latin, cyrillic)
        if by_script is not None:
            return Detection(by_script, "script")
        if language in self.served:
            return Detection(language, "detected", round(confidence, 4))
        return Detection(self.served[0], "default")

    def sentence_languages(
        self, text: str, spans: Sequence[tuple[int, int]], document_language: str
    ) -> list[str]:
        """For each sentence span of `text`, the language whose model reads it.

        The document's language, unless the sentence is clearly in another served
        language's script: at least SCRIPT_SHARE of its letters and MIN_SENTENCE_LETTERS.
        """
        if len(self.served) == 1 or not spans:
            return [document_language] * len(spans)
        own = SCRIPT_OF_LANGUAGE.get(document_language)
        other = {"latin": _CYRILLIC_LETTER, "cyrillic": _LATIN_LETTER}.get(own or "")
        if other is not None and other.search(text) is None:  # no letter of another script
            return [document_language] * len(spans)
        latin, cyrillic = script_masks(text)
        starts = np.fromiter((a for a, _ in spans), dtype=np.int64, count=len(spans))
        ends = np.fromiter((b for _, b in spans), dtype=np.int64, count=len(spans))
        cum_latin = np.concatenate(([0], np.cumsum(latin)))
        cum_cyrillic = np.concatenate(([0], np.cumsum(cyrillic)))
        n_latin = (cum_latin[ends] - cum_latin[starts]).tolist()
        n_cyrillic = (cum_cyrillic[ends] - cum_cyrillic[starts]).tolist()
        out: list[str] = []
        for lat, cyr in zip(n_latin, n_cyrillic, strict=True):
            language = document_language
            for count, script in ((lat, "latin"), (cyr, "cyrillic")):
                if (
                    script != own
                    and count >= MIN_SENTENCE_LETTERS
                    and count >= SCRIPT_SHARE * (lat + cyr)
                ):
                    language = self._served_in(script) or document_language
            out.append(language)
        return out

    def sentence_language(self, sentence: str, document_language: str) -> str:
        """The language whose model reads this one sentence of a document."""
        return self.sentence_languages(sentence, [(0, len(sentence))], document_language)[0]
