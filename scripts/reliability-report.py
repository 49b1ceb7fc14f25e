#!/usr/bin/env python3
"""Writes the chaos rounds' figures (api/tests/chaos, CHAOS_REPORT=DIR) into
docs/RELIABILITY.md, between its `<!-- chaos figures -->` markers.

usage: reliability-report.py DIR docs/RELIABILITY.md "<command that made them>"
"""
import json, os, sys

src, doc, command = sys.argv[1], sys.argv[2], sys.argv[3]
BEGIN, END = "<!-- chaos figures: begin -->", "<!-- chaos figures: end -->"

def seconds(v):
    return "—" if v is None else f"{v:.1f} s"

def outcomes(d):
    return ", ".join(f"{k} {v:,}" for k, v in d.items()) or "none"

rows = []
for fault in ("chain", "api", "postgres"):
    path = os.path.join(src, f"chaos-{fault}.json")
    if not os.path.exists(path):
        continue
    f = json.load(open(path))
    lost = f["chain_blocks_lost"]
    rows.append(
        f"| {fault} | {f['requests']:,} | {f['acknowledged_writes']:,} | {f['returned_data']:,} | "
        f"{'—' if lost is None else f'{lost:,}'} | {f['transactions_re_recorded']:,} tx / "
        f"{f['requests_re_recorded']:,} requests / {f['entries_re_recorded']:,} entries | "
        f"**{f['events_lost']}** | {seconds(f['seconds_away'])} | {seconds(f['seconds_to_first_answer'])} | "
        f"{seconds(f['seconds_to_re_record'])} | {outcomes(f['outcomes_while_away'])} |"
    )
    clients, each = f["clients"], f["load_seconds_each_side"]

if not rows:
    sys.exit(f"reliability-report: no chaos-*.json in {src}")
table = "\n".join([
    BEGIN,
    f"Measured by `{command}`: {clients} clients, {each:.0f} s of load before each kill and "
    f"{each:.0f} s (at least) after the process was back.",
    "",
    "| killed | requests | writes acknowledged | answers with data | blocks the chain lost | "
    "recorded again | events lost | away | first answer after the kill | all lost events back | "
    "answers while away |",
    "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|",
    *rows,
    END,
])
text = open(doc).read()
start, end = text.index(BEGIN), text.index(END) + len(END)
open(doc, "w").write(text[:start] + table + text[end:])
print(f"reliability-report: wrote the figures into {doc}")
