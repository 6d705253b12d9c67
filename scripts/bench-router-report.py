#!/usr/bin/env python3
"""Helpers for scripts/bench-router.sh (python3, standard library only).

Subcommands:
  ports N                     print N distinct free TCP ports on 127.0.0.1
  parse-wrk FILE              print "RPS P99_MS ERRORS" from one `wrk --latency` output
  split URL N                 send N GETs over one keep-alive connection, print
                              "a B other" counts of the bodies "a\\n" / "b\\n"
  report RESULTS META         print the human table, then one JSON line

RESULTS is a TSV written by the shell script, one line per measured wrk run:
  round  target  rps  p99_ms  errors  rss_max_kb  other_cpu_pct
other_cpu_pct: the share of the whole machine's CPU (100 = every core) that
processes other than the servers and wrk used during that run.
META is a TSV of "key<TAB>value" lines (settings, versions, split counts, notes).
"""

import http.client
import json
import re
import socket
import statistics
import sys

TARGET_ORDER = ["direct", "nginx", "haproxy", "serin"]
# Above this share of foreign CPU use in any run, the table says it was noisy.
NOISY_PCT = 5.0


def ports(n):
    # Hold every socket open until all are bound so the N ports are distinct.
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        print(" ".join(str(s.getsockname()[1]) for s in socks))
    finally:
        for s in socks:
            s.close()


# wrk prints durations as e.g. "812.00us", "1.23ms", "2.01s", "1.50m", "1.00h".
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def to_ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(f"unrecognised wrk duration {text!r}")
    return float(m.group(1)) * _UNIT_MS[m.group(2)]


def parse_wrk(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    if not rps or not p99:
        sys.exit(f"could not parse wrk output in {path}:\n{text}")
    errors = 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        errors += sum(int(g) for g in sock.groups())
    # wrk counts status >= 400 here despite the "2xx or 3xx" wording.
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
    print(f"{float(rps.group(1)):.2f} {to_ms(p99.group(1)):.3f} {errors}")


def split(url, n):
    # One persistent connection, like each of wrk's: a router that picked its
    # upstream once per client connection would show up here as 100/0.
    m = re.fullmatch(r"http://([^:/]+):(\d+)(/.*)?", url)
    if not m:
        sys.exit(f"bad url {url}")
    host, port, path = m.group(1), int(m.group(2)), m.group(3) or "/"
    counts = {"a": 0, "b": 0, "other": 0}
    conn = None
    for _ in range(n):
        for attempt in range(2):
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=5)
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read().strip().decode("utf-8", "replace")
                if resp.status == 200 and body in ("a", "b"):
                    counts[body] += 1
                else:
                    counts["other"] += 1
                if resp.will_close:
                    conn.close()
                    conn = None
                break
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
                if attempt == 1:
                    counts["other"] += 1
    if conn is not None:
        conn.close()
    print(f"{counts['a']} {counts['b']} {counts['other']}")


def _num(x, digits):
    return None if x is None else round(x, digits)


