#!/usr/bin/env python3
"""Measure the cold start of the soar Lambda binaries on this machine.

A loopback stub of the Lambda Runtime API (and of every AWS API the handler
calls) runs on 127.0.0.1. Each run execs a binary with the environment Lambda
gives a function, times exec -> the first response, serves a second event to
time a warm invocation, then kills the process and reads its peak RSS. The two
binaries (soar-decide and the bare baseline, examples/lambda/examples/bare.rs)
alternate run by run, so both are measured in the same sitting.

    cargo build --release -p soar-lambda --bin soar-decide --example bare
    python3 scripts/coldstart.py --runs 20 [--json]

The stub answers every AWS API request at once with HTTP 400
AccessDeniedException, so the SDK does not retry and the pipeline degrades as
it does without AWS Organizations: what is measured is the handler's own
start-up and work, plus one loopback round trip per AWS call.

Nothing but 127.0.0.1 is ever contacted: the stub binds to it, the binaries
get AWS_ENDPOINT_URL pointing at it, fake static credentials, and
AWS_EC2_METADATA_DISABLED=true; --env accepts only variables that cannot
change where a binary connects.

Peak RSS is VmHWM from /proc/<pid>/status, read just before the kill. The
ru_maxrss that os.wait4 returns is in the JSON too (rusage_maxrss_kib), but on
Linux it is not the binary's: at exec the kernel folds the peak RSS of the
address space being replaced (this Python process's, about 20 MiB) into the
child's ru_maxrss, so it reads the same for both binaries.

Python 3.11 standard library only. Exits 1 when a binary never answers (or
fails at init), 2 on bad arguments or a missing binary.
"""

from __future__ import annotations

import argparse
import http.server
import json
import math
import os
import resource
import signal
import socketserver
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PREFIX = "/2018-06-01/runtime/"
DENIED = json.dumps({"__type": "AccessDeniedException", "message": "coldstart stub"}).encode()
MIB = 1024 * 1024
# What --env may set: the handler's settings and knobs of the process itself,
# nothing that moves an endpoint, a credential source or a proxy.
ENV_ALLOWED = ("SOAR_", "RUST_", "SSL_CERT_", "MALLOC_", "GLIBC_TUNABLES", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")


def now_ns() -> int:
    return time.perf_counter_ns()


@dataclass
class Run:
    """One process: what the stub saw of it, with times in perf_counter ns."""

    binary: str
    index: int
    event: bytes
    function_name: str
    invocations: int = 2
    ids: list[str] = field(default_factory=list)
    next_at: list[int] = field(default_factory=list)  # each GET next arrived
    sent_at: list[int] = field(default_factory=list)  # each event written
    answered_at: list[int] = field(default_factory=list)  # each response/error arrived
    outcomes: list[str] = field(default_factory=list)  # "response" or "error"
    init_error: str | None = None
    init_error_at: int | None = None
    aws_calls: list[str] = field(default_factory=list)
    # by how many invocations had been answered when the call arrived:
    # 0 is the cold invocation (or init), 1 the warm one
    aws_calls_by_invocation: dict[int, list[str]] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)
    released: threading.Event = field(default_factory=threading.Event)


