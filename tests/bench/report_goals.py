# SPDX-License-Identifier: GPL-2.0
"""The goals the report marks met or missed, each named by what it
measures: the ratio of rf's figure to the one it is judged against."""
from report_base import quantile

# "le": the ratio must not exceed the bound (times: lower is better);
# "ge": must reach it (rates).  Uncontended: rf needs three atomics where
# glibc robust needs two, so it is judged against glibc robust and against
# its own three-atomic floor.  Recovery, reap, the exit cost per lock,
# registered fork and exit
# rate: as fast as mainline's exit walk (docs/exit-walk.md).  Throughput:
# at least glibc robust's.
GOALS = {
    # uncontended lock+unlock, ns per pair: rf / glibc robust
    "uncontended_vs_robust": ("le", 1.35),
    # the same: rf / the bare CAS+fetch_or+xchg it cannot do with fewer
    "uncontended_vs_floor3": ("le", 1.10),
    # contended and pshared ops/s: rf / glibc robust
    "throughput_vs_robust": ("ge", 1.00),
    # SIGKILL of the owner -> a waiter owns the lock, p50 and p99
    "recovery_vs_robust": ("le", 1.00),
    # SIGKILL -> waitpid of 128 threads each holding a lock
    "reap_vs_robust": ("le", 1.10),
    # the exit cost's least-squares slope, us per added lock held
    "exitcost_slope_vs_robust": ("le", 1.00),
    # a registered child's fork+exit+wait, N idle processes / none
    "forkreg_idle_vs_none": ("le", 1.10),
    # fork+exit rate of unregistered processes, module loaded / unloaded
    "exitrate_loaded_vs_unloaded": ("ge", 0.98),
}


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
