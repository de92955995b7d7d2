#!/usr/bin/env python3
"""hostile.py: a hostile HTTP server on loopback, for t/3140-aq-fetch-hostile-servers.t.

Python 3 standard library only.  Raw sockets, not http.server, so that it can
send what no well-behaved server would: a body that never ends, a broken chunked
encoding, one byte a second.  Each request is answered by the mode its path
names (the last path component, so that aq-fetch --base-url http://H:P/v3 get
/MODE reaches it as /v3/MODE?limit=1000&page=1); every connection is closed
after one answer.

USAGE
    python3 t/hostile.py --port-file F --log FILE [--redirect-to URL]
    --port-file F    once listening, write the port to F (F.tmp, then rename)
    --log FILE       every request as it came: one JSON line
                     {"t", "peer", "request": "GET /path HTTP/1.1",
                      "headers": [[name, value], ...]}, flushed at once.  The
                     headers are recorded as sent, the key too: the test greps
                     this file to see whether a key reached this server.
    --redirect-to U  the Location of the "redirect" mode (U + the request path)
    --key K          the key the "echo" mode echoes back (default: the
                     request's X-API-Key)

MODES (the last component of the request path)
    ok          200 {"meta":{"found":1},"results":[{"id":1,"name":"fine"}]}: a
                well-formed page
    endless     200, no Content-Length, "{"results":[" then "0," without end,
                as fast as the client reads
    bigstring   200, {"results":[{"name":"<10 MB of x>"}]} (a valid page)
    badutf8     200, {"results":[{"name":"<overlong C0 80, surrogate ED A0 80,
                F5 lead byte>"}]}
    lonesurrogate  200, {"results":[{"name":"a\\udc00b"}]}: valid UTF-8 that
                escapes a lone UTF-16 surrogate
    deep        200, {"results":[ + 1,000,000 "[" + 1,000,000 "]" + ]}
    notarray    200, {"meta":{},"results":{"id":1}}
    notarray2   200, {"meta":{},"results":"1000 results"}
    samepage    200, the same "limit" records for every page (an endpoint
                that ignores "page"), its meta naming the page asked for
    rlneg       200 "ok" page, x-ratelimit-remaining: -5, x-ratelimit-reset: -30
    rlhuge      200 "ok" page, x-ratelimit-remaining: 0,
                x-ratelimit-reset: 99999999999999999999999
    rlnan       200 "ok" page, x-ratelimit-remaining: 0, x-ratelimit-reset: soon
    wide        200, a valid page of 100 MB: one array of 50 million zeros
    redirect    302 to --redirect-to (and 301/307/308 as redirect301 ...)
    badchunk    200, Transfer-Encoding: chunked, a chunk whose size line is not hex
    shortchunk  200, chunked, a chunk of 1000 announced, 11 sent, then the
                connection closed
    slow        200 with a Content-Length, the body one byte a second
    slowhead    the status line and headers one byte a second
    escape      503 text/plain: ESC sequences, CR, a forged "aq-fetch:" line,
                C1 CSI, a BEL, a backspace
    escape200   200 whose body is not JSON and holds the same bytes
    echo        500 text/html whose title echoes the key, raw and percent-encoded
    echo404     404 {"detail": "no such key <key>"}

S3 MODES (the first path component: aq-fetch archive --archive-url
http://H:P/s3-MODE lists /s3-MODE?list-type=2&prefix=... path style)
    s3-endlesslist   every listing page is truncated, with a new token and 1000
                     keys under the prefix that are not day files, without end
    s3-sametoken     every listing page is truncated, empty, with the same token
    s3-outside       a listing of two day files: one of another location (999),
                     one under the prefix
    s3-twice         a listing of one day file, on two pages (the same key twice)
    s3-endlessobj    a sound listing of one day file (Jan 1 of the listed year)
                     whose object is 200 without a Content-Length and never ends
    s3-gzbomb        the same, whose object is 1 MB of gzip that inflates to 1 GB
                     (by hand only: aq-fetch's 512 MB cap on an inflated object
                     takes 1.2 GB and half a minute under ASan)
"""

import argparse
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

OK_PAGE = b'{"meta":{"found":1},"results":[{"id":1,"name":"fine"}]}'
NASTY = (b"\x1b[2J\x1b]0;owned\x07bad\rok\r\naq-fetch: all records written\n"
         b"aq-fetch: \x1b[32mdone\x1b[0m \xc2\x9b31m \x08\x08X")


