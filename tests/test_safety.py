"""Safe defaults, tried against a real server: loopback only unless told, uploads stay in the
corpus folder and under the size limit, and no route serves a file from anywhere else."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import Settings
from qa.ui import App
from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow  # a real server and the embedding model

SECRET = "qa-test-secret: this file is outside the corpus"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> set[str]:
    """Addresses with a socket listening on ``port``, read from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                raw = bytes.fromhex(address)
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
                found.add(socket.inet_ntop(family, words))
    return found


def start(
    tmp: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], Path]:
    """``python app.py ARGS``, its output in a log file; returns once it accepts HTTP."""
    log = tmp / f"server-{uuid.uuid4().hex[:6]}.log"
    proc = subprocess.Popen(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
    )
    deadline = time.time() + 300
    while "Running on local URL" not in log.read_text():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError("the UI did not start: " + log.read_text())
        time.sleep(0.5)
    return proc, log


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, seeds_settings: Settings
) -> Iterator[tuple[int, Path, Path]]:
    """The UI on a copy of the seeds and their index, uploads limited to 1 MB; yields
    (port, the temporary folder, the server log)."""
    tmp = tmp_path_factory.mktemp("safety")
    shutil.copytree(SEEDS, tmp / "corpus")
    shutil.copytree(seeds_settings.index_dir, tmp / "index")
    (tmp / "secret.txt").write_text(SECRET)
    port = free_port()
    proc, log = start(
        tmp,
        "--port",
        str(port),
        "--index-dir",
        str(tmp / "index"),
        "--corpus",
        str(tmp / "corpus"),
        env={"GRADIO_TEMP_DIR": str(tmp / "gradio"), "QA_MAX_FILE_MB": "1"},
    )
    yield port, tmp, log
    stop(proc)


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One raw HTTP request: the path is sent exactly as given (no client-side clean-up)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def test_binds_loopback_only_by_default(server: tuple[int, Path, Path]) -> None:
    port, _, log = server
    assert listening(port) == {"127.0.0.1"}
    assert "listening on" not in log.read_text()  # no warning when nothing is exposed
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            outward = probe.getsockname()[0]
        except OSError:
            outward = "127.0.0.1"
    if outward != "127.0.0.1":  # the machine has another address: the server is not on it
        with pytest.raises(OSError):
            socket.create_connection((outward, port), timeout=5).close()


def test_binding_elsewhere_says_so(tmp_path: Path, server: tuple[int, Path, Path]) -> None:
    _, shared, _ = server
    port = free_port()
    host = "127.0.0.2"  # "elsewhere", yet still unreachable from outside this machine
    proc, log = start(
        tmp_path, "--host", host, "--port", str(port), "--index-dir", str(shared / "index")
    )
    try:
        assert listening(port) == {host}
        warning = (
            f"qa: listening on {host}:{port}: anyone who can reach this address "
            "can read your documents"
        )
        assert warning in log.read_text().splitlines()
    finally:
        stop(proc)


def test_no_route_serves_files_outside_the_corpus(server: tuple[int, Path, Path]) -> None:
    port, tmp, _ = server
    secret = tmp / "secret.txt"
    tries = [
        "/gradio_api/file=/etc/passwd",
        "/file=/etc/passwd",
        "/gradio_api/file=%2Fetc%2Fpasswd",
        "/gradio_api/file=../../../../../../etc/passwd",
        "/gradio_api/file=%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/gradio_api/file=file:///etc/passwd",
        "/gradio_api/file=/proc/self/environ",
        f"/gradio_api/file={secret}",
        f"/file={secret}",
        f"/gradio_api/file={tmp}/gradio/../secret.txt",  # through the upload folder
        f"/gradio_api/file={tmp}/corpus/../secret.txt",
        "/gradio_api/file=app.py",  # relative to the server's working folder
        f"/gradio_api/file={ROOT}/pyproject.toml",
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/assets/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "//etc/passwd",
        "/gradio_api/proxy=/etc/passwd",
    ]
    for path in tries:
        status, body = request(port, "GET", path)
        assert status in {400, 403, 404}, (path, status, body[:200])
        assert b"root:" not in body and SECRET.encode() not in body, path


