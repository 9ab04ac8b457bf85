# SPDX-License-Identifier: GPL-2.0
"""What every part of the report shares: the implementations' names, the
JSON lines and how to pick them out, number formatting, ratios, and the
plain-text table."""
import json
import sys

IMPLS = ("rf", "glibc-robust", "glibc-normal")
# Mainline 7.2's release (tests/bench/ml72.c: FUTEX_ROBUST_UNLOCK and the
# vDSO's try-unlock, mainline's exit walk): a column of its own, "n/a" on
# a kernel without them.
ML72 = "ml72"
# A robust pthread mutex under LD_PRELOAD=librobustfutex-pthread.so: rfbench
# --only glibc-robust --as preload, a run of its own (not interleaved).
PRELOAD = "preload"

FLOORS = ("atomics-cas-xchg", "atomics-cas-or-xchg")


def load(paths):
    lines = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            for raw in f:
                raw = raw.strip().replace("\r", "")
                if not raw.startswith("{"):
                    continue
                try:
                    lines.append(json.loads(raw))
                except json.JSONDecodeError:
                    print("report: skipping a malformed line: %.60s" % raw,
                          file=sys.stderr)
    return lines


def quantile(values, q):
    """Nearest-rank quantile, as rfbench computes it."""
    s = sorted(values)
    i = max(0, min(len(s) - 1, int(q * len(s) + 0.999999) - 1))
    return s[i]


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if abs(v) >= 1e6:
        return "%.2fM%s" % (v / 1e6, unit)
    if abs(v) >= 1e4:
        return "%.0fk%s" % (v / 1e3, unit)
    if abs(v) >= 100:
        return "%.0f%s" % (v, unit)
    if abs(v) >= 10:
        return "%.1f%s" % (v, unit)
    return "%.2f%s" % (v, unit)


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b


def paired_ratios(a_runs, b_runs):
    """Run r of both was measured back to back: their ratios pair up."""
    if not a_runs or not b_runs or len(a_runs) != len(b_runs):
        return None
    return [x / y for x, y in zip(a_runs, b_runs) if y]


class Table:
    def __init__(self, header):
        self.rows = [header]

    def add(self, *cells):
        self.rows.append([str(c) for c in cells])

    def render(self):
        widths = [max(len(r[i]) for r in self.rows if i < len(r))
                  for i in range(len(self.rows[0]))]
        out = []
        for n, r in enumerate(self.rows):
            out.append("  ".join(c.ljust(widths[i])
                                 for i, c in enumerate(r)).rstrip())
            if n == 0:
                out.append("  ".join("-" * w for w in widths))
        return "\n".join(out)


def by(lines, **keys):
    return [d for d in lines if all(d.get(k) == v for k, v in keys.items())]


def one(lines, **keys):
    found = by(lines, **keys)
    return found[-1] if found else None
