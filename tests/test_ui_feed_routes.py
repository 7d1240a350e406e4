"""The browser path's plain routes (issue 15): reply parts and idle loops by exact name only
(ui/feed_files.py), and a reply's feeds over Server-Sent Events, in order, to whoever holds the
reply's token (ui/reply_stream.py). Real Starlette app, real HTTP semantics (TestClient)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from ui import feed_files
from ui.reply_stream import ReplyStreams, stream_url


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    parts, cache = tmp_path / "avatar", tmp_path / "cache"
    parts.mkdir()
    cache.mkdir()
    stem = uuid.uuid4().hex
    out = {"rig": parts / f"{stem}-0.rig", "wav": parts / f"{stem}-0.wav", "idle": cache / "idle-happy-3.00s.rig"}
    out["rig"].write_bytes(b"\0" * 4 * 38 * 3)
    out["wav"].write_bytes(b"RIFF" + b"\0" * 40)
    out["idle"].write_bytes(b"\1" * 4 * 38)
    (parts / "notes.txt").write_text("not served")
    (tmp_path / "secret.rig").write_bytes(b"outside")
    return out


@pytest.fixture
def client(files: dict[str, Path]) -> TestClient:
    idle = files["idle"]
    routes = feed_files.routes(files["rig"].parent, lambda: {idle.name: idle})
    return TestClient(Starlette(routes=routes))


def test_parts_and_idle_loops_are_served_with_their_types_and_headers(client: TestClient, files: dict) -> None:
    for kind, media in (("rig", "application/octet-stream"), ("wav", "audio/wav")):
        url = feed_files.part_url(files[kind])
        r = client.get("/" + url)
        assert r.status_code == 200 and r.content == files[kind].read_bytes()
        assert r.headers["content-type"] == media and r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cross-origin-resource-policy"] == "same-origin"
        assert r.headers["cache-control"] == "private, max-age=900, immutable"
        assert client.head("/" + url).status_code == 200
    url = feed_files.idle_url(files["idle"])
    assert "?v=" in url  # its write time: a new avatar's loop is a new URL, so the old one may be cached for good
    r = client.get("/" + url)
    assert r.status_code == 200 and r.content == files["idle"].read_bytes()
    assert "immutable" in r.headers["cache-control"]


def test_only_exact_names_are_served_no_listing_no_traversal(client: TestClient, files: dict) -> None:
    stem = files["rig"].stem.rsplit("-", 1)[0]
    refused = [
        "avatar-feed/part/", "avatar-feed/part/notes.txt", f"avatar-feed/part/{stem}-0.jpg",
        f"avatar-feed/part/{stem.upper()}-0.rig", f"avatar-feed/part/{stem}-1.rig",  # never written
        f"avatar-feed/part/..%2F{stem}-0.rig", "avatar-feed/part/..%2Fsecret.rig", "avatar-feed/part/../secret.rig",
        "avatar-feed/part/%2e%2e/secret.rig", "avatar-feed/idle/", "avatar-feed/idle/idle-sad-3.00s.rig",
        "avatar-feed/idle/..%2Favatar%2Fnotes.txt", "avatar-feed/idle/secret.rig", "avatar-feed/",
    ]  # fmt: skip
    for url in refused:
        r = client.get("/" + url)
        assert r.status_code == 404, url
        assert b"outside" not in r.content and b"not served" not in r.content
    with pytest.raises(ValueError):
        feed_files.part_url(files["idle"])  # an idle loop never gets a part's URL
    assert client.post("/" + feed_files.part_url(files["rig"])).status_code == 405


def test_a_swept_part_is_a_404(client: TestClient, files: dict) -> None:
    url = "/" + feed_files.part_url(files["wav"])
    assert client.get(url).status_code == 200
    files["wav"].unlink()  # the clip store swept it (15 minutes)
    r = client.get(url)
    assert r.status_code == 404 and r.headers["cache-control"] == "no-store"


def _events(client: TestClient, url: str) -> list[tuple[str, str]]:
    """(event, data) of an SSE response, read to its end."""
    out, event = [], "message"
    with client.stream("GET", url) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["cache-control"] == "no-store"
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.append((event, line[6:]))
                if event == "end":
                    break
                event = "message"
    return out


def test_a_reply_stream_sends_every_newer_feed_in_order_then_ends() -> None:
    streams = ReplyStreams()
    client = TestClient(Starlette(routes=[streams.route()]))
    token = streams.open()

    def speak() -> None:  # the reply's handler thread: parts as MotionWriter finishes them
        for i in range(1, 4):
            time.sleep(0.15)
            streams.publish(token, {"reply": "r1", "chunks": list(range(i)), "done": i == 3})
        streams.close(token)

    thread = threading.Thread(target=speak)
    thread.start()
    got = _events(client, "/" + stream_url(token))
    thread.join()
    feeds = [json.loads(d) for e, d in got if e == "message"]
    assert [len(f["chunks"]) for f in feeds] == [1, 2, 3] and feeds[-1]["done"]  # each part as soon as it came
    assert got[-1][0] == "end"
    # A page that opens it late (or reconnects) gets the newest feed at once: nothing is lost.
    late = _events(client, "/" + stream_url(token))
    assert [json.loads(d)["chunks"] for e, d in late if e == "message"] == [[0, 1, 2]] and late[-1][0] == "end"
    assert streams.published(token)[-1]["done"]


def test_a_cut_reply_ends_its_stream_and_unknown_tokens_are_404() -> None:
    streams = ReplyStreams(linger_s=0.05, max_open_s=10.0)
    client = TestClient(Starlette(routes=[streams.route()]))
    token = streams.open()
    streams.publish(token, {"reply": "r1", "chunks": [0], "done": False})
    streams.close(token)  # the student sent the next message: this reply stops where it is
    got = _events(client, "/" + stream_url(token))
    assert [e for e, _ in got] == ["message", "end"] and not json.loads(got[0][1])["done"]
    for bad in ("x" * 32, token[:-1], token + "a", "../" + token, ""):
        assert client.get("/" + stream_url(bad)).status_code == 404, bad
    time.sleep(0.1)
    streams.open()  # opening a new stream drops those closed longer than linger_s ago
    assert client.get("/" + stream_url(token)).status_code == 404
    with pytest.raises(ValueError):
        ReplyStreams(linger_s=5.0, max_open_s=1.0)
