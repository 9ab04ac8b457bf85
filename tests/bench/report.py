#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn rfbench/compare JSON lines into the side-by-side report.

    report.py --out DIR FILE.jsonl...

Reads every JSON object line of the given files (VM results from
tests/bench/guest.sh, host-native results from tests/bench/run) and writes
into DIR: report.txt (the performance and correctness tables, with ratios
against glibc's robust and normal mutexes and each goal marked met or
missed), report.json (the same, structured, plus the raw lines), and PNG
charts drawn by gnuplot if it is installed.  Python standard library only.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

IMPLS = ("rf", "glibc-robust", "glibc-normal")
# Mainline 7.2's release (tests/bench/ml72.c: FUTEX_ROBUST_UNLOCK and the
# vDSO's try-unlock, mainline's exit walk): a column of its own, "n/a" on
# a kernel without them.
ML72 = "ml72"
# A robust pthread mutex under LD_PRELOAD=librobustfutex-pthread.so: rfbench
# --only glibc-robust --as preload, a run of its own (not interleaved).
PRELOAD = "preload"

# Goals: "le": the ratio must not exceed the bound (times: lower is
# better); "ge": must reach it.  Uncontended: rf needs three
# atomics where glibc robust needs two: judged against glibc robust and
# against its own three-atomic floor; recovery, reap, registered fork
# and exit rate: as fast as mainline's walk (docs/exit-walk.md);
# throughput from "Side-by-side with mainline".
GOALS = {
    "uncontended_vs_robust": ("le", 1.35),
    "uncontended_vs_floor3": ("le", 1.10),
    "throughput_vs_robust": ("ge", 1.00),
    "recovery_vs_robust": ("le", 1.00),
    "reap_vs_robust": ("le", 1.20),
    "forkreg_idle_vs_none": ("le", 1.10),
    "exitrate_loaded_vs_unloaded": ("ge", 0.98),
}

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


def judge(goal, ratio, paired=None):
    """'met' / 'missed', with a warning when run-to-run noise straddles it."""
    if ratio is None:
        return "n/a"
    kind, bound = GOALS[goal]
    ok = ratio <= bound if kind == "le" else ratio >= bound
    verdict = "met" if ok else "missed"
    if paired and len(paired) >= 3:
        lo, hi = quantile(paired, 0.25), quantile(paired, 0.75)
        if lo <= bound <= hi:
            verdict += " (within noise)"
    return verdict


def goal_text(goal):
    kind, bound = GOALS[goal]
    return ("<= %.2f" if kind == "le" else ">= %.2f") % bound


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


# ---- performance ----

def by(lines, **keys):
    return [d for d in lines if all(d.get(k) == v for k, v in keys.items())]


def one(lines, **keys):
    found = by(lines, **keys)
    return found[-1] if found else None


def unc_line(lines, env, threads, impl):
    """The uncontended result of @impl; lines without "threads" are 1."""
    found = [d for d in by(lines, bench="uncontended", env=env, impl=impl)
             if d.get("threads", 1) == threads]
    return found[-1] if found else None


def floors_table(lines):
    """Where each implementation stands against the bare atomics."""
    t = Table(["env", "threads", "CAS+xchg", "CAS+fetch_or+xchg", "rf",
               "glibc-robust", "glibc-normal", ML72, "rf/3-atomic", "robust/2-atomic",
               "normal/2-atomic", "ml72/2-atomic"])
    found = False
    for env in ("vm", "host-native"):
        for threads in (1, 2):
            med = {}
            for i in IMPLS + FLOORS + (ML72,):
                d = unc_line(lines, env, threads, i)
                med[i] = d["ns_per_pair"]["median"] if d and "ns_per_pair" in d else None
            if med["atomics-cas-xchg"] is None:
                continue
            found = True
            r = lambda a, b: "%.2f" % ratio(a, b) if ratio(a, b) is not None else "n/a"
            t.add(env, "1" if threads == 1 else "2 (1 idle)",
                  fmt(med["atomics-cas-xchg"]), fmt(med["atomics-cas-or-xchg"]),
                  fmt(med["rf"]), fmt(med["glibc-robust"]), fmt(med["glibc-normal"]),
                  fmt(med[ML72]),
                  r(med["rf"], med["atomics-cas-or-xchg"]),
                  r(med["glibc-robust"], med["atomics-cas-xchg"]),
                  r(med["glibc-normal"], med["atomics-cas-xchg"]),
                  r(med[ML72], med["atomics-cas-xchg"]))
    return t.render() if found else ""


def reap_row(lines, clock):
    rp = {i: next((d for d in reversed(by(lines, bench="reap", impl=i))
                   if d.get("clock", "wall") == clock), None)
          for i in ("rf", "glibc-robust")}
    if not all(rp.values()):
        return None
    val = {i: rp[i]["ms"]["median"] for i in rp}
    val["glibc-normal"] = None
    return dict(
        name="reap, %d threads each holding a lock%s"
             % (rp["rf"]["threads"], " (icount)" if clock == "icount" else ""),
        unit="ms", values=val,
        spread={i: rp[i]["ms"] for i in rp},
        checks=[("vs glibc-robust", "reap_vs_robust",
                 ratio(val["rf"], val["glibc-robust"]),
                 paired_ratios(rp["rf"]["ms"]["runs"], rp["glibc-robust"]["ms"]["runs"]))],
        note="kill -> waitpid; recovered rf %d, glibc-robust %d of %d"
             % (rp["rf"]["recovered"], rp["glibc-robust"]["recovered"],
                rp["rf"]["threads"]))