def _upload(port: int, name: str, data: bytes) -> tuple[int, bytes]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: text/plain\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return request(port, "POST", "/gradio_api/upload", body, headers)


def _call_add(port: int, paths: list[str]) -> str:
    """The "Add to the index" button's API: the event's final message line."""
    files = [{"path": p, "meta": {"_type": "gradio.FileData"}} for p in paths]
    status, body = request(
        port,
        "POST",
        "/gradio_api/call/add",
        json.dumps({"data": [files]}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 200, body
    event = json.loads(body)["event_id"]
    return request(port, "GET", f"/gradio_api/call/add/{event}")[1].decode()


def _tree(root: Path, skip: set[str]) -> set[Path]:
    return {p for p in root.rglob("*") if not skip & set(p.relative_to(root).parts)}


def test_uploads_over_http_stay_in_the_corpus(server: tuple[int, Path, Path]) -> None:
    port, tmp, _ = server
    before = _tree(tmp, {"gradio", "index"})
    names = {  # as the browser sends it -> where it must land
        "../../evil.txt": "evil.txt",
        "/etc/qa-evil-abs.txt": "qa-evil-abs.txt",
        "..\\..\\evil-win.txt": "evil-win.txt",
        "．．／．．／evil-wide.txt": "evil-wide.txt",
        "rtl\u202etxt.md": "rtl_txt.md",
    }
    stored = []
    for given in names:
        status, body = _upload(port, given, f"Upload named {given!r}.\n".encode())
        assert status == 200, body
        [path] = json.loads(body)
        assert Path(path).resolve().is_relative_to((tmp / "gradio").resolve()), path
        stored.append(path)
    result = _call_add(port, stored)
    assert "event: complete" in result and "The next question can use it" in result, result
    assert _tree(tmp, {"gradio", "index"}) - before == {tmp / "corpus" / n for n in names.values()}
    assert not Path("/etc/qa-evil-abs.txt").exists()

    status, body = _upload(port, "big.txt", b"x" * (2 * 2**20))  # over QA_MAX_FILE_MB=1
    assert status == 413 and b"maximum allowed size of 1048576 bytes" in body

    corpus = set((tmp / "corpus").iterdir())
    result = _call_add(port, [str(tmp / "secret.txt")])  # a server path, never uploaded
    assert "event: error" in result and SECRET not in result
    assert set((tmp / "corpus").iterdir()) == corpus


def test_app_add_keeps_odd_names_inside_and_refuses_big_files(
    tmp_path: Path, seeds_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload handler itself, on names a Linux file can really have."""
    corpus, uploads = tmp_path / "corpus", tmp_path / "uploads"
    shutil.copytree(SEEDS, corpus)
    uploads.mkdir()
    names = {
        "..\\..\\outside.txt": "outside.txt",
        "．．.md": None,  # only dots once normalised: refused
        "bidi\u202etxt.pdf.txt": "bidi_txt.pdf.txt",
        "長" * 80 + ".txt": "長" * 50 + ".txt",  # 240 bytes on disk; 150 in the corpus
        "tab\there.md": "tab_here.md",
    }
    for given in names:
        (uploads / given).write_text(f"A document uploaded as {given!r}.\n", encoding="utf-8")
    settings = seeds_settings.with_(index_dir=tmp_path / "index")
    shutil.copytree(seeds_settings.index_dir, settings.index_dir)
    message = App(settings, corpus).add([str(uploads / n) for n in names])
    assert "has no usable file name" in message and "The next question can use it" in message
    landed = {p.name for p in corpus.iterdir()} - {p.name for p in SEEDS.iterdir()}
    assert landed == {n for n in names.values() if n}
    assert {p.name for p in tmp_path.iterdir()} == {"corpus", "uploads", "index"}

    monkeypatch.setenv("QA_MAX_FILE_MB", "0.001")
    (uploads / "ok.txt").write_text("x " * 1000)
    assert "ok.txt: 0.0019 MB is over the 0.001 MB limit (QA_MAX_FILE_MB)" in App(
        settings, corpus
    ).add([str(uploads / "ok.txt")])
    assert not (corpus / "ok.txt").exists()
