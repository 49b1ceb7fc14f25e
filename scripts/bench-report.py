#!/usr/bin/env python3
"""Turns the JSON results of scripts/bench.sh into docs/PERFORMANCE.md (stdout)."""
import json, os, platform, subprocess, sys

out = sys.argv[1]
def load(name):
    path = os.path.join(out, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None

def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"

mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.split("\n")[1].split()[1]
print("# CareLedger performance\n")
print("Measured by `make bench` (scripts/bench.sh): database, chain, api and load generator on one")
print(f"machine — {os.cpu_count()} cores ({cpu()}), {mem} GiB memory. Release builds; every request is a")
print("guarded, on-chain-audited GraphQL request over HTTPS; every run checks on chain that the events")
print("recorded equal the events the requests made.\n")
targets = {"read": "≥ 2,000/s", "write": "≥ 500/s"}
for chain in ("anvil", "ganache"):
    if not any(os.path.exists(os.path.join(out, f"{chain}-{n}.json")) for n in ("read", "write")):
        continue
    print(f"## {chain.capitalize()}\n")
    print("| scenario | gate | loop | requests/s | p50 ms | p95 ms | p99 ms | max ms | transactions | events = expected | outcomes |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    ratios = []
    for name in ("read", "write", "mixed", "denied", "login", "read-open-1000"):
        reports = load(f"{chain}-{name}") or []
        for r in reports:
            l = r["latency_ms"]
            loop = r["mode"] + (f" @ {r['offered_rate']:.0f}/s" if r.get("offered_rate") else f" × {r['concurrency']}")
            outcomes = ", ".join(f"{k} {v}" for k, v in r["outcomes"].items())
            match = "yes" if r["events_match"] else "**NO**"
            print(f"| {name} | {r['gate']} | {loop} | {r['throughput']:,.0f} | {l['p50']:.1f} | {l['p95']:.1f} | "
                  f"{l['p99']:.1f} | {l['max']:.1f} | {r['chain']['transactions']:,} | {match} ({r['chain']['events']:,}) | {outcomes} |")
        if len(reports) == 2 and reports[1]["throughput"] > 0:
            ratios.append((name, reports[0]["throughput"] / reports[1]["throughput"]))
    print()
    for name, ratio in ratios:
        print(f"- {name}: group commit is **{ratio:.1f}×** the naive gate's throughput.")
    rss = os.path.join(out, f"{chain}-rss.txt")
    if os.path.exists(rss):
        print(f"- {open(rss).read().strip()} at the end of the runs.")
    print()
