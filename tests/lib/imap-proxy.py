#!/usr/bin/env python3
# imap-proxy.py: a TCP proxy between mailferry and a test IMAP server that
# drops one connection in the middle of what the client sends, for the
# IMAP exporter's fault tests (tests/cli/imap.sh).
#
#   imap-proxy.py PORTFILE TARGET_PORT DROP_AFTER [DROPS [DELAY_MS]]
#
# Listens on 127.0.0.1 (a free port, written to PORTFILE), forwards each
# connection to 127.0.0.1:TARGET_PORT, and closes both sides of the first
# DROPS (default 1) connections whose client has sent more than DROP_AFTER
# bytes, at that byte (so in the middle of an APPEND literal when the
# client is pushing mail).  Every later connection passes untouched.
# DROP_AFTER 0 drops nothing.  DELAY_MS (default 0) holds every chunk that
# long in each direction before passing it on, in order and without
# limiting throughput: added latency for the benchmark (bench/imap.sh)
# where netem is not available.  Stops by itself after 600 seconds (3600
# with a delay).
import socket
import sys
import threading
import time

portfile, target, drop_after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
drops_left = [(int(sys.argv[4]) if len(sys.argv) > 4 else 1) if drop_after > 0 else 0]
delay = (int(sys.argv[5]) if len(sys.argv) > 5 else 0) / 1000.0
lock = threading.Lock()

def close_both(*socks):
    """Shut down and close both ends of a proxied connection."""
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def pipe(src, dst, counting):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if counting:
                with lock:
                    armed = drops_left[0] > 0
                if armed and sent + len(data) > drop_after:
                    with lock:
                        go = drops_left[0] > 0
                        if go:
                            drops_left[0] -= 1
                    if go:
                        dst.sendall(data[: drop_after - sent])
                        raise ConnectionAbortedError("dropped by the test proxy")
                sent += len(data)
            dst.sendall(data)
    except OSError:
        pass
    close_both(src, dst)

import collections

def delayed(src, dst):
    """Pass src to dst, each chunk delay seconds after it arrived."""
    q = collections.deque()
    cv = threading.Condition()
    done = [False]
    def reader():
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with cv:
                    q.append((time.time() + delay, data))
                    cv.notify()
        except OSError:
            pass
        with cv:
            done[0] = True
            cv.notify()
    threading.Thread(target=reader, daemon=True).start()
    try:
        while True:
            with cv:
                while not q and not done[0]:
                    cv.wait()
                if not q and done[0]:
                    break
                due, data = q.popleft()
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
            dst.sendall(data)
    except OSError:
        pass
    close_both(src, dst)

def serve(client):
    try:
        up = socket.create_connection(("127.0.0.1", target), timeout=10)
    except OSError:
        client.close()
        return
    up.settimeout(None)
    for s in (client, up):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if delay > 0:
        threading.Thread(target=delayed, args=(client, up), daemon=True).start()
        threading.Thread(target=delayed, args=(up, client), daemon=True).start()
        return
    threading.Thread(target=pipe, args=(client, up, True), daemon=True).start()
    threading.Thread(target=pipe, args=(up, client, False), daemon=True).start()

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
import os
os.rename(portfile + ".tmp", portfile)
ls.settimeout(1.0)
end = time.time() + (3600 if delay > 0 else 600)
while time.time() < end:
    try:
        c, _ = ls.accept()
    except socket.timeout:
        continue
    serve(c)
