"""Start-up time of ``python app.py`` to the first HTTP 200, with an existing index.

Also reports the time until the first answer (the model loads in the background after the
server is up). Target: first HTTP 200 within 8 s on 2 cores.

    python benchmarks/bench_startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_200(url: str, proc: subprocess.Popen[bytes], limit: float = 300) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter()
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("no HTTP 200 in time")


def one_run(index_dir: Path) -> tuple[float, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--index-dir", str(index_dir)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    try:
        up = wait_200(url, proc) - started
        from gradio_client import Client

        client = Client(url, verbose=False)
        client.predict("Who was known as the Lion of Panjshir?", 5, api_name="/ask")
        first_answer = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return up, first_answer


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp, "index")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "qa.cli",
                "index",
                str(ROOT / "seeds"),
                "--index-dir",
                str(index_dir),
                "--quiet",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        runs = [one_run(index_dir) for _ in range(args.runs)]
    ups = [u for u, _ in runs]
    answers = [a for _, a in runs]
    result = {
        "runs": args.runs,
        "first_http_200_s": {"median": round(statistics.median(ups), 2), "max": round(max(ups), 2)},
        "first_answer_s": {"median": round(statistics.median(answers), 2)},
        "target_s": 8.0,
    }
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(
            f"python app.py -> first HTTP 200: median {result['first_http_200_s']['median']} s, "
            f"max {result['first_http_200_s']['max']} s over {args.runs} runs (target <= 8 s); "
            f"first answer through the API: median {result['first_answer_s']['median']} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
