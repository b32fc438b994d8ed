"""Headless Chromium driven over the DevTools protocol, with the standard library only
(Debian's /usr/bin/python3 and `chromium`): a minimal WebSocket client (RFC 6455, text
frames, client masking, fragments, ping), navigation that waits for the load event,
JavaScript evaluation, cookies and screenshots. Every wait is bounded; the browser runs
with a fresh profile and talks only to the loopback addresses the test gives it.

    with Browser() as b:
        b.navigate("http://127.0.0.1:8081/")
        html = b.html()
"""

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class CdpError(AssertionError):
    pass


class WebSocket:
    def __init__(self, url, timeout=30):
        if not url.startswith("ws://"):
            raise CdpError("only ws:// URLs: " + url)
        rest = url[5:]
        hostport, _, path = rest.partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CdpError("the DevTools socket closed during the handshake")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise CdpError("WebSocket handshake refused: %r" % status)
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise CdpError("the DevTools socket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode = b0 & 0x0F
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:  # ping
                self._send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise CdpError("the DevTools socket was closed by the browser")
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode("utf-8")

    def settimeout(self, t):
        self.sock.settimeout(t)

    def close(self):
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


class Browser:
    def __init__(self, width=1280, height=900, timeout=60):
        self.profile = tempfile.TemporaryDirectory(prefix="dondoc-chromium-")
        self.timeout = timeout
        self.log_path = os.path.join(self.profile.name, "chromium.log")
        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-default-apps", "--mute-audio", "--password-store=basic",
                "--user-data-dir=" + os.path.join(self.profile.name, "profile"),
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                f"--window-size={width},{height}", "about:blank"]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        port_file = os.path.join(self.profile.name, "profile", "DevToolsActivePort")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(port_file):
                lines = open(port_file).read().split()
                if len(lines) >= 1 and lines[0].isdigit():
                    self.port = int(lines[0])
                    break
            if self.proc.poll() is not None:
                raise CdpError("chromium exited:\n" + self.log_text())
            time.sleep(0.05)
        else:
            raise CdpError("chromium did not open its DevTools port:\n" + self.log_text())
        page = None
        while time.time() < deadline and page is None:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as r:
                targets = json.loads(r.read())
            page = next((t for t in targets if t.get("type") == "page"), None)
            if page is None:
                time.sleep(0.1)
        if page is None:
            raise CdpError("no page target in chromium")
        self.ws = WebSocket(page["webSocketDebuggerUrl"], timeout=timeout)
        self.next_id = 0
        self.events = []
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Network.enable")

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def call(self, method, timeout=None, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        deadline = time.time() + (timeout or self.timeout)
        while time.time() < deadline:
            self.ws.settimeout(max(0.1, deadline - time.time()))
            try:
                msg = json.loads(self.ws.recv())
            except socket.timeout:
                continue
            if msg.get("id") == my:
                if "error" in msg:
                    raise CdpError("%s failed: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise CdpError("no answer to %s within the timeout" % method)

    def wait_event(self, name, timeout=None):
        deadline = time.time() + (timeout or self.timeout)
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == name:
                    del self.events[: i + 1]
                    return e.get("params", {})
            if time.time() >= deadline:
                raise CdpError("no %s within the timeout" % name)
            self.ws.settimeout(max(0.1, deadline - time.time()))
            try:
                msg = json.loads(self.ws.recv())
            except socket.timeout:
                continue
            if "method" in msg:
                self.events.append(msg)

    def navigate(self, url):
        self.events.clear()
        r = self.call("Page.navigate", url=url)
        if r.get("errorText"):
            raise CdpError("navigation to %s failed: %s" % (url, r["errorText"]))
        self.wait_event("Page.loadEventFired")
        return self.url()

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise CdpError("JavaScript failed: %s\n%s" % (expression, r["exceptionDetails"]))
        return r["result"].get("value")

    def submit_and_wait(self, expression):
        """Runs JavaScript that submits a form, then waits for the next page's load."""
        self.events.clear()
        self.evaluate(expression)
        self.wait_event("Page.loadEventFired")
        return self.url()

    def url(self):
        return self.evaluate("location.href")

    def html(self):
        return self.evaluate("document.documentElement.outerHTML")

    def cookies(self, url):
        return self.call("Network.getCookies", urls=[url])["cookies"]

    def set_viewport(self, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=mobile)

    def screenshot(self, path, full_page=True):
        params = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            metrics = self.call("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics.get("contentSize")
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000),
                              "scale": 1}
        data = self.call("Page.captureScreenshot", **params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()
        self.profile.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
