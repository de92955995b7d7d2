#!/usr/bin/env python3
"""s3fault.py: a fault-injecting HTTP proxy in front of s3rver, for the archive tests.

Python 3 standard library only.  Why a proxy and not a second fake S3: s3rver is a
real S3 implementation (ListObjectsV2 with continuation tokens, ETags,
If-None-Match, NoSuchKey), so every answer that is not a fault is what a real
S3 server sends, and the bucket has one layout whether a test goes through the
proxy or straight to s3rver.  The proxy only forwards, records and breaks.

It listens on 127.0.0.1, forwards each request (any method, the body too) to
--upstream with a fresh connection, reads the whole answer, and sends it back with
its own Content-Length (keep-alive), unless a fault matches.  Every request is
recorded: method, path, query, all its headers (in order, as sent), the status
sent, the fault, and the body bytes sent.

USAGE
    python3 t/s3fault.py --upstream http://127.0.0.1:PORT [options]
    --port N         TCP port on 127.0.0.1 (default 0: a free one)
    --port-file F    once listening, write the port to F (F.tmp, then rename)
    --log FILE       one NDJSON line per request, the same objects as /__s3fault/requests
    --fault SPEC     add a fault (repeatable; see FAULTS)
    --stall S        default seconds of the stall faults (default 30)

FAULTS   SPEC is KIND[:ARG] followed by one of
             @N        the Nth request (1-based; admin requests are not counted)
             %N        every Nth request
             ~TEXT     the first request whose path?query contains TEXT (raw or
                       percent-decoded); ~TEXT*C the first C such; ~TEXT* every one
         Specs are tried in the order added; the first that matches wins.
    slowdown    503 <Error><Code>SlowDown</Code>... (application/xml), nothing forwarded
    internal    500 <Error><Code>InternalError</Code>...
    denied      403 <Error><Code>AccessDenied</Code>... (what S3 says for a key it
                will not serve)
    reset       forwarded; the status line, the headers and ARG bytes of the body
                (default: half) are sent, then the connection is reset (SO_LINGER 0:
                a TCP RST)
    truncate    forwarded; the body is cut to ARG bytes (default: half) and sent as
                a complete answer whose Content-Length is the cut length: only a
                gzip (or XML) check can tell
    short       forwarded; the full Content-Length is sent, then ARG bytes of the
                body (default: half), then the connection is closed (FIN)
    stall       nothing is sent for ARG seconds (default --stall), then the normal
                answer
    stallbody   the headers and half the body, then nothing for ARG seconds
                (default --stall), then the rest
    The answer of a reset, truncate, short or stallbody is logged with the
    upstream's status; the request is forwarded once whatever the fault, except for
    slowdown, internal and denied, which never reach s3rver.

ADMIN    GET /__s3fault/CMD, JSON answers, never recorded or counted
    fault?spec=SPEC   add a fault;   faults   the faults and how many each has left
    clear             remove every fault
    reset             forget the recorded requests; the counter of @N/%N restarts
    requests          [{"n","t","method","path","query","headers":[[name,value]...],
                        "status","fault","bytes"}...] in arrival order, once answered
"""

import argparse
import http.client
import http.server
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse

HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
       "te", "trailer", "transfer-encoding", "upgrade", "content-length"}
KINDS = ("slowdown", "internal", "denied", "reset", "truncate", "short", "stall", "stallbody")
ERRORS = {
    "slowdown": (503, "Service Unavailable", "SlowDown", "Please reduce your request rate."),
    "internal": (500, "Internal Server Error", "InternalError", "We encountered an internal error. Please try again."),
    "denied": (403, "Forbidden", "AccessDenied", "Access Denied"),
}


def parse_spec(spec):
    for sep in "@%~":
        if sep in spec:
            head, arg = spec.split(sep, 1)
            break
    else:
        raise ValueError("bad fault spec %r: KIND@N, KIND%%N or KIND~TEXT[*C]" % spec)
    kind, _, karg = head.partition(":")
    if kind not in KINDS:
        raise ValueError("bad fault kind %r (one of %s)" % (kind, ", ".join(KINDS)))
    f = {"spec": spec, "kind": kind, "arg": float(karg) if karg else None, "op": sep, "left": 1}
    if sep == "~":
        if "*" in arg:
            arg, c = arg.rsplit("*", 1)
            f["left"] = int(c) if c else None   # None: every match
        if not arg:
            raise ValueError("bad fault spec %r: empty TEXT" % spec)
        f["text"] = arg
    else:
        f["n"] = int(arg)
        if f["n"] < 1:
            raise ValueError("bad fault spec %r" % spec)
    return f


