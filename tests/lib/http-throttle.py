#!/usr/bin/python3
"""http-throttle.py LISTEN_PORT TARGET_PORT COUNTFILE: an HTTP/1.1 proxy in
front of a server on 127.0.0.1 that answers every third PUT "503 Service
Unavailable" with "Retry-After: 1" and every fifth "429 Too Many Requests"
without Retry-After, instead of passing it on; everything else is passed
through.  It writes how many requests it throttled to COUNTFILE after each
one.  For the DAV exporters' back-off test (tests/cli/dav.sh)."""
import http.client
import http.server
import sys

listen, target, countfile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
state = {"puts": 0, "throttled": 0}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        if self.command == "PUT":
            state["puts"] += 1
            k = state["puts"]
            if k % 3 == 0 or k % 5 == 0:
                state["throttled"] += 1
                open(countfile, "w").write("%d\n" % state["throttled"])
                code = 503 if k % 3 == 0 else 429
                self.send_response(code)
                if code == 503:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        c = http.client.HTTPConnection("127.0.0.1", target, timeout=60)
        h = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        c.request(self.command, self.path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        c.close()

    do_GET = do_HEAD = do_PUT = do_PROPFIND = do_REPORT = do_MKCOL = do_MKCALENDAR = \
        do_DELETE = do_OPTIONS = handle_any


http.server.ThreadingHTTPServer(("127.0.0.1", listen), H).serve_forever()
