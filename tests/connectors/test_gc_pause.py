"""The garbage-collector pause used while catalogs are built: always undone, never nested wrong."""

from __future__ import annotations

import gc
import threading

import pytest

from connectors.gc_pause import gc_paused


@pytest.fixture(autouse=True)
def _collector_enabled() -> None:
    gc.enable()


def test_pause_disables_collector_and_resumes_it() -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_pause_resumes_collector_after_an_error() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("reflection failed")
    assert gc.isenabled()


def test_nested_pause_resumes_only_when_outermost_ends() -> None:
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_pause_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_in_threads_resume_when_the_last_ends() -> None:
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def long_build() -> None:
        with gc_paused():
            first_in.set()
            second_done.wait(5)
            seen.append(gc.isenabled())  # the other thread's pause ended meanwhile

    worker = threading.Thread(target=long_build)
    worker.start()
    first_in.wait(5)
    with gc_paused():
        pass
    second_done.set()
    worker.join(5)
    assert seen == [False]
    assert gc.isenabled()