def log_request(args, lock, peer, reqline, headers):
    rec = {"t": time.time(), "peer": peer, "request": reqline, "headers": headers}
    with lock:
        with open(args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
            f.flush()


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        b = conn.recv(4096)
        if not b:
            return None
        data += b
        if len(data) > 65536:
            return None
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    headers = []
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            headers.append([k, v.strip()])
    return lines[0], headers


def head(status, reason, hdrs=(), length=None, ctype="application/json"):
    out = ["HTTP/1.1 %d %s" % (status, reason), "Connection: close"]
    if ctype:
        out.append("Content-Type: " + ctype)
    if length is not None:
        out.append("Content-Length: %d" % length)
    out += ["%s: %s" % kv for kv in hdrs]
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")


def whole(conn, status, reason, body, hdrs=(), ctype="application/json"):
    conn.sendall(head(status, reason, hdrs, len(body), ctype) + body)


def listing(prefix, keys, truncated, token, size=1000):
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
           "<Name>b</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount>" % (prefix, len(keys)),
           "<IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false")]
    if token:
        out.append("<NextContinuationToken>%s</NextContinuationToken>" % token)
    for k in keys:
        out.append('<Contents><Key>%s</Key><LastModified>2024-01-05T00:00:00.000Z</LastModified>'
                   '<ETag>"0123456789abcdef0123456789abcdef"</ETag><Size>%d</Size>'
                   '<StorageClass>STANDARD</StorageClass></Contents>' % (k, size))
    out.append("</ListBucketResult>")
    return "".join(out).encode()


GZBOMB = []


def gzbomb():
    if not GZBOMB:
        import zlib
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        zero = b"\0" * (1 << 20)
        GZBOMB.append(b"".join([z.compress(zero) for _ in range(1024)] + [z.flush()]))
    return GZBOMB[0]


def serve_s3(conn, mode, target):
    u = urllib.parse.urlsplit(target)
    q = urllib.parse.parse_qs(u.query)
    if "list-type" in q:
        prefix = q.get("prefix", [""])[0]
        token = q.get("continuation-token", [""])[0]
        year = prefix.rstrip("/").rsplit("=", 1)[-1]
        loc = prefix.split("locationid=")[-1].split("/")[0]
        if mode == "s3-endlesslist":
            n = int(token[1:] or 0) if token.startswith("t") else 0
            keys = ["%sjunk/p%08d-%04d.txt" % (prefix, n, i) for i in range(1000)]
            body = listing(prefix, keys, True, "t%d" % (n + 1))
        elif mode == "s3-sametoken":
            body = listing(prefix, [], True, "same")
        elif mode == "s3-twice":
            keys = ["%smonth=01/location-%s-%s0101.csv.gz" % (prefix, loc, year)]
            body = listing(prefix, keys, token == "", "" if token else "p2")
        elif mode == "s3-outside":
            keys = ["records/csv.gz/locationid=999/year=%s/month=01/location-999-%s0101.csv.gz" % (year, year),
                    "%smonth=01/location-%s-%s0101.csv.gz" % (prefix, loc, year)]
            body = listing(prefix, keys, False, None)
        else:
            keys = ["%smonth=01/location-%s-%s0101.csv.gz" % (prefix, loc, year)]
            body = listing(prefix, keys, False, None, len(gzbomb()) if mode == "s3-gzbomb" else 1000)
        whole(conn, 200, "OK", body, ctype="application/xml")
    elif mode == "s3-endlessobj":
        conn.sendall(head(200, "OK", ctype="application/octet-stream"))
        chunk = b"2178,3919,x,2024-01-01T01:00:00+00:00,1,2,pm25,ug/m3,1\n" * 1000
        while True:
            conn.sendall(chunk)
    elif mode == "s3-gzbomb":
        whole(conn, 200, "OK", gzbomb(), ctype="application/octet-stream")
    else:
        whole(conn, 404, "Not Found", b"<Error><Code>NoSuchKey</Code></Error>", ctype="application/xml")


