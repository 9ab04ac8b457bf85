# SPDX-License-Identifier: GPL-2.0
"""The performance rows (one per measurement, with their ratios and
goals), their table, and the uncontended bench against the bare atomics."""
import statistics

from report_base import (IMPLS, ML72, PRELOAD, FLOORS, Table, by, fmt, one,
                         paired_ratios, quantile, ratio)
from report_exitcost import exitcost_slope_row, stat
from report_goals import goal_text, judge


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
    # By instruction count the fewest (report_exitcost.stat()): other
    # work only adds, so no noise to judge.
    icount = clock == "icount"
    val = {i: stat(rp[i]) for i in rp}
    val["glibc-normal"] = None
    return dict(
        name="reap, %d threads each holding a lock%s"
             % (rp["rf"]["threads"], " (icount, fewest)" if icount else ""),
        unit="M instr" if icount else "ms", values=val,
        spread={i: rp[i]["ms"] for i in rp},
        checks=[("vs glibc-robust", "reap_vs_robust",
                 ratio(val["rf"], val["glibc-robust"]),
                 None if icount else
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
        for f in (reap_row, exitcost_slope_row, forkreg_row, exitrate_row):
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
