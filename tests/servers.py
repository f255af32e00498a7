"""Real servers on 127.0.0.1 for the tests: a feed server, an SMTP server, a webhook receiver."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import gzip
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Resource:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # answer 304 to a matching If-None-Match
    gzip: bool = False
    drip_seconds: float = 0.0  # send the body one byte at a time over this long


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FeedServer:
    """Serves feeds from ``resources`` (path -> Resource); records every request."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        # Called with the request's headers (lower-case names) in its thread before it is
        # answered: a test may hold answers.
        self.gate: Callable[[dict[str, str]], None] | None = None
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                headers = {k.lower(): v for k, v in self.headers.items()}
                if owner.gate is not None:
                    owner.gate(headers)
                with owner.lock:
                    owner.requests.append((self.path, headers))
                    res = owner.resources.get(self.path)
                if res is None:
                    self.send_error(404)
                    return
                if res.status in (301, 302, 307, 308):
                    self.send_response(res.status)
                    for k, v in res.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if res.status != 200:
                    self.send_response(res.status)
                    for k, v in res.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha1(res.body).hexdigest()[:16] + '"'
                if res.conditional and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                body = gzip.compress(res.body) if res.gzip else res.body
                self.send_response(200)
                self.send_header("Content-Type", res.content_type)
                if res.conditional:
                    self.send_header("ETag", etag)
                if res.gzip:
                    self.send_header("Content-Encoding", "gzip")
                for k, v in res.headers.items():
                    self.send_header(k, v)
                if not res.drip_seconds:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if res.drip_seconds:
                        step = res.drip_seconds / max(1, len(body))
                        for i in range(len(body)):
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(step)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests_for(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [h for p, h in self.requests if p == path]

    def start(self) -> FeedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _peer_gone(sock: socket.socket) -> bool:
    """Whether the client closed its end (it died) after sending its request."""
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


class WebhookReceiver:
    """Accepts POSTs (apprise json://) and keeps their JSON bodies. ``statuses`` is a queue
    of status codes to answer with; 200 once it is empty. ``hold``, if set, is called
    before each answer (a test may hold them); a POST whose sender is gone by then was
    never acknowledged: it goes to ``abandoned``, not ``received``."""

    def __init__(self, port: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.times: list[float] = []  # when each accepted POST arrived (time.time())
        self.statuses: list[int] = []
        self.attempts = 0
        self.delay = 0.0  # seconds to wait before answering each POST
        self.hold: Callable[[], None] | None = None
        self.abandoned: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []  # of every POST, answered or not
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                with owner.lock:
                    owner.headers.append({k.lower(): v for k, v in self.headers.items()})
                time.sleep(owner.delay)
                if owner.hold is not None:
                    owner.hold()
                    if _peer_gone(self.connection):
                        with owner.lock:
                            owner.abandoned.append(json.loads(raw.decode("utf-8")))
                        return
                with owner.lock:
                    owner.attempts += 1
                    status = owner.statuses.pop(0) if owner.statuses else 200
                    if status == 200:
                        owner.received.append(json.loads(raw.decode("utf-8")))
                        owner.times.append(time.time())
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _MailSink:
    """Keeps each message it accepts. While ``stall`` is set, a message that arrives is
    counted in ``arrived`` but left without an answer (so not accepted) until ``stall`` is
    cleared, and then refused with 451, as a server that fails mid-transaction does."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrived = 0
        self.stall = threading.Event()
        self.lock = threading.Lock()
        self.replies: list[str] = []  # answers to give to RCPT TO (then accept)

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.lock:
            reply = self.replies.pop(0) if self.replies else None
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.arrived += 1
        if self.stall.is_set():
            while self.stall.is_set():
                await asyncio.sleep(0.05)
            return "451 Requested action aborted"
        msg = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        with self.lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"


class SMTPServer:
    """aiosmtpd on 127.0.0.1; ``messages`` holds every message received, parsed."""

    def __init__(self, port: int = 0) -> None:
        self.sink = _MailSink()
        self.port = port or free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.sink.lock:
            return list(self.sink.messages)

    def url(self, to: str = "analyst@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?mode=insecure&from=raqib@example.org&to={to}"

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def text_of(msg: EmailMessage) -> str:
    """The plain-text body of a received message."""
    part = msg.get_body(preferencelist=("plain", "html"))
    assert part is not None, "message has no text body"
    return part.get_content()


class Tarpit:
    """A TCP server that accepts connections and never says a word (an SMTP server that
    never greets), until ``release``. ``closed`` holds when each client gave up (time.time())."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.closed: list[float] = []
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # released
            with self._lock:
                self.accepted += 1
                self._connections.append(conn)
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        try:
            while conn.recv(4096):
                pass
        except OSError:
            return
        with self._lock:
            self.closed.append(time.time())

    def release(self) -> None:
        self.sock.close()
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()


class TcpProxy:
    """Relays TCP connections from a port on 127.0.0.1 to ``port``. ``pause`` stops the
    relaying (the connections stay open, nothing gets through: a database that stopped
    answering); ``resume`` lets what waited through."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._relay, args=(a, b), daemon=True).start()

    def _relay(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                while not self.flowing.wait(0.5):
                    if self._closed:
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def pause(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self._closed = True
        self.sock.close()
