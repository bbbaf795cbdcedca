"""A real HTTP receiver for outbox's status callbacks, with the checks a client would make: the
Bearer JWT (HS256 signed with SALT, not expired, bound to the body by its body_sha256 claim) and
the X-Outbox-Signature HMAC (t=<seconds>,v1=<hex HMAC-SHA256(SALT, "<t>.<body>")>). Stdlib
only, written from the scheme in the README rather than from outbox's code."""

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

SALT = "integration-test-salt-0123456789"


def _b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_jwt(authorization, body, salt=SALT):
    """Returns the claims of a valid token for this body; raises AssertionError otherwise."""
    assert authorization.startswith("Bearer "), authorization
    header_b64, claims_b64, signature_b64 = authorization[len("Bearer "):].split(".")
    header = json.loads(_b64url_decode(header_b64))
    assert header["alg"] == "HS256", header
    expected = hmac.new(salt.encode(), f"{header_b64}.{claims_b64}".encode(),
                        hashlib.sha256).digest()
    assert hmac.compare_digest(expected, _b64url_decode(signature_b64)), "JWT signature"
    claims = json.loads(_b64url_decode(claims_b64))
    assert claims["exp"] > time.time(), claims
    assert claims["body_sha256"] == hashlib.sha256(body).hexdigest(), claims
    return claims


def verify_signature(header, body, salt=SALT, tolerance=300):
    parts = dict(part.split("=", 1) for part in header.split(","))
    t = int(parts["t"])
    assert abs(time.time() - t) <= tolerance, header
    expected = hmac.new(salt.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"]), "HMAC signature"


class Received:
    def __init__(self, path, headers, body):
        self.path = path
        self.headers = headers
        self.body = body
        self.json = json.loads(body)
        self.at = time.time()


class CallbackReceiver:
    """Records every POST; answers `statuses` in turn (then 200). Checks each JWT and HMAC."""

    def __init__(self, salt=SALT, statuses=()):
        self.salt = salt
        self.statuses = list(statuses)
        self.received = []
        self.failures = []  # requests whose signatures did not check out
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    verify_jwt(self.headers["Authorization"], body, receiver.salt)
                    verify_signature(self.headers["X-Outbox-Signature"], body, receiver.salt)
                except (AssertionError, KeyError, ValueError) as error:
                    with receiver.lock:
                        receiver.failures.append((body, repr(error)))
                    self.send_response(401)
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def events(self, event=None):
        with self.lock:
            return [r for r in self.received if event is None or r.json.get("event") == event
                    or r.json.get("status") == event]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