def crowd_rows(lines, clock):
    """One row per crowd size: ms from the unlock to the last join, and
    us per handoff, per implementation."""
    ds = [d for d in by(lines, bench="crowd") if d.get("clock", "wall") == clock]
    rows = []
    for n in sorted({d["threads"] for d in ds}):
        cd = {i: one(ds, impl=i, threads=n) for i in IMPLS + (ML72,)}
        if not cd["rf"] or not cd["glibc-robust"] or "ms" not in cd["rf"]:
            continue
        ran = [i for i in cd if cd[i] and "ms" in cd[i]]
        val = {i: cd[i]["ms"]["median"] if i in ran else None for i in IMPLS}
        cells = ["%s (%s us/handoff)" % (fmt(val[i]), fmt(cd[i]["us_per_handoff"]["median"]))
                 if i in ran else "n/a" for i in IMPLS] + [""]
        if cd[ML72]:
            val[ML72] = cd[ML72]["ms"]["median"] if ML72 in ran else None
            cells.append("%s (%s us/handoff)" % (fmt(val[ML72]),
                                         fmt(cd[ML72]["us_per_handoff"]["median"]))
                         if ML72 in ran else "n/a")
        bad = [i for i in ran if cd[i].get("exclusion") != "ok"]
        notes = ["MUTUAL EXCLUSION VIOLATED: " + ",".join(bad)] if bad else []
        if ml72_note(cd[ML72]):
            notes.append(ml72_note(cd[ML72]))
        if "wakes_per_handoff" in cd["rf"]:
            notes.append("rf: %.2f module wakes per handoff"
                         % cd["rf"]["wakes_per_handoff"])
        if not rows:
            notes.append("the main thread's unlock -> the last join, each thread "
                         "locking, counting, unlocking and exiting in turn; in "
                         "parentheses ms / threads; no goal (a wake repoints the "
                         "word's one heir record at the woken thread: "
                         "docs/protocol.md, the heir rule)")
        runs = {i: cd[i]["ms"]["runs"] for i in ran}
        rows.append(dict(
            name="crowd, %d threads asleep on one lock%s"
                 % (n, " (icount)" if clock == "icount" else ""),
            unit="ms", values=val, cells=cells,
            spread={i: cd[i]["ms"] for i in ran},
            checks=[("vs glibc-robust", None, ratio(val["rf"], val["glibc-robust"]),
                     paired_ratios(runs.get("rf"), runs.get("glibc-robust"))),
                    ("vs glibc-normal", None, ratio(val["rf"], val["glibc-normal"]),
                     paired_ratios(runs.get("rf"), runs.get("glibc-normal")))] +
                   ml72_checks(val, runs),
            note="; ".join(notes)))
    return rows


def forkreg_row(lines, clock):
    ds = [d for d in by(lines, bench="forkreg") if d.get("clock", "wall") == clock]
    idles = sorted({d["idle"] for d in ds})
    if len(idles) < 2:
        return None
    lo, hi = idles[0], idles[-1]
    med = {}
    for i in ("rf", "glibc-robust", "none"):
        for n in (lo, hi):
            d = one(ds, impl=i, idle=n)
            med[i, n] = d["us"]["median"] if d else None
    reg = (one(ds, impl="rf", idle=lo) or {}).get("registrations_per_child")
    cells = ["%s / %s" % (fmt(med[i, lo]), fmt(med[i, hi]))
             for i in ("rf", "glibc-robust", "none")]
    cells[2] = "unregistered " + cells[2]
    return dict(
        name="fork+exit+wait, registered child, %d / %d idle processes%s"
             % (lo, hi, " (icount)" if clock == "icount" else ""),
        unit="us", cells=cells,
        values={"rf": med["rf", hi], "glibc-robust": med["glibc-robust", hi],
                "glibc-normal": None},
        spread={},
        checks=[("rf %d/%d idle" % (hi, lo), "forkreg_idle_vs_none",
                 ratio(med["rf", hi], med["rf", lo]), None),
                ("glibc-robust %d/%d idle" % (hi, lo), None,
                 ratio(med["glibc-robust", hi], med["glibc-robust", lo]), None),
                ("unregistered %d/%d idle" % (hi, lo), None,
                 ratio(med["none", hi], med["none", lo]), None),
                ("vs glibc-robust, %d idle" % hi, None,
                 ratio(med["rf", hi], med["glibc-robust", hi]), None)],
        note="the child locks (rf: registers, %s registration(s) per child seen) "
             "and exits; the unregistered column's child locks nothing; idle "
             "processes asleep in pause(), children of another process"
             % (reg if reg is not None else "?"))


def exitrate_row(lines, clock):
    ds = [d for d in by(lines, bench="exitrate") if d.get("clock", "wall") == clock]
    er = {m: [r for d in ds if d["module"] == m for r in d["per_s"]["runs"]]
          for m in ("loaded", "unloaded")}
    if not er["loaded"] or not er["unloaded"]:
        return None
    lo, un = statistics.median(er["loaded"]), statistics.median(er["unloaded"])
    # guest.sh alternates: each loaded line and the unloaded one after it
    # form a round.
    rounds, pending = [], None
    for d in ds:
        if d["module"] == "loaded":
            pending = d
        elif pending:
            rounds.append(pending["per_s"]["median"] / d["per_s"]["median"])
            pending = None
    return dict(
        name="exit rate, unregistered processes" +
             (" (icount clock)" if clock == "icount" else ""),
        unit="exits/s" if clock == "wall" else "exits/Ginstr",
        values={"loaded": lo, "unloaded": un},
        spread={"loaded": dict(min=min(er["loaded"]), max=max(er["loaded"])),
                "unloaded": dict(min=min(er["unloaded"]), max=max(er["unloaded"]))},
        checks=[("loaded/unloaded", "exitrate_loaded_vs_unloaded", lo / un, rounds)],
        note="%d runs each in %d rounds, module loaded and unloaded alternately;"
             " per-round ratios %s%s"
             % (len(er["loaded"]), len(rounds), " ".join("%.3f" % r for r in rounds),
                "; the guest clock counts instructions (QEMU -icount shift=0), so a"
                " rate is exits per 10^9 guest instructions" if clock == "icount" else ""))


def ml72_checks(med, runs=None):
    """ml72's ratios, where it ran: against rf and glibc robust."""
    if med.get(ML72) is None:
        return []
    runs = runs or {}
    return [("ml72/rf", None, ratio(med[ML72], med.get("rf")),
             paired_ratios(runs.get(ML72), runs.get("rf"))),
            ("ml72/glibc-robust", None, ratio(med[ML72], med.get("glibc-robust")),
             paired_ratios(runs.get(ML72), runs.get("glibc-robust")))]


