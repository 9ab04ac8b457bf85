# SPDX-License-Identifier: GPL-2.0
"""Exit cost: a process SIGKILLed holding N robust locks, its table and
the least-squares fit (also drawn by report_charts)."""
import statistics

from report_base import Table, by, fmt, one


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
