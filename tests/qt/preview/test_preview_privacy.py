"""Privacy of the preview: while a mail full of remote content renders, a local HTTP server
sees no request at all and no script runs; with "Load images", only image requests arrive."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytestqt.qtbot import QtBot

from mjdesk.ui.preview.engine import Look, PreviewView, wait_painted

PIXEL = bytes.fromhex(
    "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
)


class Counter(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.paths: list[str] = []
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server: Counter

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.paths.append(self.path)
        body, kind = (PIXEL, "image/gif") if self.path.startswith("/img/") else (b"", "text/css")
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def server() -> Iterator[Counter]:
    made = Counter()
    thread = threading.Thread(target=made.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        made.shutdown()
        made.server_close()
        thread.join(5)


def hostile_mail(base: str) -> str:
    return f"""<!doctype html><html><head><title>privacy test</title>
<meta http-equiv="refresh" content="0;url={base}/refresh">
<link rel="stylesheet" href="{base}/css/linked.css">
<link rel="prefetch" href="{base}/prefetch">
<link rel="dns-prefetch" href="{base}/dns">
<link rel="preload" as="image" href="{base}/img/preload.png">
<link rel="icon" href="{base}/favicon.ico">
<style>
@import url({base}/css/imported.css);
@font-face {{ font-family: Remote; src: url({base}/font/remote.woff2); }}
body {{ font-family: Remote, sans-serif; background: url({base}/img/background.png); }}
</style></head>
<body>
<h1 style="background-image: url('{base}/img/inline-style.png')">Hello</h1>
<img src="{base}/img/photo.png" alt="A photo" width="200" height="100">
<img src="{base}/img/pixel.gif" width="1" height="1" alt="">
<img src="relative.png" alt="relative">
<iframe src="{base}/frame.html"></iframe>
<video poster="{base}/img/poster.png" src="{base}/media/clip.mp4"></video>
<audio src="{base}/media/sound.mp3" autoplay></audio>
<object data="{base}/object.swf"></object>
<script>document.title = "script ran"; fetch("{base}/script");</script>
<script src="{base}/script.js"></script>
<a href="{base}/link">a link</a>
</body></html>"""


def render(qtbot: QtBot, look: Look, html: str) -> PreviewView:
    view = PreviewView()
    qtbot.addWidget(view)
    view.preview.apply(look)
    view.resize(look.width, 600)
    view.show()
    with qtbot.waitSignal(view.preview.loadFinished, timeout=30_000):
        view.preview.show_html(html)
    wait_painted(view)
    qtbot.wait(1500)  # time for any late request (a refresh, a lazy image) to arrive
    return view


def test_a_preview_fetches_nothing_and_runs_no_script(qtbot: QtBot, server: Counter) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    view = render(qtbot, Look(), hostile_mail(base))
    assert server.paths == []
    assert view.preview.title() == "privacy test"
    assert view.preview.url().scheme() == "data"  # (the refresh did not navigate)
    assert view.preview.interceptor.let_through == []


def test_load_images_lets_only_images_through(qtbot: QtBot, server: Counter) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    view = render(qtbot, Look(load_images=True), hostile_mail(base))
    arrived = sorted(set(server.paths))
    assert "/img/photo.png" in arrived
    assert "/img/pixel.gif" in arrived
    assert all(path.startswith("/img/") for path in arrived), arrived
    assert view.preview.title() == "privacy test"