def ml72_note(d):
    """Why ml72 did not run, from its line's note ("n/a: ...")."""
    if d and "note" in d and str(d["note"]).startswith("n/a"):
        return "ml72 " + d["note"]
    return ""


def preload_checks(med):
    """The preload's ratios, where it ran: against glibc robust and rf.
    Its runs were not interleaved with theirs: no paired ratios."""
    if med.get(PRELOAD) is None:
        return []
    return [("preload/glibc-robust", None, ratio(med[PRELOAD], med["glibc-robust"]), None),
            ("preload/rf", None, ratio(med[PRELOAD], med["rf"]), None)]


def perf_rows(lines):
    """Each row: name, unit, values per impl, ratios, goals."""
    rows = []

    def stat(d, key):
        if not d or key not in d:
            return None, None
        return d[key]["median"], d[key]

    for env in ("vm", "host-native"):
        for threads in (1, 2):
            ds = {i: unc_line(lines, env, threads, i)
                  for i in IMPLS + FLOORS + (PRELOAD, ML72)}
            if not any(ds[i] for i in IMPLS):
                continue
            med = {i: stat(ds[i], "ns_per_pair")[0] for i in ds}
            runs = {i: (ds[i] or {}).get("ns_per_pair", {}).get("runs")
                    for i in ds}
            note = ""
            if ds["rf"] and ds["rf"].get("note"):
                note = ds["rf"]["note"]
            if ml72_note(ds[ML72]):
                note = "; ".join(x for x in (note, ml72_note(ds[ML72])) if x)
            shown = IMPLS + ((PRELOAD,) if ds[PRELOAD] else ()) + \
                ((ML72,) if ds[ML72] else ())
            rows.append(dict(
                name="uncontended lock+unlock (%s, %s)"
                     % (env, "1 thread" if threads == 1 else "2 threads, 1 idle"),
                unit="ns/pair",
                values={i: med[i] for i in shown},
                spread={i: (ds[i] or {}).get("ns_per_pair") for i in shown},
                checks=[("vs glibc-robust", "uncontended_vs_robust",
                         ratio(med["rf"], med["glibc-robust"]),
                         paired_ratios(runs["rf"], runs["glibc-robust"])),
                        ("vs 3-atomic floor", "uncontended_vs_floor3",
                         ratio(med["rf"], med["atomics-cas-or-xchg"]),
                         paired_ratios(runs["rf"], runs["atomics-cas-or-xchg"])),
                        ("vs glibc-normal", None,
                         ratio(med["rf"], med["glibc-normal"]),
                         paired_ratios(runs["rf"], runs["glibc-normal"]))] +
                       preload_checks(med) + ml72_checks(med, runs),
                note=note))
    ic = {i: one(lines, bench="icount", impl=i) for i in IMPLS}
    if any(ic.values()):
        val = {i: ic[i]["instr_per_pair"] if ic[i] else None for i in IMPLS}
        rows.append(dict(
            name="instructions per pair (host, callgrind)", unit="instr",
            values=val, spread={}, checks=[
                ("vs glibc-robust", None, ratio(val["rf"], val["glibc-robust"]), None),
                ("vs glibc-normal", None, ratio(val["rf"], val["glibc-normal"]), None)],
            note="noise-free; counts instructions, not the cost of atomics"))
    for bench, unit, what in (("contended", "threads", "thread"),
                              ("pshared", "processes", "process")):
        counts = sorted({d[unit] for d in by(lines, bench=bench)})
        for n in counts:
            ds = {i: one(lines, bench=bench, impl=i, **{unit: n})
                  for i in IMPLS + (PRELOAD, ML72)}
            for i in (PRELOAD, ML72):
                if not ds[i]:
                    del ds[i]
            med = {i: stat(ds[i], "ops_per_s")[0] for i in ds}
            runs = {i: (ds[i] or {}).get("ops_per_s", {}).get("runs")
                    for i in ds}
            bad = [i for i in ds if ds[i] and "ops_per_s" in ds[i]
                   and ds[i].get("exclusion") != "ok"]
            notes = ["MUTUAL EXCLUSION VIOLATED: " + ",".join(bad)] if bad else []
            if ml72_note(ds.get(ML72)):
                notes.append(ml72_note(ds[ML72]))
            rows.append(dict(
                name="%s, %d %s" % (bench, n, what if n == 1 else unit),
                unit="ops/s", values=med,
                spread={i: (ds[i] or {}).get("ops_per_s") for i in ds},
                checks=[("vs glibc-robust", "throughput_vs_robust",
                         ratio(med["rf"], med["glibc-robust"]),
                         paired_ratios(runs["rf"], runs["glibc-robust"])),
                        ("vs glibc-normal", None,
                         ratio(med["rf"], med["glibc-normal"]),
                         paired_ratios(runs["rf"], runs["glibc-normal"]))] +
                       preload_checks(med) + ml72_checks(med, runs),
                note="; ".join(notes)))
    for clock in ("wall", "icount"):
        rec = {i: next((d for d in reversed(by(lines, bench="recovery", impl=i))
                        if d.get("clock", "wall") == clock), None)
               for i in ("rf", "glibc-robust", ML72)}
        if not rec["rf"] or not rec["glibc-robust"]:
            continue
        na = ml72_note(rec[ML72])
        if not rec[ML72] or "latency_us" not in rec[ML72]:
            rec[ML72] = None
        for q in ("p50", "p99"):
            val = {"rf": rec["rf"]["latency_us"][q],
                   "glibc-robust": rec["glibc-robust"]["latency_us"][q],
                   "glibc-normal": None}
            if rec[ML72] or na:
                val[ML72] = rec[ML72]["latency_us"][q] if rec[ML72] else None
            failed = sum(rec[i].get("not_eownerdead", 0) for i in rec if rec[i])
            notes = ["%d rounds without EOWNERDEAD" % failed] if failed else []
            if na:
                notes.append(na)
            rows.append(dict(
                name="recovery kill->EOWNERDEAD %s (%d kills%s)"
                     % (q, rec["rf"]["kills"], ", icount" if clock == "icount" else ""),
                unit="us" if clock == "wall" else "k instr",
                values=val, spread={},
                checks=[("vs glibc-robust", "recovery_vs_robust",
                         ratio(val["rf"], val["glibc-robust"]), None)] +
                       ml72_checks(val),
                note="; ".join(notes)))
    for clock in ("wall", "icount"):
        for f in (reap_row, forkreg_row, exitrate_row):
            row = f(lines, clock)
            if row:
                rows.append(row)
            if f is reap_row:
                rows.extend(crowd_rows(lines, clock))
    return rows


