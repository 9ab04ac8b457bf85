# SPDX-License-Identifier: GPL-2.0
"""The PNG charts, drawn by gnuplot if it is installed: throughput,
recovery latency (CDF) and exit cost."""
import os
import shutil
import subprocess

from report_base import IMPLS, ML72, PRELOAD, by, fmt
from report_exitcost import exitcost_fits, exitcost_lines, stat


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
                    f.write("%d %g %g %g\n" % (d["locks"], stat(d), s["min"], s["max"]))
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
