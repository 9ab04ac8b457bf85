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

This file writes the report; the parts are modules beside it:
report_base.py (names, JSON lines, formatting, the table), report_goals.py
(the goals, named by what they measure), report_perf.py (performance
rows), report_exitcost.py, report_correctness.py (and where 7.2 stands
against rf), report_charts.py.
"""
import argparse
import json
import os
import sys

# The report_*.py modules beside this file: no bytecode caches in the tree.
sys.dont_write_bytecode = True

from report_base import load, one  # noqa: E402
from report_charts import charts  # noqa: E402
from report_correctness import CORRECTNESS_NOTES, correctness, where_ml72  # noqa: E402
from report_exitcost import exitcost_lines, exitcost_table  # noqa: E402
from report_goals import goal_text  # noqa: E402
from report_perf import floors_table, perf_rows, perf_table  # noqa: E402


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
    def machine_of(vm, extra=""):
        return "machine: host CPU %s (%s cpus); VM CPU %s (QEMU %s, -cpu max, %s vCPUs%s)" % (
            host.get("cpu", "?"), host.get("cpus", "?"), vm.get("cpu", "?"),
            "TCG" if vm.get("mode", "qemu-tcg") == "qemu-tcg" else vm.get("mode"),
            vm.get("cpus", "?"), extra)
    machine = machine_of(vm)
    vm_icount = next((d for d in lines if d.get("env") == "vm" and "kernel" in d
                      and d.get("clock") == "icount"), {})
    ctable, crows = correctness(lines)
    etables = [(clock, exitcost_table(exitcost_lines(lines, clock)))
               for clock in ("wall", "icount")]
    made = charts(lines, a.out)

    txt = []
    txt.append("robustfutex vs mainline, side by side")
    txt.append("=" * 38)
    arm64 = vm.get("arch", "x86_64") != "x86_64" or "guest_arch" in host
    txt.append("guest kernel: %s (Debian), module %s, %s vcpus; %s (%s)"
               % (vm.get("kernel", "?"), vm.get("module_version", "?"),
                  vm.get("cpus", "?"), host.get("glibc", "glibc ?"),
                  "the cross toolchain's, linked static" if arm64 else
                  "the host's, copied in"))
    txt.append("mode: %s (QEMU software emulation: absolute times are not "
               "hardware times; compare within a row)%s"
               % (vm.get("mode", "?"), ", quick run" if vm.get("quick") else ""))
    if host:
        txt.append("host: %s, kernel %s, %s cpus, load average at start %s%s"
                   % (host.get("cpu", "?"), host.get("kernel", "?"),
                      host.get("cpus", "?"), host.get("loadavg", "?"),
                      ", " + host["qemu"] if host.get("qemu") else ""))
    if arm64:
        txt.append("guest: %s under qemu-system-aarch64 -M virt -cpu max, TCG; "
                   "LSE atomics (cpuinfo Features: atomics): %s"
                   % (vm.get("arch", host.get("guest_arch", "?")),
                      {True: "yes", False: "no"}.get(vm.get("lse"), "?")))
        if host.get("lib_atomics"):
            txt.append("librobustfutex's atomics (objdump of the cross-built "
                       "librobustfutex.a): gcc %s" % host["lib_atomics"])
        txt.append("not on arm64: the preload and the unmodified binary's "
                   "preload half (the guest's programs are static), the")
        txt.append("host-native rows (the host is x86), mainline's 32-bit "
                   "list through int 0x80 (arm64 has no such entry).")
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
            txt.append("millions of guest instructions, \"us\" thousands; the first figure")
            txt.append("is each count's fewest, an exit's own instructions)")
        txt.append("")
        txt.append(machine if clock == "wall" else
                   machine_of(vm_icount, ", -icount shift=0"))
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
