"""Concurrent questions at the running UI: every one answered, each with its own answer.

Spawns ``app.py`` on 127.0.0.1 with the default queue settings and fires 20 questions at
once through the HTTP API (benchmarks/bench_load.py is the 200-question measurement).
Nothing here is timed; the bound only stops a hung server from hanging CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench_load import fire, questions, start_server, stop
from qa.config import Settings


@pytest.mark.slow
def test_twenty_concurrent_questions_all_answered(seeds_settings: Settings) -> None:
    defaults = Settings()
    proc, base = start_server(
        Path(seeds_settings.index_dir), defaults.concurrency, defaults.queue_size
    )
    try:
        outcomes, _ = fire(base, questions(20), timeout=600)
    finally:
        stop(proc)
    errors = [f"{o.question!r}: {o.error}" for o in outcomes if o.error]
    assert errors == []
    assert len(outcomes) == 20
    assert all(o.seconds is not None and o.answer.get("question") == o.question for o in outcomes)
    assert len({o.question for o in outcomes}) == 20