def perf_table(rows):
    t = Table(["measurement", "unit", "rf", "glibc-robust", "glibc-normal",
               PRELOAD, ML72, "ratio", "goal", "result"])
    notes = []
    for r in rows:
        v = r["values"]
        if r.get("cells"):
            cells = list(r["cells"]) + [""] * (5 - len(r["cells"]))
        elif "loaded" in v:
            cells = ["loaded " + fmt(v["loaded"]), "unloaded " + fmt(v["unloaded"]), "", "", ""]
            for k, m in enumerate(("loaded", "unloaded")):
                cells[k] += " [%s..%s]" % (fmt(r["spread"][m]["min"]),
                                           fmt(r["spread"][m]["max"]))
        else:
            cells = []
            for i in IMPLS + (PRELOAD, ML72):
                if i in (PRELOAD, ML72) and i not in v:
                    cells.append("")
                    continue
                s = r["spread"].get(i)
                c = fmt(v.get(i))
                if s and v.get(i) is not None:
                    c += " [%s..%s]" % (fmt(s["min"]), fmt(s["max"]))
                cells.append(c)
        first = True
        for label, goal, rt, paired in r["checks"]:
            res = judge(goal, rt, paired) if goal else ""
            t.add(r["name"] if first else "", r["unit"] if first else "",
                  *(cells if first else [""] * len(cells)),
                  ("rf %s %.2f" % (label, rt)) if rt is not None and label.startswith("vs")
                  else ("%s %.2f" % (label, rt) if rt is not None else "n/a"),
                  goal_text(goal) if goal else "", res)
            r.setdefault("results", []).append(dict(
                label=label, goal=goal, ratio=rt, result=res,
                paired_iqr=[quantile(paired, .25), quantile(paired, .75)]
                if paired else None))
            first = False
        if r.get("note"):
            notes.append("%s: %s" % (r["name"], r["note"]))
    return t.render(), notes


def linear_fit(points):
    """Least squares t = a + b*n over (n, t) points: (a, b, r2)."""
    if len(points) < 2:
        return None
    n = [float(x) for x, _ in points]
    t = [float(y) for _, y in points]
    mn, mt = statistics.mean(n), statistics.mean(t)
    sxx = sum((x - mn) ** 2 for x in n)
    if not sxx:
        return None
    b = sum((x - mn) * (y - mt) for x, y in zip(n, t)) / sxx
    a = mt - b * mn
    sst = sum((y - mt) ** 2 for y in t)
    sse = sum((y - a - b * x) ** 2 for x, y in zip(n, t))
    return a, b, 1 - sse / sst if sst else 1.0


def exitcost_lines(lines, clock):
    return [d for d in by(lines, bench="exitcost") if d.get("clock", "wall") == clock]


def exitcost_fits(lines):
    fits = {}
    for i in ("rf", "glibc-robust"):
        pts = [(d["locks"], d["ms"]["median"])
               for d in by(lines, bench="exitcost", impl=i)]
        fit = linear_fit(sorted(pts))
        if fit:
            fits[i] = fit
    return fits


def exitcost_table(lines):
    """@lines: the exitcost results of one clock."""
    ns = sorted({d["locks"] for d in by(lines, bench="exitcost")})
    if not ns:
        return "", []
    t = Table(["locks held", "rf ms [min..max] (recovered)", "us per added lock",
               "glibc-robust ms [min..max] (recovered)", "us per added lock"])
    prev = {}
    for n in ns:
        cells = [n]
        for i in ("rf", "glibc-robust"):
            d = one(lines, bench="exitcost", impl=i, locks=n)
            if not d:
                cells += ["-", ""]
                continue
            ms = d["ms"]["median"]
            cells.append("%s [%s..%s] (%d)" % (fmt(ms), fmt(d["ms"]["min"]),
                                               fmt(d["ms"]["max"]), d["recovered"]))
            p = prev.get(i)
            cells.append("%.3f" % ((ms - p[1]) * 1000 / (n - p[0]))
                         if p and n - p[0] >= 9000 else "")
            prev[i] = (n, ms)
        t.add(*cells)
    notes = []
    for i, (a, b, r2) in exitcost_fits(lines).items():
        if i != "rf":
            continue  # up to 2048 locks: inside the noise of a plain exit
        notes.append("%s: least-squares fit t = %.2f ms + %.3f us x locks (R^2 %.3f)"
                     % (i, a, b * 1000, r2))
    return t.render(), notes


# ---- correctness ----

def case_of(d):
    s, v = d["scenario"], d["variant"]
    if s == "many_locks":
        return ("3000 held, rf at its default list_limit=2048"
                if v == "list_limit=2048" else
                "3000 held (rf: list_limit raised to 10000)")
    if s == "list32":
        return ("one 32-bit list via x86's int 0x80 compat entry"
                if "int 0x80" in v else "one 32-bit list, 1 lock held")
    if s == "unlock_race_binary":
        return "same binary; rf column: LD_PRELOAD=librobustfutex-pthread.so"
    if s == "qemu_user":
        return ("a waiter blocked on the lock" if v == "waiter" else
                "3000 held (rf: list_limit raised to 4096)")
    if s == "two_lists":
        return ("a 64-bit and a 32-bit list, 1 lock each"
                if "int 0x80" in v or "b32" in v else
                "two 64-bit lists, 1 lock each")
    return v