def report(results_path, meta_path):
    meta = {}
    with open(meta_path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                k, _, v = line.partition("\t")
                meta[k] = v

    runs = {}  # target -> list of (round, rps, p99, errors, rss_kb, other_cpu_pct)
    with open(results_path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rnd, target, rps, p99, errs, rss, other = line.rstrip("\n").split("\t")
            runs.setdefault(target, []).append(
                (int(rnd), float(rps), float(p99), int(errs), int(rss), float(other)))

    targets = [t for t in TARGET_ORDER if t in runs] + sorted(set(runs) - set(TARGET_ORDER))
    summary = {}
    for t in targets:
        rows = sorted(runs[t])
        rss = max(r[4] for r in rows)
        entry = {
            "rps_median": round(statistics.median(r[1] for r in rows), 1),
            "p99_ms_median": round(statistics.median(r[2] for r in rows), 3),
            "errors": sum(r[3] for r in rows),
            "rss_max_mb": round(rss / 1024, 1) if rss else None,
            "rps_per_round": [round(r[1], 1) for r in rows],
            "p99_ms_per_round": [round(r[2], 3) for r in rows],
            "other_cpu_pct_max": max(r[5] for r in rows),
        }
        if f"split_{t}" in meta:
            a, b, other = (int(x) for x in meta[f"split_{t}"].split())
            entry["split"] = {"a": a, "b": b, "other": other}
        summary[t] = entry

    def per_round(t):
        return {r[0]: r for r in runs.get(t, [])}

    def vs(other):
        # Ratio of medians, and the median of same-round ratios (which cancels
        # drift from one round to the next, e.g. thermal or a noisy neighbour).
        if "serin" not in summary or other not in summary:
            return None
        s, o = per_round("serin"), per_round(other)
        ratios = [s[k][1] / o[k][1] for k in s if k in o and o[k][1] > 0]
        return {
            "ratio_of_medians": _num(summary["serin"]["rps_median"] / summary[other]["rps_median"], 3),
            "median_of_round_ratios": _num(statistics.median(ratios), 3) if ratios else None,
        }

    def p99_minus(other):
        if "serin" not in summary or other not in summary:
            return None
        return _num(summary["serin"]["p99_ms_median"] - summary[other]["p99_ms_median"], 3)

    # ---- human table ----
    print()
    print(f"rounds={meta.get('rounds')}  duration={meta.get('duration')}s  "
          f"connections={meta.get('connections')}  (wrk -t1; medians over rounds)")
    hdr = (f"{'target':<9} {'req/s':>10} {'p99 ms':>9} {'errors':>7} {'RSS MB':>7} "
           f"{'split a/b/other':>16} {'other CPU':>9}   req/s per round")
    print(hdr)
    print("-" * len(hdr))
    for t in targets:
        e = summary[t]
        sp = e.get("split")
        sp_s = f"{sp['a']}/{sp['b']}/{sp['other']}" if sp else "-"
        rss_s = f"{e['rss_max_mb']:.1f}" if e["rss_max_mb"] is not None else "-"
        rounds_s = " ".join(f"{x:.0f}" for x in e["rps_per_round"])
        print(f"{t:<9} {e['rps_median']:>10.1f} {e['p99_ms_median']:>9.3f} {e['errors']:>7d} "
              f"{rss_s:>7} {sp_s:>16} {e['other_cpu_pct_max']:>8.1f}%   {rounds_s}")
    vn = vs("nginx")
    if vn:
        print(f"serin vs nginx: req/s x{vn['ratio_of_medians']} (median of round ratios "
              f"x{vn['median_of_round_ratios']}), p99 {p99_minus('nginx'):+.3f} ms")
    if meta.get("serin_note"):
        print(f"serin: {meta['serin_note']}")
    print("(RSS: max VmRSS sampled every 0.5 s during that target's runs; nginx = master + worker;"
          " direct = the backend nginx.\n other CPU: max over the runs of the machine's CPU used by"
          " anything but the servers and wrk)")
    busiest = max((r[5] for rows in runs.values() for r in rows), default=0.0)
    if busiest > NOISY_PCT:
        print(f"WARNING: other processes used up to {busiest:.0f}% of the CPUs during a run;"
              " these numbers are noisy, rerun on a quiet machine")

    out = {
        "targets": summary,
        "serin_vs_nginx_rps": vn,
        "serin_p99_minus_nginx_ms": p99_minus("nginx"),
        "serin_vs_haproxy_rps": vs("haproxy"),
        "serin_p99_minus_haproxy_ms": p99_minus("haproxy"),
        "serin_rss_max_mb": summary.get("serin", {}).get("rss_max_mb"),
        "serin_note": meta.get("serin_note") or None,
        "other_cpu_pct_max": max((r[5] for rows in runs.values() for r in rows), default=0.0),
        "noisy": max((r[5] for rows in runs.values() for r in rows), default=0.0) > NOISY_PCT,
        "rounds": int(meta.get("rounds", 0)),
        "duration_s": int(meta.get("duration", 0)),
        "connections": int(meta.get("connections", 0)),
        "wrk_threads": 1,
        "cpus": int(meta.get("cpus", 0)),
        "versions": {k[len("version_"):]: v for k, v in meta.items() if k.startswith("version_")},
    }
    print(json.dumps(out, separators=(",", ":")))


def main(argv):
    if len(argv) >= 2 and argv[0] == "ports":
        ports(int(argv[1]))
    elif len(argv) == 2 and argv[0] == "parse-wrk":
        parse_wrk(argv[1])
    elif len(argv) == 3 and argv[0] == "split":
        split(argv[1], int(argv[2]))
    elif len(argv) == 3 and argv[0] == "report":
        report(argv[1], argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