class Stub(http.server.ThreadingHTTPServer):
    """The Runtime API and AWS endpoint of one process, on a port of its own:
    a request that a killed process left in a socket buffer reaches its own
    (finished) stub, never the next run's."""

    daemon_threads = True

    def __init__(self, run: Run, hold_seconds: float) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.run: Run | None = run
        self.by_id: dict[str, Run] = {}
        self.lock = threading.Lock()
        self.hold_seconds = hold_seconds
        self.stray: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        # It stops itself even if nobody stops it.
        self.stopper = threading.Timer(hold_seconds + 30, self.shutdown)
        self.stopper.daemon = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the address up (socket.getfqdn), which
        # may ask a DNS server: bind without it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def __enter__(self) -> "Stub":
        self.thread.start()
        self.stopper.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopper.cancel()
        self.shutdown()
        self.server_close()

    def handle_error(self, request: object, client_address: object) -> None:
        # A killed process drops its connections: that is how every run ends.
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    @property
    def port(self) -> int:
        return self.server_address[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 30  # a silent connection is dropped, never waited on forever
    server: Stub

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self) -> None:  # noqa: N802
        self.dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self.dispatch()

    def do_PUT(self) -> None:  # noqa: N802
        self.dispatch()

    def do_DELETE(self) -> None:  # noqa: N802
        self.dispatch()

    def do_HEAD(self) -> None:  # noqa: N802
        self.dispatch()

    def dispatch(self) -> None:
        arrived = now_ns()
        body = self.read_body()
        path = self.path.split("?", 1)[0]
        if not path.startswith(RUNTIME_PREFIX):
            self.aws(body)
            return
        rest = path[len(RUNTIME_PREFIX):]
        if self.command == "GET" and rest == "invocation/next":
            self.next_event(arrived)
        elif self.command == "POST" and rest.startswith("invocation/"):
            parts = rest.split("/")
            if len(parts) == 3 and parts[2] in ("response", "error"):
                self.answered(arrived, parts[1], parts[2], body)
            else:
                self.reply(404)
        elif self.command == "POST" and rest == "init/error":
            run = self.server.run
            if run is not None:
                with run.cond:
                    run.init_error_at = arrived
                    run.init_error = body.decode("utf-8", "replace")[:2000]
                    run.cond.notify_all()
            self.reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
        else:
            self.reply(404)

    def aws(self, body: bytes) -> None:
        target = self.headers.get("X-Amz-Target")
        if not target:
            action = ""
            if b"Action=" in body:
                action = body.split(b"Action=", 1)[1].split(b"&", 1)[0].decode("ascii", "replace")
            target = f"{self.command} {self.path.split('?', 1)[0]}" + (f" Action={action}" if action else "")
        run = self.server.run
        if run is not None:
            with run.cond:
                run.aws_calls.append(target)
                run.aws_calls_by_invocation.setdefault(len(run.answered_at), []).append(target)
        self.reply(
            400,
            DENIED,
            {
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amzn-ErrorType": "AccessDeniedException",
                "X-Amzn-RequestId": str(uuid.uuid4()),
            },
        )

    def next_event(self, arrived: int) -> None:
        run = self.server.run
        if run is None:
            self.reply(503)
            return
        with run.cond:
            run.next_at.append(arrived)
            n = len(run.next_at)
            run.cond.notify_all()
        if n > run.invocations:
            # Hold the long poll, as Lambda does between invocations, until the
            # process is killed (or the hold times out).
            run.released.wait(self.server.hold_seconds)
            try:
                self.reply(410)
            except OSError:
                pass
            return
        request_id = f"coldstart-{run.binary}-{run.index}-{n}-{uuid.uuid4().hex[:8]}"
        with self.server.lock:
            self.server.by_id[request_id] = run
        deadline_ms = int(time.time() * 1000) + 900_000
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": (
                f"arn:aws:lambda:us-east-1:123456789012:function:{run.function_name}"
            ),
            "Lambda-Runtime-Trace-Id": (
                f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
                f"Parent={uuid.uuid4().hex[:16]};Sampled=0"
            ),
        }
        self.reply(200, run.event, headers)
        sent = now_ns()
        with run.cond:
            run.ids.append(request_id)
            run.sent_at.append(sent)
            run.cond.notify_all()

    def answered(self, arrived: int, request_id: str, kind: str, body: bytes) -> None:
        with self.server.lock:
            run = self.server.by_id.get(request_id)
        if run is None:
            self.server.stray.append(request_id)
            self.reply(400, b'{"errorMessage":"unknown request id"}', {"Content-Type": "application/json"})
            return
        with run.cond:
            run.answered_at.append(arrived)
            run.outcomes.append(kind if kind == "response" else f"error: {body[:300].decode('utf-8', 'replace')}")
            run.cond.notify_all()
        self.reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})


class NeverAnswered(Exception):
    pass


