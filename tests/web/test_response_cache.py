"""The API's response cache on its own: one computation per key however many ask at once, bounded size."""

from __future__ import annotations

import threading

import pytest

from chiso.web.api.cache import ResponseCache, entry_of


def test_clients_asking_at_once_share_one_computation():
    cache = ResponseCache()
    calls = []
    started = threading.Event()
    release = threading.Event()

    def compute():
        calls.append(1)
        started.set()
        release.wait(10)
        return entry_of(b'{"items": []}', "application/json")

    answers = []
    threads = [threading.Thread(target=lambda: answers.append(cache.get_or_compute(("k",), compute))) for _ in range(8)]
    threads[0].start()
    started.wait(10)
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and len(answers) == 8 and len({a.etag for a in answers}) == 1


def test_a_failed_computation_is_not_kept_and_the_oldest_answers_go_first():
    cache = ResponseCache(max_bytes=40_000)

    def fail():
        raise LookupError("no such period")

    with pytest.raises(LookupError):
        cache.get_or_compute(("bad",), fail)
    assert cache.get(("bad",)) is None
    for n in range(5):
        cache.put((n,), entry_of(bytes([65 + n]) * 9_000, "text/csv"))  # gzip copies are small
    assert cache.get((0,)) is None and cache.get((4,)) is not None and len(cache) < 5
    big = entry_of(bytes(range(256)) * 100, "application/octet-stream")  # more than a quarter: not kept
    cache.put(("big",), big)
    assert cache.get(("big",)) is None
