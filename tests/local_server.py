"""A file server on 127.0.0.1 for the download tests (never the internet), and the gzipped IDX files it serves."""
from __future__ import annotations

import gzip
import http.server
import threading
import time
from contextlib import contextmanager
from functools import partial

import numpy as np

PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def idx_gz(array: np.ndarray) -> bytes:
    """`array` as a gzipped IDX file of unsigned bytes (the MNIST format)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def bypass_proxies(monkeypatch) -> None:
    """Requests to 127.0.0.1 must not go through a proxy from the environment."""
    for var in PROXY_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files; ``/slow/…`` waits before answering. No logging; each path asked for is noted in the
    server's `requested` list."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requested.append(self.path)
        if self.path.startswith("/slow/"):
            time.sleep(1.5)
        super().do_GET()


class _Server(http.server.ThreadingHTTPServer):
    requested: list[str]

    def handle_error(self, request, client_address):
        pass  # a client that hung up (the cancel tests): expected


@contextmanager
def serve(root, requested: list[str] | None = None):
    """Serve the folder `root`; yields the base URL ``http://127.0.0.1:PORT/``. The paths asked for are appended
    to `requested`, in order."""
    server = _Server(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    server.requested = requested if requested is not None else []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