def lambda_environment(binary: str, port: int, scratch: Path) -> dict[str, str]:
    """What Lambda sets for a function, with nothing from this shell: no
    SOAR_* variables (so the defaults apply), no RUST_LOG, no profile files."""
    return {
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": binary,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/01/01/[$LATEST]{uuid.uuid4().hex}",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{binary}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDCOLDSTARTSTUB000",
        "AWS_SECRET_ACCESS_KEY": "coldstart-stub-secret-not-a-real-key",
        "AWS_SESSION_TOKEN": "coldstart-stub-session-token",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_EC2_METADATA_DISABLED": "true",
        # An empty home: ~/.aws/config and ~/.aws/credentials do not exist,
        # as in Lambda, so nobody's real profile is read.
        "HOME": str(scratch),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
    }


def describe_status(status: int | None) -> str:
    if status is None:
        return "still running"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return "killed at the timeout" if sig == signal.SIGKILL else f"killed by signal {sig}"
    return f"exited with code {os.waitstatus_to_exitcode(status)}"


def memory_kib(pid: int) -> dict[str, int]:
    """VmHWM, the peak RSS of the process's own address space (since its
    exec), and what it is made of now: anonymous memory (heap, stacks) and
    file pages (the binary's code and data that were touched)."""
    wanted = {"VmHWM": "peak", "RssAnon": "anon", "RssFile": "file"}
    found: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in wanted:
                found[wanted[key]] = int(line.split()[1])
    except OSError:
        pass
    return found


CHILD: dict[str, int] = {}  # the process running now, for the watchdog


def measure(run: Run, path: Path, scratch: Path, timeout: float, extra_env: dict[str, str]) -> dict:
    with Stub(run, timeout) as stub:
        return measure_on(stub, run, path, scratch, timeout, extra_env)


def measure_on(stub: Stub, run: Run, path: Path, scratch: Path, timeout: float, extra_env: dict[str, str]) -> dict:
    env = lambda_environment(run.binary, stub.port, scratch) | extra_env
    log = scratch / f"{run.binary}-{run.index}.log"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        started = now_ns()
        pid = os.posix_spawn(
            str(path),
            [str(path)],
            env,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, fd, 1),
                (os.POSIX_SPAWN_DUP2, fd, 2),
            ],
        )
        CHILD["pid"] = pid
    finally:
        os.close(fd)
    status = None
    rusage = None
    memory: dict[str, int] = {}
    try:
        deadline = time.monotonic() + timeout
        with run.cond:
            while len(run.answered_at) < run.invocations and run.init_error is None:
                if time.monotonic() > deadline:
                    break
                run.cond.wait(0.05)
                if status is None:
                    done, status, rusage = os.wait4(pid, os.WNOHANG)
                    if done == 0:
                        status = None
                    else:
                        break
        if status is None:
            memory = memory_kib(pid)
    finally:
        killed = status is None
        if killed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status, rusage = os.wait4(pid, 0)
        CHILD.pop("pid", None)
        run.released.set()
    complete = len(run.answered_at) >= run.invocations and run.init_error is None
    if not complete:
        tail = log.read_text(errors="replace")[-2000:]
        what = (
            f"reported an init error {(run.init_error_at - started) / 1e6:.1f} ms after exec: {run.init_error}"
            if run.init_error
            else f"answered {len(run.answered_at)} of {run.invocations} invocations"
            + (f" within {timeout:.0f} s" if killed else "")
            + f" (polled {len(run.next_at)} times, {len(run.sent_at)} events sent; {describe_status(status)})"
        )
        raise NeverAnswered(f"{run.binary} (run {run.index}) {what}\n--- its output ---\n{tail}")
    return {
        "cold_ms": (run.answered_at[0] - started) / 1e6,
        "init_ms": (run.next_at[0] - started) / 1e6,
        "first_invoke_ms": (run.answered_at[0] - run.sent_at[0]) / 1e6,
        "warm_ms": (run.answered_at[1] - run.sent_at[1]) / 1e6,
        "peak_rss_kib": memory.get("peak"),
        "rss_anon_kib": memory.get("anon"),
        "rss_file_kib": memory.get("file"),
        "rusage_maxrss_kib": rusage.ru_maxrss if rusage else None,
        "outcomes": list(run.outcomes),
        "aws_calls": list(run.aws_calls),
        "aws_calls_cold": run.aws_calls_by_invocation.get(0, []),
        "aws_calls_warm": run.aws_calls_by_invocation.get(1, []),
        "log": str(log),
    }


