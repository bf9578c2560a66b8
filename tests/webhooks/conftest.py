"""A real HTTP receiver on 127.0.0.1 for webhook tests: answers from a script, records every request."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    """Answers each POST with the next status of `script` (then 200); records (headers, body) of each request."""

    def __init__(self):
        self.script: list = []
        self.requests: list[tuple] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((self.headers, body))  # case-insensitive look-ups
                answer = receiver.script.pop(0) if receiver.script else 200
                if isinstance(answer, tuple):  # ("sleep", seconds): answer late (a time-out for the sender)
                    time.sleep(answer[1])
                    answer = 200
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[bytes]:
        return [body for _headers, body in self.requests]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0  # retries follow at once (eager tasks run them in-process)
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    r = Receiver()
    yield r
    r.stop()
