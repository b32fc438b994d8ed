#!/usr/bin/python3
"""A local SMS gateway for dondoc's tests and benchmarks: answers like eSMS.vn,
SpeedSMS and a generic HTTP provider, and records every request.

    sms_gateway.py --log FILE [--port 0] [--mode MODE] [--mode-file FILE]
                   [--slow-seconds 5] [--lifetime SECONDS] [--no-dedupe]

- Listens on 127.0.0.1 only; the first line on stdout is the chosen port. Runs until
  SIGTERM/SIGINT or --lifetime seconds (default 600). HTTP/1.1 with keep-alive; idle
  connections are closed after 30 s; request bodies are limited to 1 MB.
- Endpoints:
    POST /MainService.svc/json/SendMultipleMessage_V4_post_json/   eSMS
         ok: {"CodeResult":"100","SMSID":…}; a RequestId seen before: CodeResult 124
         (as eSMS de-duplicates within a day) unless --no-dedupe
    POST /index.php/sms/send                                        SpeedSMS
         needs HTTP Basic auth; ok: {"status":"success","code":"00","data":{…}}
    anything else (GET, POST, PUT)                                  generic provider
         ok: 200 {"ok":true,"id":N}
    GET  /_control/count         number of requests recorded
    POST /_control/mode          body = the new mode
- Modes (--mode, or the first word of --mode-file, re-read for every request):
    ok          answer success
    500         HTTP 500 for every request
    500-half    HTTP 500 for every other request (1st, 3rd, … fail)
    429 | 400   that HTTP status
    slow        sleep --slow-seconds before answering success
    drop        close the connection without an answer
    code:NNN    HTTP 200 with the provider's error code NNN (eSMS CodeResult,
                SpeedSMS code with status "error"; generic {"ok":false,"code":"NNN"})
- --log FILE: one JSON line per request: {"n", "peer_port" (one per connection), "path", "method", "mode", "status",
  "headers": {content-type, authorization}, "body": parsed JSON or text, "query"}.
"""
import argparse
import base64
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ESMS_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
SPEEDSMS_PATH = "/index.php/sms/send"


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.n = 0
        self.mode = args.mode
        self.seen = set()
        self.log = open(args.log, "a", buffering=1) if args.log else None

    def current_mode(self):
        if self.args.mode_file and os.path.exists(self.args.mode_file):
            try:
                with open(self.args.mode_file) as f:
                    words = f.read().split()
                if words:
                    return words[0]
            except OSError:
                pass
        return self.mode


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    # One write per answer (headers and body together) and no Nagle: otherwise the
    # client's delayed ACK adds ~40 ms to every keep-alive request.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server_version = "dondoc-test-gateway/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drop(self):
        self.close_connection = True
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 1024 * 1024:
            raise ValueError("body too large")
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def _handle(self, method):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        try:
            raw = self._read_body()
        except ValueError:
            self._answer(413, {"error": "too large"})
            return
        if url.path == "/_control/count":
            with st.lock:
                n = st.n
            self._answer(200, {"count": n})
            return
        if url.path == "/_control/mode":
            with st.lock:
                st.mode = raw.decode().strip() or "ok"
            self._answer(200, {"mode": st.mode})
            return

        mode = st.current_mode()
        with st.lock:
            st.n += 1
            n = st.n
        text = raw.decode("utf-8", "replace")
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = text
        provider = "esms" if url.path == ESMS_PATH else "speedsms" if url.path == SPEEDSMS_PATH else "http"

        status, answer, drop = 200, None, False
        if mode == "drop":
            drop = True
        elif mode in ("500", "429", "400"):
            status, answer = int(mode), {"error": "test mode %s" % mode}
        elif mode == "500-half" and n % 2 == 1:
            status, answer = 500, {"error": "test mode 500-half"}
        elif mode == "slow":
            time.sleep(st.args.slow_seconds)
        if not drop and answer is None:
            code = mode[5:] if mode.startswith("code:") else None
            answer = self._provider_answer(provider, body, code, n)
            if answer is None:  # SpeedSMS without credentials
                status, answer = 401, {"status": "error", "code": "007", "message": "unauthorized"}

        record = {"n": n, "peer_port": self.client_address[1], "path": url.path, "query": url.query, "method": method, "mode": mode,
                  "provider": provider, "status": None if drop else status,
                  "headers": {"content-type": self.headers.get("Content-Type"),
                              "authorization": self.headers.get("Authorization")},
                  "body": body}
        if st.log:
            with st.lock:
                st.log.write(json.dumps(record, ensure_ascii=False) + "\n")
        if drop:
            self._drop()
        else:
            self._answer(status, answer)

    def _provider_answer(self, provider, body, code, n):
        st = self.server.state
        if provider == "esms":
            if code:
                return {"CodeResult": code, "ErrorMessage": "test code %s" % code}
            rid = body.get("RequestId") if isinstance(body, dict) else None
            if rid and not st.args.no_dedupe:
                with st.lock:
                    dup = rid in st.seen
                    st.seen.add(rid)
                if dup:
                    return {"CodeResult": "124", "ErrorMessage": "Duplicate RequestId"}
            return {"CodeResult": "100", "CountRegenerate": 0, "SMSID": "test-%06d" % n}
        if provider == "speedsms":
            auth = self.headers.get("Authorization") or ""
            if not auth.startswith("Basic ") or not base64.b64decode(auth[6:]).endswith(b":x"):
                return None
            if code:
                return {"status": "error", "code": code, "message": "test code %s" % code}
            return {"status": "success", "code": "00",
                    "data": {"tranId": n, "totalSMS": 1, "totalPrice": 250, "invalidPhone": []}}
        if code:
            return {"ok": False, "code": code}
        return {"ok": True, "id": n}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log")
    p.add_argument("--mode", default="ok")
    p.add_argument("--mode-file")
    p.add_argument("--slow-seconds", type=float, default=5)
    p.add_argument("--lifetime", type=float, default=600)
    p.add_argument("--no-dedupe", action="store_true")
    args = p.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 1024
    server.state = State(args)
    sys.stdout.write("%d\n" % server.server_address[1])
    sys.stdout.flush()

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    timer = threading.Timer(args.lifetime, stop)
    timer.daemon = True
    timer.start()
    server.serve_forever(poll_interval=0.2)
    server.server_close()


if __name__ == "__main__":
    main()
