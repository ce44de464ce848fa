"""How `bms serve` runs gunicorn: threaded workers, so a slow client or a long callback holds one thread and
never the server, and a deadline on every read, so a client that opens a connection or starts a request and
then stalls is dropped after `header_timeout_seconds` instead of holding a thread for good."""

from __future__ import annotations

import errno
import selectors
import socket
import sys
import time
from functools import partial

from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import TConn, ThreadWorker

from etl.settings import Settings, load_settings


class _Deadline:
    """A socket whose blocking reads give up after `timeout` seconds; a read that times out reads as the end of
    the connection, so gunicorn closes it quietly (no trace in the log)."""

    def __init__(self, sock: socket.socket, timeout: float):
        self._sock = sock
        self._timeout = timeout

    def recv(self, size: int) -> bytes:
        """Read at most `size` bytes, or none once the deadline passed."""
        if self._sock.gettimeout() is None:  # gunicorn sets its own, shorter, deadline when it drains a body
            self._sock.settimeout(self._timeout)
        try:
            return self._sock.recv(size)
        except TimeoutError:
            return b""

    def __getattr__(self, name: str) -> object:
        return getattr(self._sock, name)


class _TimedConn(TConn):
    def init(self) -> None:
        super().init()
        unreader = getattr(self.parser, "unreader", None)
        if isinstance(unreader, SocketUnreader) and not isinstance(unreader.sock, _Deadline):
            unreader.sock = _Deadline(unreader.sock, Worker.header_timeout)


class Worker(ThreadWorker):
    """gunicorn's gthread worker with a read deadline on every connection."""

    header_timeout = 10.0

    def init_process(self) -> None:
        Worker.header_timeout = load_settings().header_timeout_seconds
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        """Take a new connection and wait, in the poller and not in a thread, until it sends something; one that
        sends nothing within the deadline is closed (gunicorn's own accept gives it a thread for 5 s first)."""
        try:
            sock, client = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = _TimedConn(self.cfg, sock, client, listener.getsockname())
        conn.timeout = time.monotonic() + self.header_timeout
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))

    def enqueue_req(self, conn: TConn) -> None:
        conn.__class__ = _TimedConn
        super().enqueue_req(conn)


def gunicorn_command(settings: Settings) -> list[str]:
    """The gunicorn command line that serves the dashboard for `settings` (its data folder via BMS_DATA_DIR)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "dashboard.wsgi:server",
        "--bind",
        f"{settings.host}:{settings.port}",
        "--workers",
        str(settings.workers),
        "--worker-class",
        "dashboard.serving.Worker",
        "--threads",
        str(settings.threads),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--keep-alive",
        "5",
        "--limit-request-line",
        "8190",
        "--limit-request-fields",
        "100",
        "--limit-request-field_size",
        "8190",
        "--access-logfile",
        "-",
        "--log-level",
        "warning",
    ]
