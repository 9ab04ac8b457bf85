# SPDX-License-Identifier: GPL-2.0
"""Exit cost: a process SIGKILLed holding N robust locks, its table, the
least-squares fit (also drawn by report_charts), and the per-lock slope
against mainline's as a performance row with a goal.

By wall clock each count's figure is the median of its kills.  By
instruction count (QEMU -icount) it is the fewest: whatever else the
guest runs meanwhile (a timer, a deferred free, a boot-time kernel
thread's time slice) only adds to a kill, and an exit's own
instructions are the same every time.  report_perf.py's reap row takes
its figure the same way."""
import statistics

from report_base import Table, by, fmt, one, ratio


def stat(d):
    """The figure of one count's kills: see the module's docstring."""
    return d["ms"]["min" if d.get("clock") == "icount" else "median"]


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
        pts = [(d["locks"], stat(d))
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
    icount = any(d.get("clock") == "icount" for d in lines)
    prev = {}
    for n in ns:
        cells = [n]
        for i in ("rf", "glibc-robust"):
            d = one(lines, bench="exitcost", impl=i, locks=n)
            if not d:
                cells += ["-", ""]
                continue
            ms = stat(d)
            cells.append("%s [%s..%s] (%d)" % (fmt(ms), fmt(d["ms"]["min"]),
                                               fmt(d["ms"]["max"]), d["recovered"]))
            p = prev.get(i)
            cells.append("%.3f" % ((ms - p[1]) * 1000 / (n - p[0]))
                         if p and (icount or n - p[0] >= 9000) else "")
            prev[i] = (n, ms)
        t.add(*cells)
    notes = []
    for i, (a, b, r2) in exitcost_fits(lines).items():
        if i != "rf":
            continue  # glibc's slope, noisy, is exitcost_slope_row's
        notes.append("%s: least-squares fit t = %.2f ms + %.3f us x locks (R^2 %.3f)"
                     % (i, a, b * 1000, r2))
    return t.render(), notes


def run_slopes(lines, impl):
    """us per added lock of each run: its fewest locks to its most."""
    ds = sorted(by(lines, bench="exitcost", impl=impl), key=lambda d: d["locks"])
    if len(ds) < 2:
        return None
    lo, hi = ds[0], ds[-1]
    span = hi["locks"] - lo["locks"]
    return [(h - l) * 1000 / span
            for l, h in zip(lo["ms"].get("runs", []), hi["ms"].get("runs", []))]


def exitcost_slope_row(lines, clock):
    """The fits' slopes, rf against glibc robust (the goal: no dearer)."""
    ec = exitcost_lines(lines, clock)
    fits = exitcost_fits(ec)
    if "rf" not in fits or "glibc-robust" not in fits:
        return None
    # ms per lock: us by wall clock; by instruction count, instructions.
    scale = 1000 if clock == "wall" else 1e6
    val = {"rf": fits["rf"][1] * scale,
           "glibc-robust": fits["glibc-robust"][1] * scale,
           "glibc-normal": None}
    n = {i: max(d["locks"] for d in by(ec, bench="exitcost", impl=i))
         for i in ("rf", "glibc-robust")}
    rs, gs = run_slopes(ec, "rf"), run_slopes(ec, "glibc-robust")
    # By instruction count a run's slope is the fewest's plus what else
    # ran in its kills: no noise to judge the fewest by.
    paired = ([a / b for a, b in zip(rs, gs) if b > 0]
              if rs and gs and len(rs) == len(gs) and clock == "wall" else None)
    # A glibc slope at or below zero is noise: no ratio to judge.
    rt = ratio(val["rf"], val["glibc-robust"]) if val["glibc-robust"] > 0 else None
    # With an instruction count beside it, the goal is judged there: by
    # wall clock mainline's whole walk is about one kill's noise.
    by_icount = clock == "wall" and "glibc-robust" in exitcost_fits(
        exitcost_lines(lines, "icount"))
    goal = None if by_icount else "exitcost_slope_vs_robust"
    return dict(
        name="exit cost per added lock (least-squares fit%s)"
             % (", icount" if clock == "icount" else ""),
        unit="us" if clock == "wall" else "instr",
        values=val, spread={},
        checks=[("vs glibc-robust", goal, rt, paired)],
        note=("fits over the exit cost table below: rf 1-%d locks, glibc-robust "
              "1-%d (mainline walks at most 2048, whose cost is close to one "
              "exit's noise); " +
              ("the goal is judged by instruction count (the icount row)"
               if by_icount else "within noise from run r's slope of each")
              if clock == "wall" else
              "fits over the instruction-count table below (each count's "
              "fewest): rf 1-%d locks, glibc-robust 1-%d; instructions are "
              "the same from kill to kill, so no noise is judged")
             % (n["rf"], n["glibc-robust"]))
