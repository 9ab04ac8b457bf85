# SPDX-License-Identifier: GPL-2.0
"""The correctness table (each owner-death case as observed under
mainline, rf and mainline 7.2), and in words where 7.2 stands against rf."""
import json

from report_base import ML72, Table, fmt


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
    lower = {"ns/pair", "us", "ms", "k instr", "instr", "M instr"}
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
