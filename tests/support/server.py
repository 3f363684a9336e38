"""The real app served by uvicorn on a loopback port in a background thread."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from edudata.api.security import uvicorn_options


class LiveServer:
    """``ssl_certfile``/``ssl_keyfile`` (PEM paths) serve HTTPS instead, as ``edudata serve --certfile`` does."""

    def __init__(self, app, ssl_certfile: str | None = None, ssl_keyfile: str | None = None) -> None:  # noqa: ANN001
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        scheme = "https" if ssl_certfile else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
            **uvicorn_options(),  # as `edudata serve` starts it
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
