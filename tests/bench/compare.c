// SPDX-License-Identifier: GPL-2.0
/*
 * compare: what happens when a robust-lock owner dies at the wrong moment,
 * under mainline (glibc's robust pthread mutex, glibc's list registered
 * with set_robust_list, the kernel's exit walk), under mainline 7.2's
 * release (ml72.c: FUTEX_ROBUST_UNLOCK and the vDSO's try-unlock, the
 * same exit walk) and under robustfutex (rf_mutex and lists registered
 * through the module), in the same boot.
 *
 *   compare [--only IMPL[,IMPL...]] [SCENARIO...]     (default: all)
 *
 * Scenarios: unlock_race lost_wakeup many_locks lists bad_list
 * list32_race pidns ml72_check.  IMPL: mainline, rf, ml72 (default: all;
 * without rf, the module need not be loaded).  On a kernel without
 * FUTEX_ROBUST_UNLOCK every ml72 case says "n/a" and why.
 *
 * Each case is built deterministically: a child process leaves exactly
 * the state a thread has at one instant of its lock or unlock code (by
 * calling the real lock functions, then editing its own list head found
 * through get_robust_list() or rf_list_get()), and is SIGKILLed there.
 * Each JSON line says what was observed afterwards (bytes changed, how
 * long a waiter stayed blocked, the return code it got, words recovered),
 * never a verdict.
 *
 * The files: this one (options, dispatch), compare.h (what they share),
 * compare_util.c (helpers, the three mutexes, children that die where
 * they are told), compare_race.c (unlock_race, list32_race),
 * compare_owner.c (lost_wakeup, many_locks, bad_list, pidns),
 * compare_lists.c (lists), compare_ml72.c (ml72_check); json.c writes the
 * lines.
 */
#include "compare.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} scen[] = {
		{ "unlock_race", run_unlock_race },
		{ "lost_wakeup", run_lost_wakeup },
		{ "many_locks", run_many_locks },
		{ "lists", run_lists },
		{ "bad_list", run_bad_list },
		{ "list32_race", run_list32_race },
		{ "pidns", run_pidns },
		{ "ml72_check", run_ml72_check },
	};
	const int n = sizeof(scen) / sizeof(*scen);
	int first = 1;

	if (argc > 2 && !strcmp(argv[1], "--only")) {
		memset(want, 0, sizeof(want));
		for (char *tok = strtok(argv[2], ","); tok; tok = strtok(NULL, ",")) {
			int i;

			for (i = 0; i < NR_IMPLS && strcmp(tok, impl_name[i]); i++)
				;
			if (i == NR_IMPLS)
				die(tok, EINVAL);
			want[i] = true;
		}
		first = 3;
	}
	if (want[RF] && access(RF_DEVICE_PATH, F_OK))
		die(RF_DEVICE_PATH " (load the module)", ENODEV);
	for (int i = 0; i < n; i++) {
		bool run = argc <= first;

		for (int a = first; a < argc; a++)
			run |= !strcmp(argv[a], scen[i].name);
		if (run)
			scen[i].fn();
	}
	return 0;
}
