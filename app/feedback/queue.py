"""The uncertainty queue: which sentences an analyst should look at next.

A sentence's margin is how far its nearest score sits from that label's threshold (in
its language's model); the smaller, the less sure the model is. The queue takes the
sentences with the smallest margins, spread over sources and labels: sentences are put
in buckets by (source, nearest label), each bucket in order of margin, and the queue
takes the head of each bucket in turn (the buckets in order of their best margin), so
that one noisy source or one label cannot fill it. A sentence appears once (by its
normalised text), and sentences the annotator has corrected already can be left out.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from app.feedback.records import sentence_key


@dataclass(frozen=True)
class Candidate:
    text: str
    language: str
    scores: dict[str, float]
    labels: list[str]
    source: str | None = None
    document_id: str | None = None
    sentence_index: int | None = None
    model_version: str | None = None


@dataclass(frozen=True, order=True)
class QueueItem:
    margin: float
    nearest: str = field(compare=False)
    threshold: float = field(compare=False)
    key: str = field(compare=False)
    candidate: Candidate = field(compare=False)

    def as_json(self, rank: int) -> dict[str, Any]:
        return {
            "rank": rank,
            **asdict(self.candidate),
            "nearest": self.nearest,
            "threshold": self.threshold,
            "margin": round(self.margin, 4),
        }


def nearest(candidate: Candidate, thresholds: dict[str, float]) -> tuple[str, float, float]:
    """The label whose score is closest to its threshold: (label, margin, threshold)."""
    best = min(thresholds, key=lambda label: abs(candidate.scores[label] - thresholds[label]))
    return best, abs(candidate.scores[best] - thresholds[best]), thresholds[best]


class Picker:
    """Keeps, per (source, label) bucket, the `size` least certain sentences seen so far,
    so that an archive of any size is read in bounded memory."""

    def __init__(
        self,
        thresholds: dict[str, dict[str, float]],
        size: int,
        skip: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.thresholds = thresholds  # language -> label -> threshold
        self.size = size
        self.skip = skip
        self._buckets: dict[tuple[str, str], list[tuple[float, int, QueueItem]]] = {}
        self._best: dict[str, tuple[float, tuple[str, str]]] = {}  # key -> margin, bucket
        self._seen = 0

    def add(self, candidate: Candidate) -> None:
        thresholds = self.thresholds.get(candidate.language)
        if not thresholds or not candidate.text.strip():
            return
        key = sentence_key(candidate.text)
        if key in self.skip:
            return
        label, margin, threshold = nearest(candidate, thresholds)
        held = self._best.get(key)
        if held is not None and held[0] <= margin:
            return
        bucket = (candidate.source or "", label)
        heap = self._buckets.setdefault(bucket, [])
        self._seen += 1
        item = QueueItem(margin, label, threshold, key, candidate)
        entry = (-margin, -self._seen, item)  # a max-heap of margins: the worst on top
        if len(heap) < self.size:
            heapq.heappush(heap, entry)
        elif -heap[0][0] > margin:
            heapq.heapreplace(heap, entry)
        else:
            return
        self._best[key] = (margin, bucket)

    def add_all(self, candidates: Iterable[Candidate]) -> Picker:
        for candidate in candidates:
            self.add(candidate)
        return self

    def pick(self) -> list[QueueItem]:
        buckets = [
            sorted(
                (e[2] for e in heap if self._best.get(e[2].key, (None, None))[1] == name),
                key=lambda item: item.margin,
            )
            for name, heap in self._buckets.items()
        ]
        buckets = sorted((b for b in buckets if b), key=lambda b: b[0].margin)
        chosen: list[QueueItem] = []
        taken: set[str] = set()
        depth = 0
        while len(chosen) < self.size and any(depth < len(b) for b in buckets):
            for bucket in buckets:
                if depth < len(bucket) and bucket[depth].key not in taken:
                    chosen.append(bucket[depth])
                    taken.add(bucket[depth].key)
                    if len(chosen) == self.size:
                        break
            depth += 1
        return chosen