class State:
    def __init__(self, args):
        self.args = args
        u = urllib.parse.urlsplit(args.upstream)
        self.up_host, self.up_port = u.hostname, u.port or 80
        self.lock = threading.Lock()
        self.faults = []
        self.nreq = 0
        self.ndone = 0
        self.reqlog = []
        self.done = threading.Condition(self.lock)
        self.logf = open(args.log, "a", encoding="utf-8") if args.log else None
        for s in args.fault or []:
            self.faults.append(parse_spec(s))

    def pick(self, n, target):
        dec = urllib.parse.unquote(target)
        for f in self.faults:
            if f["op"] == "@" and f["n"] == n and f["left"] > 0:
                f["left"] -= 1
                return f
            if f["op"] == "%" and n % f["n"] == 0:
                return f
            if f["op"] == "~" and (f["left"] is None or f["left"] > 0) and (f["text"] in target or f["text"] in dec):
                if f["left"] is not None:
                    f["left"] -= 1
                return f
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "s3fault/1"
    sys_version = ""

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    # --- plumbing --------------------------------------------------------------
    def raw(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def head_bytes(self, status, reason, headers):
        lines = ["HTTP/1.1 %d %s" % (status, reason)] + ["%s: %s" % kv for kv in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def forward(self, st, body):
        """(status, reason, [(name, value)], body) of the upstream's answer."""
        hdr = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "host"]
        hdr.append(("Host", "%s:%d" % (st.up_host, st.up_port)))
        if body is not None:
            hdr.append(("Content-Length", str(len(body))))
        c = http.client.HTTPConnection(st.up_host, st.up_port, timeout=120)
        try:
            c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in hdr:
                c.putheader(k, v)
            c.endheaders(body)
            r = c.getresponse()
            data = r.read()
            return r.status, r.reason, [(k, v) for k, v in r.getheaders() if k.lower() not in HOP], data, \
                r.getheader("Content-Length")
        finally:
            c.close()

    def handle_one(self):
        st = self.server.state
        u = urllib.parse.urlsplit(self.path)
        if u.path.startswith("/__s3fault/"):
            return self.admin(st, u.path[len("/__s3fault/"):], urllib.parse.parse_qs(u.query))
        n_len = self.headers.get("Content-Length")
        body = self.rfile.read(int(n_len)) if n_len else None
        with st.lock:
            st.nreq += 1
            n = st.nreq
            f = st.pick(n, self.path)
        rec = {"n": n, "t": time.time(), "method": self.command, "path": u.path, "query": u.query,
               "headers": [[k, v] for k, v in self.headers.items()], "status": 0,
               "fault": f["spec"] if f else None, "bytes": 0}
        try:
            self.serve(st, f, body, rec)
        except (OSError, http.client.HTTPException) as e:
            rec["error"] = str(e)
            self.close_connection = True
        finally:
            with st.lock:
                st.reqlog.append(rec)
                st.reqlog.sort(key=lambda r: r["n"])
                st.ndone += 1
                if st.logf:
                    st.logf.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    st.logf.flush()
                st.done.notify_all()

    def serve(self, st, f, body, rec):
        kind = f["kind"] if f else None
        arg = f["arg"] if f else None
        if kind in ERRORS:
            status, reason, code, msg = ERRORS[kind]
            rid = "%016X" % rec["n"]
            key = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            data = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
                    '<Resource>%s</Resource><RequestId>%s</RequestId><HostId>s3fault</HostId></Error>'
                    % (code, msg, key.replace("&", "&amp;").replace("<", "&lt;"), rid)).encode()
            hdr = [("Content-Type", "application/xml"), ("x-amz-request-id", rid), ("Content-Length", str(len(data)))]
            if self.command == "HEAD":
                data = b""
            self.raw(self.head_bytes(status, reason, hdr) + data)
            rec["status"], rec["bytes"] = status, len(data)
            return
        if kind == "stall":
            time.sleep(arg if arg is not None else st.args.stall)
        status, reason, hdr, data, up_len = self.forward(st, body)
        rec["status"] = status
        nobody = self.command == "HEAD" or status in (204, 304) or 100 <= status < 200
        if nobody:
            if up_len is not None and self.command == "HEAD":
                hdr.append(("Content-Length", up_len))
            elif status not in (204, 304):
                hdr.append(("Content-Length", "0"))
            self.raw(self.head_bytes(status, reason, hdr))
            return
        cut = len(data) // 2 if arg is None else min(len(data), int(arg))
        if kind == "truncate":
            data = data[:cut]
            self.raw(self.head_bytes(status, reason, hdr + [("Content-Length", str(len(data)))]) + data)
            rec["bytes"] = len(data)
            return
        head = self.head_bytes(status, reason, hdr + [("Content-Length", str(len(data)))])
        if kind == "reset":
            self.raw(head + data[:cut])
            rec["bytes"] = cut
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if kind == "short":
            self.raw(head + data[:cut])
            rec["bytes"] = cut
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_WR)
            return
        if kind == "stallbody":
            half = len(data) // 2
            self.raw(head + data[:half])
            rec["bytes"] = half
            time.sleep(arg if arg is not None else st.args.stall)
            self.raw(data[half:])
            rec["bytes"] = len(data)
            return
        self.raw(head + data)
        rec["bytes"] = len(data)

    def admin(self, st, cmd, q):
        def reply(status, obj):
            data = json.dumps(obj, ensure_ascii=False).encode()
            self.raw(self.head_bytes(status, "OK" if status == 200 else "Bad Request",
                                     [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
                     + data)
        with st.lock:
            if cmd == "fault":
                try:
                    st.faults.append(parse_spec((q.get("spec") or [""])[-1]))
                except ValueError as e:
                    return reply(400, {"error": str(e)})
                return reply(200, {"ok": True})
            if cmd == "faults":
                return reply(200, [{"spec": f["spec"], "left": f["left"]} for f in st.faults])
            if cmd == "clear":
                st.faults = []
                return reply(200, {"ok": True})
            if cmd == "reset":
                st.done.wait_for(lambda: st.ndone >= st.nreq, timeout=5)
                st.reqlog, st.nreq, st.ndone = [], 0, 0
                return reply(200, {"ok": True})
            if cmd == "requests":
                st.done.wait_for(lambda: st.ndone >= st.nreq, timeout=5)
                return reply(200, st.reqlog)
        return reply(404, {"error": "no such admin command"})

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = handle_one


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main(argv=None):
    ap = argparse.ArgumentParser(description="a fault proxy in front of s3rver (see the module docstring)")
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--fault", action="append")
    ap.add_argument("--stall", type=float, default=30)
    args = ap.parse_args(argv)
    try:
        state = State(args)
    except ValueError as e:
        ap.error(str(e))
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.state = state
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".tmp", args.port_file)
    print("s3fault: listening on 127.0.0.1:%d, forwarding to %s" % (port, args.upstream), file=sys.stderr, flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