def observed(d):
    s = d["scenario"]
    if "na" in d:
        return "n/a: " + d["na"]
    setup = "" if d.get("setup") == "0" else " [setup failed: %s]" % d.get("setup")
    if s in ("unlock_race", "list32_race") and "stops" in d:
        return "%d of %d bytes changed at each of %d kills, release to " \
               "return (word %s -> %s)%s" % (
                   d["bytes_changed"], d["region_bytes"], d["stops"],
                   d["word_before"], d["word_after"], setup)
    if s in ("unlock_race", "list32_race"):
        return "%d of %d bytes changed (word %s -> %s)%s" % (
            d["bytes_changed"], d["region_bytes"], d["word_before"],
            d["word_after"], setup)
    if s == "pidns":
        took = d["third_locker"] in ("0", "EOWNERDEAD")
        return "word %s -> %s; a third locker got %s%s%s" % (
            d["word_before"], d["word_after"], d["third_locker"],
            (" while the owner lives: two owners" if d.get("owner_alive")
             else " (owner gone)") if took else
            (", the owner alive" if d.get("owner_alive") else ""), setup)
    if s == "ml72_check":
        return "%d of %d checks passed%s; %d contended unlocks by system call" % (
            d["passed"], d["checks"],
            " (failed: %s)" % d["failed"] if d.get("failed") else "",
            d.get("unlock_syscalls", 0))
    if s == "lost_wakeup":
        if d["outcome"] == "still blocked":
            return "waiter still blocked after %d ms%s" % (d["blocked_ms"], setup)
        return "waiter got %s after %.1f ms%s" % (d["outcome"], d["blocked_ms"], setup)
    if s == "many_locks":
        x = "recovered %d of %d (EOWNERDEAD %d, EBUSY %d)" % (
            d["owner_died_words"], d["held"], d["trylock_eownerdead"],
            d["trylock_ebusy"])
        if "walks_limited_delta" in d:
            x += ", walks_limited +%d" % d["walks_limited_delta"]
        return x + setup
    if s in ("list32", "two_lists"):
        return "register: %s; recovered %d of %d%s" % (
            d["register_returned"], d["recovered"], d["held"], setup)
    if s == "unlock_race_binary":
        return "%s: %d of %d bytes changed (word %s -> %s)%s" % (
            "preload" if d.get("preload") else "glibc", d["bytes_changed"],
            d["region_bytes"], d["word_before"], d["word_after"],
            "" if d.get("check") == "ok" else " [its check %s]" % d.get("check"))
    if s == "qemu_user":
        who = "%s qemu-i386" % d["emulator"]
        if d["variant"] != "waiter":
            return "%s: recovered %d of %d" % (who, d["recovered"], d["held"])
        if d["outcome"] == "still blocked":
            return "%s: waiter still blocked after %d ms" % (who, d["blocked_ms"])
        return "%s: waiter got %s after %d ms" % (who, d["outcome"], d["blocked_ms"])
    if s == "bad_list":
        x = "exit %s in %.1f ms, recovered %d of %d" % (
            d["exit"], d["exit_ms"], d["recovered"], d["held"])
        if "cycles_delta" in d:
            x += ", cycles +%d faults +%d" % (d["cycles_delta"], d["faults_delta"])
        return x + setup
    return json.dumps(d)


SCENARIO_TITLES = {
    "unlock_race": "unlock race, bug 14485: memory reused after a completed unlock",
    "unlock_race_binary": "bug 14485 in an unmodified pthread binary (tests/preload/p_unlock_race.c)",
    "lost_wakeup": "owner killed between release and wake, a waiter asleep",
    "many_locks": "owner dies holding 3000 locks (mainline stops at 2048)",
    "pidns": "a live owner's lock; a waiter with the same TID in another PID namespace dies",
    "list32": "a 32-bit list registered by a 64-bit process",
    "two_lists": "two lists in one thread (emulator + guest)",
    "list32_race": "bug 14485 on a 32-bit list (an emulator's guest), x86",
    "qemu_user": "i386 glibc guests under QEMU linux-user, holder SIGKILLed",
    "bad_list": "corrupt list: exit completes?",
    "ml72_check": "the ml72 client itself (7.2 column only)",
}

# ml72 cells no run fills, and why.
ML72_NA = {
    "unlock_race_binary": "an unmodified binary uses glibc, which does not use "
                          "FUTEX_ROBUST_UNLOCK (yet): on this kernel it is the "
                          "mainline column",
    "qemu_user": "no emulator or guest libc uses 7.2's release; emulated guest "
                 "code never runs at the host vDSO's addresses, so only an "
                 "emulator that makes the guest's unlocks itself could",
}


CORRECTNESS_NOTES = (
    "unlock race: the child locked and unlocked (completed), left list_op_pending",
    "  naming the mutex, the memory was then refilled and the futex word made to",
    "  hold its TID; bytes counted over the 256-byte region around the mutex.",
    "unmodified binary: build/ptests/p_unlock_race, a plain pthread program (robust,",
    "  process-shared pthread_mutex_t; no librobustfutex linked), run twice: as it",
    "  is, and with LD_PRELOAD=librobustfutex-pthread.so.  Its parent single-steps",
    "  the child (ptrace) through pthread_mutex_unlock() until the word is released,",
    "  refills the 256 bytes around the mutex with the owner's old word, SIGKILLs it.",
    "lost wakeup: the waiter's blocked time runs from kill() to its lock returning",
    "  (cap %d ms).  rf's \"dequeued, not released\" is an unlock cut short: the"
    % 5000,
    "  critical section had ended, so the waiter gets the lock recovered (0), not",
    "  EOWNERDEAD.",
    "int 0x80: on x86-64 a 64-bit process can enter the 32-bit set_robust_list",
    "  and the kernel then walks a native and a compat list.  arm64 (FEX-Emu's",
    "  host) has no such entry, and it still gives one list per width.",
    "QEMU linux-user answers a guest's set_robust_list with ENOSYS (mainline",
    "  column: qemu-i386 as Debian builds it, same kernel); patched (rf column,",
    "  contrib/qemu/robustfutex.patch), it registers the guest's list in a module",
    "  slot with the guest base and sends guest futex waits through the module.",
    "ml72 (the 7.2 column): tests/bench/ml72.c, a robust mutex of our own over",
    "  set_robust_list, FUTEX_ROBUST_UNLOCK and the vDSO's",
    "  __vdso_futex_robust_list64_try_unlock (the kernel clears list_op_pending",
    "  itself when a signal interrupts the vDSO's window), on mainline's exit",
    "  walk.  Its unlock race cannot be built by editing memory: the child",
    "  really unlocks, single-stepped, and is killed (memory reused first) at",
    "  every instruction from the one that releases the word to the return.",
    "  The same stepping without 7.2's release is the unmodified-binary row.",
    "PID namespace: the owner is PID 1 of namespace A, the dying waiter PID 1",
    "  of namespace B; mainline's exit walk compares TIDs as numbers, so it",
    "  takes the waiter's pending lock for one it held.  rf's owner IDs are",
    "  the same in every namespace.",
    "32-bit list race: mainline and rf run the guest's own unlock (as a 32-bit",
    "  glibc does it), cut short after the release; rf registers it as a",
    "  mainline-protocol 32-bit slot, as for an emulator's guest glibc.  ml72",
    "  uses 7.2's __vdso_futex_robust_list32_try_unlock and FUTEX_ROBUST_LIST32",
    "  on a list registered through int 0x80 (x86 only: arm64 has neither a",
    "  compat set_robust_list for a 64-bit process nor the vDSO helpers).",
)


