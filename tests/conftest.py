"""Shared fixtures: the seeds index is built once per session (it loads the model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
SHARED_EVAL = Path(os.environ.get("QA_SHARED_EVAL", ROOT.parent / "shared" / "eval"))


def shared_file(name: str) -> Path:
    """A third-party file from ../shared/eval, or a skip saying where it was looked for."""
    path = SHARED_EVAL / name
    if not path.exists():
        pytest.skip(f"{name} not found in {SHARED_EVAL} (set QA_SHARED_EVAL to its folder)")
    return path


def run_qa(
    *args: str,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """The ``qa`` command in a fresh process, as a user runs it (``input`` on its standard
    input; output captured)."""
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )


def seeds_qa() -> list[dict[str, object]]:
    lines = (DATA / "seeds-qa.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def token_counter():  # type: ignore[no-untyped-def]
    from qa.config import DEFAULT_MODEL
    from qa.embedding import TokenCounter, resolve_model_dir

    return TokenCounter(resolve_model_dir(DEFAULT_MODEL))


@pytest.fixture(scope="session")
def seeds_settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Settings whose index_dir holds an index of seeds/, built once for the session."""
    from qa.config import Settings
    from qa.index import build
    from qa.retrieval import _embedder

    settings = Settings(index_dir=tmp_path_factory.mktemp("seeds-index"))
    build(SEEDS, settings, _embedder(settings), progress=False)
    return settings
