"""List pages parsed in a child process, so that parsing and landing run on two cores.

Why: decoding a page with orjson, validating its objects and re-serialising their payloads is most
of the reader's CPU (about 15 us of a 2.6 KB charge's 20), and the writer (Arrow, DuckDB) shares
the process's one GIL with it. The child runs `pages.parse_page` on the answer's bytes and sends
back the rows and rejects; the reader thread waits for them (GIL released), then goes on as if it
had parsed the page itself: same rows, same order, same cursor.

The child is a plain `python -m pipelines.stripe.parse_worker` (not multiprocessing: that would
import the parent's `__main__`, Dagster's or pytest's, in the child) speaking length-prefixed
pickles over its stdin and stdout. It imports orjson and the validation rules only (about 25 MB)
and holds one page at a time. One child serves every reader thread of a run, one page at a time;
if it cannot be started or dies, pages are parsed in the reader threads again (logged), so a run
never depends on it. It exits when its stdin closes, so it never outlives its parent.

The parent names the protocol it speaks (`PROTOCOL`) on the child's command line, and a child of
another version exits at once: the parent then reads end-of-file and parses in its threads. Without
it, a parent that imported this module before a checkout changed it, starting a child of the new
code, deadlocked: each read its pipe for a message framed the other way (seen once in session 6,
when the request framing changed under a running day's ingest).
"""
from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from pathlib import Path

from pipelines.stripe.pages import ParsedPage, parse_page
from pipelines.stripe.records import Row

log = logging.getLogger(__name__)

# bump when the bytes on the pipe change (2: the body after the pickled arguments, rows as columns)
PROTOCOL = 2
_HEADER = struct.Struct("<Q")
_REQUEST = struct.Struct("<QQ")      # lengths of the pickled arguments after the body, of the body


def _read_exact(stream, n: int) -> bytes:
    buf = stream.read(n)
    if buf is None or len(buf) != n:
        raise EOFError("the parser process closed its pipe")
    return buf


class PageParser:
    """`parse(...)` = `pages.parse_page(...)`, run in the child process when `enabled`.

    One child: on this project's two cores the writer needs the other one."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._failed = False

    def parse(self, body: bytes, object_type: str, table: str, account: str | None,
              api_version: str | None, observed_at: int) -> ParsedPage:
        args = (body, object_type, table, account, api_version, observed_at)
        if self.enabled and not self._failed:
            with self._lock:
                try:
                    if self._proc is None:
                        self._proc = self._start()
                    kind, value = self._call(args)
                except Exception as exc:   # no child, or it died: parse here from now on
                    self._failed = True
                    log.warning("page parser process unavailable (%s); parsing in the reader "
                                "threads", exc)
                    self._stop()
                else:
                    if kind == "error":
                        raise ValueError(value)
                    return _unpack(value)
        return parse_page(*args)

    def _start(self, protocol: int = PROTOCOL) -> subprocess.Popen:
        root = str(Path(__file__).resolve().parents[2])
        # the child needs no credentials: the API key and the warehouse URL stay in the parent
        env = {k: v for k, v in os.environ.items()
               if not (k.startswith(("STRIPE", "WAREHOUSE", "PG"))
                       or any(w in k for w in ("KEY", "SECRET", "PASSWORD", "TOKEN")))}
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        return subprocess.Popen([sys.executable, "-m", "pipelines.stripe.parse_worker", str(protocol)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=root)

    def _call(self, args) -> tuple[str, object]:
        assert self._proc is not None and self._proc.stdin and self._proc.stdout
        # the page's bytes go as they are after the pickled rest (pickling them copied the page)
        body, rest = args[0], pickle.dumps(args[1:], protocol=pickle.HIGHEST_PROTOCOL)
        self._proc.stdin.write(_REQUEST.pack(len(rest), len(body)))
        self._proc.stdin.write(rest)
        self._proc.stdin.write(body)
        self._proc.stdin.flush()
        n, = _HEADER.unpack(_read_exact(self._proc.stdout, _HEADER.size))
        return pickle.loads(_read_exact(self._proc.stdout, n))

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except Exception:
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout:
                proc.stdout.close()

    def close(self) -> None:
        with self._lock:
            self._stop()


# A page's rows cross the pipe as columns (one tuple per Row field), not as Row tuples: pickle then
# writes each field's repeated values (table, account, source...) once by reference and the
# parent rebuilds the rows in C, about 1 us per row less on each side than pickling the named
# tuples, and the parent's side shares its GIL with the writer.
def _pack(page: ParsedPage) -> tuple:
    return page._replace(rows=tuple(zip(*page.rows)))


def _unpack(packed: tuple) -> ParsedPage:
    page = ParsedPage._make(packed)
    new = tuple.__new__
    return page._replace(rows=[new(Row, fields) for fields in zip(*page.rows)])


def serve(inp, out) -> None:
    """The child's loop: `parse_page`'s arguments in (the body's bytes after the pickled others),
    ("ok", packed ParsedPage) or ("error", reason) out, until stdin closes."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 10, 10)     # pages make many short-lived dicts and no cycles
    while True:
        head = inp.read(_REQUEST.size)
        if len(head) < _REQUEST.size:
            return
        n_rest, n_body = _REQUEST.unpack(head)
        rest = pickle.loads(_read_exact(inp, n_rest))
        args = (_read_exact(inp, n_body), *rest)
        try:
            reply = ("ok", tuple(_pack(parse_page(*args))))
        except ValueError as exc:
            reply = ("error", str(exc))
        msg = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(msg)))
        out.write(msg)
        out.flush()


if __name__ == "__main__":
    import signal

    # Ctrl-C reaches the whole process group: the parent handles it and closes our stdin
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.argv[1:] != [str(PROTOCOL)]:
        print(f"parse_worker: the parent speaks protocol {sys.argv[1:] or 'unnamed'}, this child "
              f"{PROTOCOL}: exiting (the parent parses in its threads)", file=sys.stderr)
        sys.exit(2)
    # the protocol owns fd 1: anything printed goes to stderr
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, protocol_out)