def correctness(lines):
    rows = [d for d in lines if "scenario" in d]
    order, cells = [], {}
    for d in rows:
        key = (d["scenario"], case_of(d))
        if key not in cells:
            order.append(key)
            cells[key] = {}
        cells[key][d["impl"]] = d
    # Scenarios in SCENARIO_TITLES' order (the unmodified binary's row,
    # run after compare, beside compare's unlock race); cases as they came.
    known = list(SCENARIO_TITLES)
    order.sort(key=lambda k: known.index(k[0]) if k[0] in known else len(known))
    t = Table(["scenario / case", "mainline (glibc robust, set_robust_list)",
               "robustfutex (rf)", "mainline 7.2 (ml72: FUTEX_ROBUST_UNLOCK, vDSO)"])
    # On a kernel before 7.2, that is the reason for every ml72 cell.
    old = next((d["na"] for d in rows if d.get("impl") == ML72 and
                str(d.get("na", "")).startswith("kernel has no FUTEX_ROBUST_UNLOCK")),
               None)
    out, last = [], None
    for key in order:
        scen, case = key
        if scen != last:
            if last is not None:
                t.add("", "", "", "")
            t.add(SCENARIO_TITLES.get(scen, scen) + ":", "", "", "")
            last = scen
        c = cells[key]
        if ML72 not in c and scen in ML72_NA:
            c[ML72] = dict(scenario=scen, impl=ML72, variant=case,
                           na=old or ML72_NA[scen])
        t.add("  " + case,
              observed(c["mainline"]) if "mainline" in c else "-",
              observed(c["rf"]) if "rf" in c else "-",
              observed(c[ML72]) if ML72 in c else "-")
        out.append(dict(scenario=scen, case=case, mainline=c.get("mainline"),
                        rf=c.get("rf"), ml72=c.get(ML72)))
    return t.render(), out


# ---- where 7.2 stands against rf ----

def outcome_score(d):
    """How good an observed outcome is (higher is better), or None where
    the case did not run or has nothing to compare."""
    if not d or "na" in d or d.get("setup") not in (None, "0"):
        return None
    s = d["scenario"]
    if s in ("unlock_race", "list32_race"):
        return -d["bytes_changed"]
    if s == "pidns":
        return -1 if d["third_locker"] in ("0", "EOWNERDEAD") else 0
    if s == "lost_wakeup":
        return -1 if d["outcome"] == "still blocked" else 0
    if s in ("many_locks",):
        return d["owner_died_words"]
    if s in ("list32", "two_lists", "bad_list", "qemu_user"):
        return d.get("recovered")
    return None


def where_ml72(crows, prows):
    """In words: where 7.2 (ml72) does better than rf, as well, or worse."""
    better, same, worse, na, nostate = [], [], [], [], []
    for r in crows:
        m, f = r.get("ml72"), r.get("rf")
        name = "%s (%s)" % (SCENARIO_TITLES.get(r["scenario"], r["scenario"]),
                            r["case"])
        if r["scenario"] == "ml72_check":
            continue
        if m and "na" in m and "(mainline column)" in m["na"]:
            # 7.2 changes nothing here: its outcome is mainline's.
            m = r.get("mainline")
            name += " [7.2 = mainline here]"
        elif m and "na" in m and m["na"].startswith("no such state"):
            nostate.append("%s: %s" % (name, m["na"]))
            continue
        elif m and "na" in m:
            na.append((name, m["na"]))
            continue
        a, b = outcome_score(m), outcome_score(f)
        if a is None or b is None:
            continue
        (better if a > b else worse if a < b else same).append(name)
    lower = {"ns/pair", "us", "ms", "k instr", "instr"}
    pb, ps, pw = [], [], []
    for r in prows:
        v = r.get("values", {})
        m, f = v.get(ML72), v.get("rf")
        if m is None or f is None or r["unit"] not in lower | {"ops/s"}:
            continue
        adv = f / m if r["unit"] in lower else m / f  # > 1: ml72 better
        txt = "%s: ml72 %s, rf %s %s" % (r["name"], fmt(m), fmt(f), r["unit"])
        if adv > 1.05:
            pb.append("%s (%.2fx rf)" % (txt, adv))
        elif adv < 1 / 1.05:
            pw.append("%s (%.2fx rf)" % (txt, adv))
        else:
            ps.append(txt)
    out = []
    ran = [d for r in crows for d in (r.get("ml72"),) if d and "na" not in d] + \
        [r for r in prows if r.get("values", {}).get(ML72) is not None]
    if not ran:
        why = next((x for _, x in na if x.startswith("kernel has no")),
                   "no 7.2 results")
        return ["7.2 (ml72): n/a on this kernel: %s." % why]

    def para(title, items):
        if items:
            out.append(title)
            out.extend("  - " + x for x in items)
    para("Where 7.2 is better than rf (observed outcome):", better)
    para("Where 7.2 is better than rf (cost, one run: more than 5% apart):", pb)
    para("Where both do the same:", same)
    para("Where the state cannot arise under 7.2 (rf meets and recovers it):",
         nostate)
    para("Where cost is within 5% (one run: no difference claimed):", ps)
    para("Where rf is better than 7.2 (observed outcome):", worse)
    para("Where rf costs less than 7.2 (one run: more than 5% apart):", pw)
    para("Where 7.2 offers nothing of its own (n/a):",
         ["%s: %s" % x for x in na])
    return out


