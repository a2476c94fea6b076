"""A scripted Unix-socket server for failures a real server will not produce on demand."""

from __future__ import annotations

import json
import socket
import threading


class FakeServer:
    """A Unix socket server that scripts misbehaviour: per accepted connection, ``behaviour``
    receives the socket and decides what to do with it."""

    def __init__(self, path: str, behaviour) -> None:
        self.path = path
        self.behaviour = behaviour
        self.accepted = 0
        self.requests: list[dict] = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(16)
        self._open: list[socket.socket] = []
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            self._open.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self.behaviour(self, conn)
        except OSError:
            pass

    def read_request(self, conn: socket.socket) -> dict | None:
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        request = json.loads(data)
        self.requests.append(request)
        return request

    def close(self) -> None:
        self._stop = True
        self.listener.close()
        for conn in self._open:
            try:
                conn.close()
            except OSError:
                pass

    @staticmethod
    def send(conn: socket.socket, message: dict) -> None:
        conn.sendall(json.dumps(message).encode() + b"\n")