def serve(args, lock, conn, peer):
    got = read_head(conn)
    if got is None:
        return
    reqline, headers = got
    log_request(args, lock, peer, reqline, headers)
    try:
        target = reqline.split(" ")[1]
    except IndexError:
        return
    path = urllib.parse.urlsplit(target).path
    if path.startswith("/s3-"):
        return serve_s3(conn, path[1:].split("/", 1)[0], target)
    mode = path.rstrip("/").rsplit("/", 1)[-1]
    key = args.key
    if key is None:
        key = next((v for k, v in headers if k.lower() == "x-api-key"), "")

    if mode == "ok":
        whole(conn, 200, "OK", OK_PAGE)
    elif mode == "endless":
        conn.sendall(head(200, "OK") + b'{"meta":{},"results":[')
        chunk = b"0," * 32768
        while True:
            conn.sendall(chunk)
    elif mode == "bigstring":
        whole(conn, 200, "OK", b'{"meta":{},"results":[{"id":1,"name":"' + b"x" * (10 << 20) + b'"}]}')
    elif mode == "badutf8":
        whole(conn, 200, "OK", b'{"meta":{},"results":[{"id":1,"name":"a\xc0\x80b\xed\xa0\x80c\xf5\x80\x80\x80d"}]}')
    elif mode == "lonesurrogate":
        whole(conn, 200, "OK", b'{"meta":{},"results":[{"id":1,"name":"a\\udc00b"}]}')
    elif mode == "deep":
        n = 1000000
        whole(conn, 200, "OK", b'{"meta":{},"results":[' + b"[" * n + b"]" * n + b"]}")
    elif mode == "notarray":
        whole(conn, 200, "OK", b'{"meta":{},"results":{"id":1}}')
    elif mode == "notarray2":
        whole(conn, 200, "OK", b'{"meta":{},"results":"1000 results"}')
    elif mode == "samepage":
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        limit = int(q.get("limit", ["100"])[0])
        page = int(q.get("page", ["1"])[0])
        recs = ",".join('{"id":%d,"name":"s%d"}' % (i, i) for i in range(1, limit + 1))
        whole(conn, 200, "OK", ('{"meta":{"page":%d,"limit":%d,"found":">%d"},"results":[%s]}'
                                % (page, limit, limit, recs)).encode())
    elif mode == "rlneg":
        whole(conn, 200, "OK", OK_PAGE, [("x-ratelimit-remaining", "-5"), ("x-ratelimit-reset", "-30")])
    elif mode == "rlhuge":
        whole(conn, 200, "OK", OK_PAGE, [("x-ratelimit-remaining", "0"),
                                         ("x-ratelimit-reset", "9" * 23)])
    elif mode == "rlnan":
        whole(conn, 200, "OK", OK_PAGE, [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "soon")])
    elif mode == "wide":
        n = 50 << 20
        whole(conn, 200, "OK", b'{"meta":{},"results":[' + b"0," * n + b'0]}')
    elif mode.startswith("redirect"):
        code = int(mode[8:] or 302)
        loc = (args.redirect_to or "http://localhost:1") + target
        whole(conn, code, "Moved", b'{"detail":"moved"}', [("Location", loc)])
    elif mode == "badchunk":
        conn.sendall(head(200, "OK", [("Transfer-Encoding", "chunked")]) +
                     b"10\r\n" + b'{"results":[1,2,' + b"\r\nzz;x\r\n" + b"garbage" * 20)
    elif mode == "shortchunk":
        conn.sendall(head(200, "OK", [("Transfer-Encoding", "chunked")]) +
                     b"3e8\r\n" + b'{"results":')
    elif mode == "slow":
        body = OK_PAGE
        conn.sendall(head(200, "OK", length=len(body)))
        for i in range(len(body)):
            conn.sendall(body[i:i + 1])
            time.sleep(1)
    elif mode == "slowhead":
        h = head(200, "OK", length=len(OK_PAGE)) + OK_PAGE
        for i in range(len(h)):
            conn.sendall(h[i:i + 1])
            time.sleep(1)
    elif mode == "escape":
        whole(conn, 503, "Service Unavailable", NASTY, ctype="text/plain")
    elif mode == "escape200":
        whole(conn, 200, "OK", NASTY, ctype="text/plain")
    elif mode == "echo":
        q = urllib.parse.quote(key, safe="")
        whole(conn, 500, "Internal Server Error",
              ("<html><head><title>bad key %s (%s)</title></head><body>%s</body></html>" %
               (key, q, key)).encode(), ctype="text/html")
    elif mode == "echo404":
        whole(conn, 404, "Not Found", json.dumps({"detail": "no such key " + key}).encode())
    else:
        whole(conn, 404, "Not Found", b'{"detail":"Not Found"}')


def handle(args, lock, conn, peer):
    try:
        serve(args, lock, conn, peer)
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--redirect-to")
    ap.add_argument("--key")
    args = ap.parse_args()
    lock = threading.Lock()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    open(args.log, "a").close()
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        conn, addr = s.accept()
        threading.Thread(target=handle, args=(args, lock, conn, "%s:%d" % addr), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