# ---- charts ----

def charts(lines, outdir):
    if not shutil.which("gnuplot"):
        return ["gnuplot not installed: no charts"]
    data = os.path.join(outdir, "data")
    os.makedirs(data, exist_ok=True)
    made, script = [], ["set terminal pngcairo size 960,600 font 'sans,11'",
                        "set grid", "set key top right"]
    colors = {"rf": "#d62728", "glibc-robust": "#1f77b4", "glibc-normal": "#7f7f7f",
              PRELOAD: "#2ca02c", ML72: "#9467bd"}

    # Throughput vs threads (and processes).
    if by(lines, bench="contended"):
        script += ["set output '%s'" % os.path.join(outdir, "throughput.png"),
                   "set multiplot layout 1,2 title 'Contended throughput (median, min..max)'",
                   "set logscale x 2", "set xlabel 'threads (one process)'",
                   "set ylabel 'lock+unlock per second'", "set yrange [0:*]"]
        for bench, unit, label in (("contended", "threads", "threads (one process)"),
                                   ("pshared", "processes", "processes (memfd mapping)")):
            plots = []
            for i in IMPLS + tuple(x for x in (PRELOAD, ML72)
                                   if any("ops_per_s" in d
                                          for d in by(lines, bench=bench, impl=x))):
                path = os.path.join(data, "%s-%s.dat" % (bench, i))
                with open(path, "w") as f:
                    for d in sorted(by(lines, bench=bench, impl=i), key=lambda d: d[unit]):
                        s = d["ops_per_s"]
                        f.write("%d %g %g %g\n" % (d[unit], s["median"], s["min"], s["max"]))
                plots.append("'%s' using 1:2:3:4 with yerrorlines lw 2 lc rgb '%s' title '%s'"
                             % (path, colors[i], i))
            script += ["set xlabel '%s'" % label,
                       "set xrange [0.8:10]" if bench == "contended" else "set xrange [1.6:5]",
                       "set xtics (1, 2, 4, 8)" if bench == "contended" else "set xtics (2, 4)",
                       "plot " + ", ".join(plots)]
        script += ["unset multiplot", "unset logscale", "set xrange [*:*]",
                   "set yrange [*:*]", "set xtics autofreq"]
        made.append("throughput.png")

    # Recovery latency distribution (CDF), per clock.
    for clock, png, xlabel in (
            ("wall", "recovery.png", "latency (microseconds, wall clock)"),
            ("icount", "recovery-icount.png",
             "latency (thousands of guest instructions, QEMU -icount)")):
        rec = [d for d in by(lines, bench="recovery")
               if d.get("clock", "wall") == clock and "latency_us" in d]
        if not rec:
            continue
        plots = []
        for d in rec:
            path = os.path.join(data, "recovery-%s-%s.dat" % (clock, d["impl"]))
            s = sorted(d["latency_us"]["samples"])
            with open(path, "w") as f:
                for k, v in enumerate(s):
                    f.write("%g %g\n" % (v, (k + 1) / len(s)))
            plots.append("'%s' using 1:2 with steps lw 2 lc rgb '%s' title '%s (p50 %s)'"
                         % (path, colors[d["impl"]], d["impl"],
                            fmt(d["latency_us"]["p50"])))
        script += ["set output '%s'" % os.path.join(outdir, png),
                   "set title 'Owner killed -> waiter owns the lock (EOWNERDEAD): CDF of %d kills'"
                   % rec[0]["kills"],
                   "set logscale x", "set xlabel '%s'" % xlabel,
                   "set ylabel 'fraction of kills'", "set yrange [0:1.02]",
                   "set key bottom right", "plot " + ", ".join(plots),
                   "unset logscale", "set yrange [*:*]", "set key top left"]
        made.append(png)

    # Exit cost vs held locks, log-log, per clock.
    for clock, png, ylabel in (
            ("wall", "exitcost.png", "milliseconds (wall clock)"),
            ("icount", "exitcost-icount.png",
             "millions of guest instructions (QEMU -icount)")):
        ec = exitcost_lines(lines, clock)
        if not ec:
            continue
        plots = []
        for i in ("rf", "glibc-robust"):
            path = os.path.join(data, "exitcost-%s-%s.dat" % (clock, i))
            with open(path, "w") as f:
                for d in sorted(by(ec, impl=i), key=lambda d: d["locks"]):
                    s = d["ms"]
                    f.write("%d %g %g %g\n" % (d["locks"], s["median"], s["min"], s["max"]))
            plots.append("'%s' using 1:2:3:4 with yerrorlines lw 2 lc rgb '%s' title '%s'"
                         % (path, colors[i], i))
        fit = exitcost_fits(ec).get("rf")
        if fit:
            plots.append("%g + %g * x with lines dt 2 lc rgb '%s' title 'rf, linear fit'"
                         % (fit[0], fit[1], colors["rf"]))
        script += ["set output '%s'" % os.path.join(outdir, png),
                   "set xrange [0.7:200000]",
                   "set title 'Process killed holding N robust locks: kill -> waitpid'",
                   "set logscale xy", "set xlabel 'locks held'",
                   "set ylabel '%s'" % ylabel, "set key top left",
                   "plot " + ", ".join(plots), "unset logscale",
                   "set xrange [*:*]"]
        made.append(png)

    path = os.path.join(data, "charts.gp")
    with open(path, "w") as f:
        f.write("\n".join(script) + "\n")
    r = subprocess.run(["gnuplot", path], capture_output=True, text=True)
    if r.returncode:
        return ["gnuplot failed: " + r.stderr.strip()[:400]]
    return made