def machine_busy_seconds() -> float | None:
    """CPU time every core has spent busy since boot (Linux /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median_mib(samples: list[dict], key: str) -> float | None:
    values = [s[key] for s in samples if s.get(key) is not None]
    return statistics.median(values) / 1024 if values else None


def summarise(samples: list[dict], size: int) -> dict:
    cold = [s["cold_ms"] for s in samples]
    rss = [s["peak_rss_kib"] for s in samples if s["peak_rss_kib"] is not None]
    return {
        "runs": len(samples),
        "cold_median_ms": statistics.median(cold),
        "cold_p90_ms": percentile(cold, 90),
        "cold_min_ms": min(cold),
        "cold_max_ms": max(cold),
        "init_median_ms": statistics.median(s["init_ms"] for s in samples),
        "first_invoke_median_ms": statistics.median(s["first_invoke_ms"] for s in samples),
        "warm_median_ms": statistics.median(s["warm_ms"] for s in samples),
        "peak_rss_median_mib": statistics.median(rss) / 1024 if rss else None,
        "rss_anon_median_mib": median_mib(samples, "rss_anon_kib"),
        "rss_file_median_mib": median_mib(samples, "rss_file_kib"),
        "size_mib": size / MIB,
        "size_bytes": size,
        "aws_calls_per_run": statistics.median(len(s["aws_calls"]) for s in samples),
    }


def table(summary: dict[str, dict], names: list[str]) -> str:
    columns = [
        ("cold median ms", "cold_median_ms", "{:.2f}"),
        ("cold p90 ms", "cold_p90_ms", "{:.2f}"),
        ("init median ms", "init_median_ms", "{:.2f}"),
        ("warm median ms", "warm_median_ms", "{:.3f}"),
        ("peak RSS MiB", "peak_rss_median_mib", "{:.1f}"),
        ("size MiB", "size_mib", "{:.1f}"),
    ]
    rows = [["binary"] + [c[0] for c in columns]]
    for name in names:
        s = summary[name]
        rows.append([name] + [fmt.format(s[key]) if s[key] is not None else "-" for _, key, fmt in columns])
    if len(names) == 2:
        a, b = (summary[n] for n in names)
        ratio = [f"{a[key] / b[key]:.2f}x" if a[key] and b[key] else "-" for _, key, _ in columns]
        rows.append([f"{names[0]} / {names[1]}"] + ratio)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[0]) if j == 0 else cell.rjust(widths[j]) for j, cell in enumerate(r)))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="cold starts per binary (default 20)")
    parser.add_argument("--warmup", type=int, default=1, help="discarded runs per binary first, to fill the page cache (default 1)")
    parser.add_argument("--decide", type=Path, default=None, help="soar-decide binary (default target/release/soar-decide)")
    parser.add_argument("--bare", type=Path, default=None, help="bare baseline (default target/release/examples/bare)")
    parser.add_argument("--event", type=Path, default=ROOT / "testdata/asff/securityhub-fsbp-s3-8-failed.json")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a process may take to answer both invocations (default 10)")
    parser.add_argument("--json", action="store_true", help="machine output: summaries and every sample")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="add a variable to both binaries' environment, for experiments (e.g. SOAR_ORGANIZATIONS=false,"
        " SSL_CERT_DIR=/empty); repeatable; the reference measurement sets none",
    )
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0 or args.timeout <= 0:
        parser.error("--runs must be at least 1, --warmup at least 0, --timeout positive")
    extra_env = {}
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--env takes NAME=VALUE, not {item!r}")
        if not name.startswith(ENV_ALLOWED):
            parser.error(
                f"--env may not set {name}: only {', '.join(ENV_ALLOWED)}*, so that nothing can"
                " point a binary away from the loopback stub"
            )
        extra_env[name] = value

    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binaries = {
        "soar-decide": args.decide or target / "release/soar-decide",
        "bare": args.bare or target / "release/examples/bare",
    }
    for name, path in binaries.items():
        if not os.access(path, os.X_OK):
            print(
                f"coldstart: {name} not found at {path}; build it with\n"
                "  cargo build --release -p soar-lambda --bin soar-decide --example bare",
                file=sys.stderr,
            )
            return 2
    try:
        event = args.event.read_bytes()
        json.loads(event)
    except (OSError, ValueError) as e:
        print(f"coldstart: cannot use event {args.event}: {e}", file=sys.stderr)
        return 2

    # Whatever happens, the sitting ends after the longest it could take.
    budget = (args.runs + args.warmup) * len(binaries) * (args.timeout + 2) + 30

    def give_up() -> None:
        print(f"coldstart: gave up after {budget:.0f} s", file=sys.stderr)
        if "pid" in CHILD:
            try:
                os.kill(CHILD["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
        os._exit(1)

    watchdog = threading.Timer(budget, give_up)
    watchdog.daemon = True
    watchdog.start()

    names = list(binaries)
    samples: dict[str, list[dict]] = {n: [] for n in names}
    # How busy the rest of the machine was: on a shared machine, other work
    # on the cores shows up as scheduler-tick (4 ms) steps in the times.
    busy_before, own_before, wall_before = machine_busy_seconds(), own_cpu_seconds(), time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="coldstart-") as scratch_dir:
            scratch = Path(scratch_dir)
            for index in range(args.warmup + args.runs):
                # Alternate the order too, so neither binary always runs
                # right after the other.
                order = names if index % 2 == 0 else names[::-1]
                for name in order:
                    run = Run(binary=name, index=index, event=event, function_name=name)
                    sample = measure(run, binaries[name], scratch, args.timeout, extra_env)
                    if index >= args.warmup:
                        samples[name].append(sample)
    except NeverAnswered as e:
        print(f"coldstart: {e}", file=sys.stderr)
        return 1
    finally:
        watchdog.cancel()

    wall = time.monotonic() - wall_before
    busy_after = machine_busy_seconds()
    others = None
    if busy_before is not None and busy_after is not None and wall > 0:
        others = max(0.0, (busy_after - busy_before) - (own_cpu_seconds() - own_before)) / wall
    summary = {n: summarise(samples[n], os.path.getsize(binaries[n])) for n in names}
    errors = {n: sorted({o for s in samples[n] for o in s["outcomes"] if o != "response"}) for n in names}
    if args.json:
        out = {
            "runs": args.runs,
            "warmup": args.warmup,
            "event": str(args.event),
            "cores": os.cpu_count(),
            "extra_env": extra_env,
            "other_load_cores": others,
            "binaries": {n: str(p) for n, p in binaries.items()},
            "summary": summary,
            "ratio": {
                key: summary[names[0]][key] / summary[names[1]][key]
                for key in ("cold_median_ms", "cold_p90_ms", "warm_median_ms", "peak_rss_median_mib", "size_mib")
                if summary[names[0]][key] and summary[names[1]][key]
            },
            "error_responses": errors,
            "aws_calls_first_run": {n: samples[n][0]["aws_calls"] for n in names},
            "samples": {n: [{k: v for k, v in s.items() if k != "log"} for s in samples[n]] for n in names},
        }
        print(json.dumps(out, indent=2))
    else:
        print(f"{args.runs} cold starts each (+{args.warmup} discarded), alternating, event {args.event.name}")
        if extra_env:
            print("extra environment: " + " ".join(f"{k}={v}" for k, v in extra_env.items()))
        if others is not None:
            print(f"other work on the machine meanwhile: {others:.2f} of {os.cpu_count()} cores busy")
        print()
        print(table(summary, names))
        print()
        print("cold: exec -> first response received; init: exec -> first GET next;")
        print("warm: second event sent -> its response received; p90: nearest rank;")
        print("peak RSS: VmHWM before the kill (see the module docstring on ru_maxrss)")
        for n in names:
            for label in ("cold", "warm"):
                calls = samples[n][0][f"aws_calls_{label}"]
                if calls:
                    print(f"{n}, {label} invocation: {len(calls)} AWS calls, each answered 400 at once: {', '.join(calls)}")
            if errors[n]:
                print(f"{n}: error responses: {errors[n]}")
    if others is not None and others > 0.25:
        print(
            f"coldstart: warning: other processes kept {others:.2f} cores busy during the"
            " measurement; the times are inflated, measure again on an idle machine",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
