"""The sandbox's HTTP server: authentication, fault injection, dispatch, start and stop.

``Sandbox`` is what tests and ``python -m mjdesk.sandbox`` use::

    with Sandbox() as sandbox:
        key, secret = sandbox.add_account("Department")
        ... call sandbox.url ...
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import socket
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from mjdesk.sandbox.faults import Faults
from mjdesk.sandbox.protocol import (
    ApiFailure,
    Params,
    Reply,
    error_reply,
    html_reply,
    server_error,
)
from mjdesk.sandbox.resources import all_routes, settle_jobs
from mjdesk.sandbox.routing import Call, NoRoute, Router, method_not_allowed
from mjdesk.sandbox.store import Account, Store, practice_key
from mjdesk.sandbox.tls import write_certificates

log = logging.getLogger(__name__)

_REALM = 'Basic realm="Provide an apiKey and secretKey"'
_MAX_BODY = 64 * 1024 * 1024


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on close, so a stopped sandbox leaves none behind.
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-reply are normal here (timeouts, dropped-connection tests).
        log.debug("sandbox connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes; without this, delayed ACKs add 40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox: " + format, *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        sandbox = self.server.sandbox
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, _MAX_BODY)) if length else b""
        path, _, query = self.path.partition("?")
        sandbox.record(method, path)
        fault = sandbox.faults.take_transport(method, path)
        if sandbox.latency and sandbox.stopping.wait(sandbox.latency):
            self.close_connection = True
            return
        if fault is not None:
            if fault.kind == "drop":
                self._hang_up()
                return
            if fault.kind == "slow":
                if sandbox.stopping.wait(fault.delay):
                    self.close_connection = True
                    return
            elif fault.kind == "429":
                self._send(html_reply(429, "429 Too Many Requests"))
                return
            elif fault.kind in ("500", "503"):
                self._send(server_error(int(fault.kind)))
                return
        reply = sandbox.dispatch(method, path, query, body, self.headers)
        if fault is not None and fault.kind == "lost":
            self._hang_up()  # the write was applied; its reply never arrives
            return
        self._send(reply)

    def _hang_up(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.status not in (204, 304):
                self.send_header("Content-Type", reply.content_type or "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.body and reply.status not in (204, 304):
                self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True


def _credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep else None


class Sandbox:
    """A running (or ready to run) practice sandbox on 127.0.0.1."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        state_file: Path | None = None,
        latency: float = 0.0,
    ) -> None:
        """``latency``: seconds added before every reply (a far-away Mailjet, for benchmarks)."""
        self.store = store or Store()
        self.latency = latency
        self.faults = Faults()
        self.router = Router(all_routes())
        self.host = host
        self.port = port
        self.tls = tls
        self.state_file = state_file
        self.ca_file: Path | None = None
        self.stopping = threading.Event()
        self.requests: list[tuple[str, str]] = []
        self._requests_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._cert_dir: tempfile.TemporaryDirectory[str] | None = None
        if state_file is not None and state_file.exists():
            self.store.load(state_file)

    @property
    def url(self) -> str:
        """The base URL to give the client (``http://127.0.0.1:PORT/``)."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}/"

    def add_account(self, name: str, *, is_master: bool = True) -> tuple[str, str]:
        """A new key pair with its own empty data; returns (api_key, secret_key)."""
        key, secret = practice_key(f"{name}:{len(self.store.accounts)}")
        self.store.add_account(name, key, secret, is_master=is_master)
        return key, secret

    def account(self, api_key: str) -> Account:
        """The data behind a key (tests inspect it directly)."""
        return self.store.accounts[api_key]

    def settle(self) -> None:
        """Apply the work of running jobs that is due now (requests do this themselves; tests
        that look at the store directly call it)."""
        with self.store.lock:
            settle_jobs(self.store)

    def record(self, method: str, path: str) -> None:
        """Log a request; tests count them to prove what was (not) retried."""
        with self._requests_lock:
            self.requests.append((method, path))

    def count(self, method: str, path_part: str = "") -> int:
        """How many requests with this method (and path substring) arrived."""
        with self._requests_lock:
            return sum(1 for m, p in self.requests if m == method and path_part in p)

    def start(self) -> Self:
        """Listen and serve on a background thread."""
        server = _Server((self.host, self.port), self)
        if self.tls:
            self._cert_dir = tempfile.TemporaryDirectory(prefix="mjdesk-sandbox-tls-")
            ca, cert, key = write_certificates(Path(self._cert_dir.name), self.host)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(cert, key)
            server.socket = context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
            self.ca_file = ca
        self.port = server.server_address[1]
        self._server = server
        self.stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="mjdesk-sandbox"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end open connections, join every thread, save the state if asked."""
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        server.shutdown()
        with server.connections_lock:
            open_connections = list(server.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._cert_dir is not None:
            self._cert_dir.cleanup()
            self._cert_dir = None
        if self.state_file is not None:
            self.store.save(self.state_file)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def dispatch(self, method: str, path: str, query: str, body: bytes, headers: Any) -> Reply:
        """Answer one request (after transport faults): route, authenticate, run the handler."""
        try:
            route, args = self.router.resolve(method, path)
        except NoRoute as missing:
            if not missing.method_not_allowed:
                return html_reply(404, "404 Not Found")
            route, args = None, {}
        credentials = _credentials(headers.get("Authorization"))
        account = self.store.authenticate(*credentials) if credentials else None
        if account is None:
            return html_reply(401, "401 Authorization Required", {"WWW-Authenticate": _REALM})
        if route is None:
            return error_reply(method_not_allowed())
        call = Call(
            method=method,
            path=path,
            args=args,
            params=Params(query),
            body=body,
            content_type=headers.get("Content-Type") or "",
            account=account,
            store=self.store,
            faults=self.faults,
        )
        try:
            with self.store.lock:
                # Jobs run on the clock: what is due is applied before the handler looks, and a
                # job created to finish at once is done before its reply goes out.
                settle_jobs(self.store)
                try:
                    return route.handler(call)
                finally:
                    settle_jobs(self.store)
        except ApiFailure as failure:
            return error_reply(failure)
        except Exception:
            log.exception("sandbox handler failed: %s %s", method, path)
            return server_error()