# ---- main ----

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    lines = load(a.files)
    os.makedirs(a.out, exist_ok=True)

    vm = next((d for d in lines if d.get("env") == "vm" and "kernel" in d
               and d.get("clock", "wall") == "wall"), {})
    host = next((d for d in lines if d.get("env") == "host" and "kernel" in d), {})
    rows = perf_rows(lines)
    ptable, pnotes = perf_table(rows)
    ftable = floors_table(lines)
    machine = "machine: host CPU %s (%s cpus); VM CPU %s (QEMU %s, -cpu max, %s vCPUs)" % (
        host.get("cpu", "?"), host.get("cpus", "?"), vm.get("cpu", "?"),
        "TCG" if vm.get("mode", "qemu-tcg") == "qemu-tcg" else vm.get("mode"),
        vm.get("cpus", "?"))
    ctable, crows = correctness(lines)
    etables = [(clock, exitcost_table(exitcost_lines(lines, clock)))
               for clock in ("wall", "icount")]
    made = charts(lines, a.out)

    txt = []
    txt.append("robustfutex vs mainline, side by side")
    txt.append("=" * 38)
    txt.append("guest kernel: %s (Debian), module %s, %s vcpus; %s (the host's, copied in)"
               % (vm.get("kernel", "?"), vm.get("module_version", "?"),
                  vm.get("cpus", "?"), host.get("glibc", "glibc ?")))
    txt.append("mode: %s (QEMU software emulation: absolute times are not "
               "hardware times; compare within a row)%s"
               % (vm.get("mode", "?"), ", quick run" if vm.get("quick") else ""))
    if host:
        txt.append("host: %s, kernel %s, %s cpus, load average at start %s%s"
                   % (host.get("cpu", "?"), host.get("kernel", "?"),
                      host.get("cpus", "?"), host.get("loadavg", "?"),
                      ", " + host["qemu"] if host.get("qemu") else ""))
    txt.append("mainline = glibc's robust mutex (PTHREAD_MUTEX_ROBUST, "
               "set_robust_list, futex) on the same kernel;")
    txt.append("floor = glibc's normal mutex.  rf = rf_mutex "
               "(librobustfutex + the robustfutex module).")
    txt.append("preload = a robust pthread_mutex_t under "
               "LD_PRELOAD=librobustfutex-pthread.so (rfbench's")
    txt.append("glibc-robust code, unchanged; run after the others, not "
               "interleaved with them).")
    txt.append("ml72 = mainline 7.2's release: a robust mutex of our own "
               "(tests/bench/ml72.c) over")
    txt.append("set_robust_list, FUTEX_ROBUST_UNLOCK and the vDSO's try-unlock, "
               "on mainline's exit walk;")
    txt.append("interleaved with rf and glibc; \"n/a\" on kernels without "
               "FUTEX_ROBUST_UNLOCK (before 7.2).")
    txt.append("")
    txt.append("Performance (median of the runs, [min..max]; ratio = rf / other or as")
    txt.append("named, from the medians; \"within noise\" = the goal lies inside the")
    txt.append("interquartile range of run-by-run paired ratios)")
    txt.append("")
    txt.append(machine)
    txt.append("")
    txt.append(ptable)
    for n in pnotes:
        txt.append("  note: " + n)
    if ftable:
        txt.append("")
        txt.append("Uncontended lock+unlock against the bare atomics (ns/pair, medians;")
        txt.append("1 thread: the process never had a second one, and glibc 2.34+ then")
        txt.append("skips atomics in its normal mutex; 2: an idle second thread is alive;")
        txt.append("ml72's pair is two atomics too: CAS, and the vDSO's cmpxchg)")
        txt.append("")
        txt.append(machine)
        txt.append("")
        txt.append(ftable)
    for clock, (etable, enotes) in etables:
        if not etable:
            continue
        txt.append("")
        if clock == "wall":
            txt.append("Exit cost: process SIGKILLed holding N robust locks, kill -> waitpid")
            txt.append("returns (median ms; rf with list_limit raised to >= N; glibc only")
            txt.append("up to mainline's 2048)")
        else:
            txt.append("Exit cost by instruction count (QEMU -icount, one vCPU: \"ms\" are")
            txt.append("millions of guest instructions, \"us\" thousands)")
        txt.append("")
        txt.append(machine)
        txt.append("")
        txt.append(etable)
        for n in enotes:
            txt.append("  " + n)
    txt.append("")
    txt.append("Correctness (observed in the same boot; each case built "
               "deterministically and SIGKILLed)")
    txt.append("")
    txt.append(ctable)
    txt.append("")
    for n in CORRECTNESS_NOTES:
        txt.append("  " + n)
    txt.append("")
    txt.append("Mainline 7.2 (ml72) against robustfutex (rf), row by row")
    txt.append("")
    txt.extend(where_ml72(crows, rows))
    txt.append("")
    counters = one(lines, bench="counters")
    if counters:
        txt.append("module counters over the run (before the exit-rate rounds): " +
                   ", ".join("%s %s" % (k, v) for k, v in counters.items()
                             if k != "bench"))
        txt.append("")
    goals = [(r["name"], x) for r in rows for x in r.get("results", []) if x["goal"]]
    met = sum(1 for _, x in goals if x["result"].startswith("met"))
    txt.append("Goals: %d of %d met (%s)" % (met, len(goals), machine))
    for name, x in goals:
        txt.append("  %-7s %s, %s %s (ratio %s)" % (
            x["result"].split()[0], name,
            ("rf " + x["label"]) if x["label"].startswith("vs") else x["label"],
            goal_text(x["goal"]),
            "%.3f" % x["ratio"] if x["ratio"] is not None else "n/a") +
            (" " + " ".join(x["result"].split()[1:]) if " " in x["result"] else ""))
    txt.append("")
    txt.append("charts: " + ", ".join(made))
    report = "\n".join(txt) + "\n"
    with open(os.path.join(a.out, "report.txt"), "w") as f:
        f.write(report)
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump(dict(vm=vm, host=host, performance=rows, correctness=crows,
                       goals=dict(met=met, total=len(goals)), charts=made,
                       raw=lines), f, indent=1)
    sys.stdout.write(report)


if __name__ == "__main__":
    main()
