/* SPDX-License-Identifier: GPL-2.0 */
/*
 * robustfutex: the intent-to-release protocol, model-checked with spin.
 * model/README.md says what is modelled and why, and how to run it.
 *
 * Pick the rules with one -D (none: the rules of today, "NEW"):
 *   (none)     owner IDs handed out by the module, an exact "is the owner
 *              dead?" lookup, waiters woken by their owner's death, no
 *              records.  Two PID namespaces and TID reuse are on; the
 *              NEW rules never look at a TID, so they must not matter.
 *              Expect 0 errors.
 *   OLD_NS     old rules (TIDs, records, find_vpid() in the waiter's
 *              namespace); B and Y in a child PID namespace.
 *   OLD_REUSE  old rules; X, a STALLED user, may be handed A's TID.
 *   OLD_EVICT  old rules; a recovery record may be evicted or not allocated.
 *   OLD_PLAIN  old rules, none of the three: expect 0 errors, so what the
 *              three above find comes from namespaces, reuse and eviction.
 *   MAINLINE   glibc's protocol and mainline's exit rules: the kernel writes
 *              OWNER_DIED into memory the application reused (glibc 14485).
 *   WALK_FAIL  NEW, and the walk may stop at a bad entry, fail to read the
 *              list head, or never finish.  Finds a waiter blocked for ever
 *              (README.md).  Add -DHEIR, the module's rule (wait.c,
 *              rf_wake_key()), for 0 errors.
 *   TWO_DEATHS (with any) B may die too: a bigger run.
 */

/* ---- rules and environment ------------------------------------------------ */

#if defined(OLD_NS) || defined(OLD_REUSE) || defined(OLD_EVICT) || defined(OLD_PLAIN)
#define OLD		1
#endif
#if !defined(OLD) && !defined(MAINLINE)
#define NEW		1
#endif
#if defined(NEW) || defined(OLD_NS)
#define TWO_NS		1	/* B and Y live in a child PID namespace */
#endif
#if defined(NEW) || defined(OLD_REUSE)
#define TID_REUSE	1	/* X may be handed A's TID once A is reaped */
#endif
#ifdef OLD_EVICT
#define LOSE_RECORDS	1	/* a record may be evicted or fail to allocate */
#endif
#ifdef NEW
#define TRYLOCK		1	/* C may use trylock, which asks the module once */
#endif

/* ---- the futex word: owner field and three flags, in one byte ------------ */

#define OWN	15	/* owner: a TID (OLD, MAINLINE) or an owner ID (NEW) */
#define RBIT	16	/* RF_RELEASING */
#define DBIT	32	/* FUTEX_OWNER_DIED */
#define WBIT	64	/* FUTEX_WAITERS */
#define FREE(x)	(((x) & (OWN | RBIT)) == 0)	/* 0, or W and/or D left over */

byte word;

/*
 * What the memory is.  0: the first mutex (robust).  1: a new STALLED mutex
 * the application put in the same place once done with the first.  2: other
 * data.  A kernel write for a thread of generation g is legal only while
 * gen == g.
 */
byte gen;

/* ---- threads ----------------------------------------------------------------- */

#define NT	5
#define A	1	/* gen 0, robust, 2 rounds; mortal: may die at any step */
#define B	2	/* gen 0, robust, 2 rounds; child namespace with TWO_NS */
#define C	3	/* gen 0, robust, 2 rounds; trylock with TRYLOCK */
#define X	4	/* gen 1, STALLED, 1 round; may get A's TID */
#define Y	5	/* gen 1, STALLED, 1 round; child namespace with TWO_NS */

#define NAME(s)		((s) == A -> 'A' : ((s) == B -> 'B' : ((s) == C -> 'C' : \
			 ((s) == X -> 'X' : 'Y'))))
#define GEN(s)		((s) >= X)
#define ROBUST(s)	((s) < X)
#ifdef TWO_DEATHS
#define MORTAL(s)	((s) == A || (s) == B)
#else
#define MORTAL(s)	((s) == A)
#endif
#define ROUNDS(s)	((s) <= C -> 2 : 1)
#ifdef TWO_NS
#define INCHILD(s)	((s) == B || (s) == Y)
#else
#define INCHILD(s)	0
#endif

/* Life of a thread.  A dead thread's TID still exists until it is reaped. */
#define UNBORN	0
#define RUN	1
#define LAST	2	/* has made its last release, still running */
#define FIN	3	/* done: stays alive (and registered) for ever */
#define DYING	4	/* dead (exit or exec); its walk has not run yet */
#define ZOMBIE	5	/* walked, not reaped: find_vpid() still finds it */
#define GONE	6	/* reaped: its TID may be handed out again */
#define ALIVE(k)	(st[k] >= RUN && st[k] <= FIN)

byte st[NT+1];
byte who[NT+1];		/* what it writes in the owner field */
byte htid[NT+1];	/* its TID in the host namespace */
byte ctid[NT+1];	/* its TID in the child namespace, 0 if not in it */

/* Its robust list: one entry (the mutex is held) and list_op_pending. */
#define LOCKP	1
#define UNLOCKP	2	/* RF_PENDING_UNLOCK; mainline has no such mark */
bool held[NT+1];
byte pend[NT+1];

/* Asleep in the module (RF_IOC_WAIT); NEW: linked to the owner's ID. */
bool asleep[NT+1];
byte linked[NT+1];

/* Ghosts, for the properties: who really holds the lock (a live owner
 * stays the holder whatever the module does to its word), and how many
 * threads are in the critical section. */
byte holder;
byte incs;

#ifdef OLD
byte rec;		/* the recovery record for this key: a dead TID, 0 none */
#endif
#ifdef NEW
bool iddead[16];	/* the registration of this owner ID is marked dead */
#endif

/* For trails: a word as owner:WRD, a letter per flag set (printf adds no state). */
#define PW(x)	(x) & OWN, ((x) & WBIT -> 'W' : '-'), ((x) & RBIT -> 'R' : '-'), \
		((x) & DBIT -> 'D' : '-')

/* ---- the module's wakes ------------------------------------------------------- */

#ifdef HEIR
/*
 * The module's rule (wait.c): the waiter the module wakes becomes the heir of the
 * others on that word; they are linked to it from now on, so they are
 * woken if it dies, before or after it takes the lock, walk or no walk.
 */
#define RELINK(j, h)	if :: asleep[j] -> linked[j] = who[h] :: else -> skip fi
#define WOKE(h)		RELINK(1, h); RELINK(2, h); RELINK(3, h); RELINK(4, h); RELINK(5, h)
#else
#define WOKE(h)		skip
#endif
#define WAKE1(k)	:: asleep[k] -> asleep[k] = 0; linked[k] = 0; WOKE(k)
inline wake_one()	/* atomic: under the bucket lock */
{
	atomic {
		if
		WAKE1(1) WAKE1(2) WAKE1(3) WAKE1(4) WAKE1(5)
		:: else -> skip
		fi
	}
}

#define WAKEALL1(k)	asleep[k] = 0; linked[k] = 0
inline wake_all()
{
	WAKEALL1(1); WAKEALL1(2); WAKEALL1(3); WAKEALL1(4); WAKEALL1(5)
}

#define WAKEL(k, id)	if :: asleep[k] && linked[k] == id -> \
				asleep[k] = 0; linked[k] = 0 :: else fi
inline wake_linked(id)	/* NEW: the owner died; its waiters ask again */
{
	WAKEL(1, id); WAKEL(2, id); WAKEL(3, id); WAKEL(4, id); WAKEL(5, id)
}

/* Before every kernel write to the word: is it still the memory the kernel
 * was told about?  (Bug 14485 is a write after the application reused it.) */
#define KWRITE(s)	assert(gen == GEN(s))

/* ---- a thread starts: its TIDs, its registration ------------------------- */

inline create(s)
{
	htid[s] = s + 1;			/* A=2 B=3 C=4 X=5 Y=6 */
#ifdef TID_REUSE
	if
	:: s == X && st[A] == GONE -> htid[X] = htid[A]	/* pid_max wrapped */
	:: else -> skip
	fi;
#endif
	if
	:: INCHILD(s) -> ctid[s] = (s == B -> 1 : 2)	/* B is its pid 1 */
	:: else -> skip
	fi;
#ifdef NEW
	/*
	 * Every user registers (STALLED ones too) and gets an owner ID.  The
	 * allocator hands out each ID once in this model (the module's is
	 * cyclic over 2^29); which thread gets which value does not matter,
	 * so the order is fixed: A=8 B=9 C=10 X=11 Y=12.
	 */
	who[s] = s + 7;
#else
	who[s] = (ctid[s] != 0 -> ctid[s] : htid[s]);	/* as its own ns numbers it */
#endif
#ifdef OLD
	/* Old rule: a registering thread voids the records naming its TID.
	 * STALLED users never registered. */
	if
	:: ROBUST(s) && rec == who[s] -> rec = 0
	:: else -> skip
	fi;
#endif
	st[s] = RUN;
	printf("%c: starts: TID %d (host) %d (child), owner field %d\n",
	       NAME(s), htid[s], ctid[s], who[s])
}

/* ---- RF_IOC_WAIT with RF_WAIT_RECOVER: "sleep while word == v" ------------ */

#ifdef OLD
/* find_vpid(n) in namespace ns finds a live thread or a zombie. */
#define NUMIS(k, n, ns)	(st[k] != UNBORN && st[k] != GONE && \
			 ((ns) -> ctid[k] : htid[k]) == (n))
#define EXISTS(n, ns)	(NUMIS(1, n, ns) || NUMIS(2, n, ns) || NUMIS(3, n, ns) || \
			 NUMIS(4, n, ns) || NUMIS(5, n, ns))
#endif

/* The module took the lock from its holder: the ghost forgets a dead
 * holder only; a live one still holds it, and the next lock or its own
 * unlock then fails an assertion. */
#define FORGET_DEAD	if :: !ALIVE(holder) -> holder = 0 :: else -> skip fi

/* Does the module hold the owner o of the word for dead?  Sets known. */
inline owner_dead(s)
{
#ifdef NEW
	known = iddead[o];			/* exact: one lookup by ID */
#endif
#ifdef OLD
	if
	:: (word & RBIT) && o != 0 ->		/* only a release cut short */
		if
		:: rec == o -> known = 1; rec = 0	/* used up below */
		:: rec != 0 && rec != o -> rec = 0	/* stale for this key */
		:: else -> skip
		fi;
		if
		:: !known -> known = !EXISTS(o, INCHILD(s))	/* WAITER's ns */
		:: else -> skip
		fi
	:: else -> skip
	fi
#endif
#ifdef MAINLINE
	known = 0				/* FUTEX_WAIT: no recovery */
#endif
}

inline kwait(s)
{
	if
	:: word != v -> skip			/* EAGAIN: look again */
	:: else ->
		o = word & OWN;
		owner_dead(s);
		if
		:: known && (word & RBIT) ->
			/* a release cut short: finish it, keep WAITERS */
			KWRITE(s); word = word & WBIT; FORGET_DEAD;
			printf("%c: module: owner %d dead, release finished\n", NAME(s), o)
#ifdef NEW
		:: known && !(word & RBIT) && ROBUST(s) ->
			/* RF_WAIT_OWNER_DIED: the owner died holding it, and the
			 * waiter proves the memory is a live mutex */
			KWRITE(s); word = (word & WBIT) | DBIT; FORGET_DEAD;
			printf("%c: module: owner %d dead, OWNER_DIED set\n", NAME(s), o)
#endif
		:: else ->
			asleep[s] = 1;
#ifdef NEW
			linked[s] = o;			/* woken if o dies */
#endif
			printf("%c: module: sleeps on word %d:%c%c%c\n", NAME(s), PW(word))
		fi;
		o = 0; known = 0
	fi
}

#ifdef TRYLOCK
/* RF_WAIT_RECOVER|RF_WAIT_TRY on owner|R: never sleeps. */
inline ktry(s)
{
	if
	:: word != v -> skip			/* EAGAIN: look again */
	:: else ->
		if
		:: iddead[word & OWN] ->
			KWRITE(s); word = word & WBIT; FORGET_DEAD;
			printf("%c: module (try): release finished\n", NAME(s))
		:: else ->
			/* EBUSY only while the releaser lives (docs/identity.md) */
			assert(ALIVE(holder)); busy = 1
		fi
	fi
}
#endif

/* ---- the exit walk of a dead thread s --------------------------------------- */

/* The word is s's own: the rule for a held entry and for a pending lock. */
inline owner_died(s)
{
	KWRITE(s);
	assert(holder == s);
#ifdef MAINLINE
	word = (word & WBIT) | DBIT;
#else
	if
	:: word & RBIT -> word = word & WBIT	/* not yet dequeued: finish it */
	:: else -> word = (word & WBIT) | DBIT
	fi;
#endif
	holder = 0;
	printf("module: %c's walk: word := %d:%c%c%c\n", NAME(s), PW(word));
	if :: word & WBIT -> wake_one() :: else -> skip fi
}

inline walk(s)
{
#ifdef MAINLINE
	/* Mainline's TID mask covers bit 29, our RBIT.  It leaves the pending
	 * entry to the pending rule. */
	if
	:: held[s] && pend[s] == 0 && (word & (OWN|RBIT)) == who[s] -> owner_died(s)
	:: else -> skip
	fi;
	if
	:: pend[s] != 0 && (word & (OWN|RBIT)) == who[s] -> owner_died(s)	/* lock OR unlock */
	:: pend[s] != 0 && (word & (OWN|RBIT)) == 0 -> wake_one()		/* since 5.5 */
	:: else -> skip
	fi;
#else
	if
	:: held[s] && (word & OWN) == who[s] -> owner_died(s)
#ifdef WALK_FAIL
	:: held[s] ->		/* a bad pointer before it: the walk stops */
		printf("module: %c's walk: list entry unreadable\n", NAME(s))
#endif
	:: else -> skip
	fi;
	if
	:: pend[s] == LOCKP && (word & OWN) == who[s] -> owner_died(s)
	:: pend[s] == LOCKP && (word & OWN) != who[s] &&
	   ((word & OWN) == 0 || !(word & WBIT)) ->
		wake_one()	/* it may have been woken and died before taking it */
	:: pend[s] == UNLOCKP ->
		/* the memory may be freed and reused: never write */
#ifdef OLD
		if
		:: (word & ~WBIT) == (who[s] | RBIT) ->
			rec = who[s];
			printf("module: %c's walk: record (key, TID %d)\n", NAME(s), rec)
#ifdef LOSE_RECORDS
		:: (word & ~WBIT) == (who[s] | RBIT) ->
			printf("module: %c's walk: record lost (evicted or no memory)\n", NAME(s))
#endif
		:: else -> skip
		fi;
#endif
		wake_all()
	:: else -> skip
	fi;
#endif
	held[s] = 0; pend[s] = 0
}

/* ---- a thread: ROUNDS(s) times lock, critical section, unlock -------------- */

#define MAYDIE	if :: MORTAL(s) -> goto die :: true -> skip fi

proctype T(byte s)
{
	byte i, v, o;
	bool slept, known, hadw, tr, asked, busy;

	/* A gen-1 thread starts once the memory is the new mutex. */
end_unborn:
	atomic { gen == GEN(s) -> create(s) };
	do
	:: i < ROUNDS(s) ->
		/* ---------------- lock ---------------- */
		if :: ROBUST(s) -> pend[s] = LOCKP :: else -> skip fi;
		MAYDIE;
#ifdef TRYLOCK
		if :: s == C -> tr = 1 :: true -> skip fi;
#endif
		do
		:: atomic { FREE(word) ->		/* CAS: take it */
			if
			:: word & DBIT -> printf("%c: EOWNERDEAD\n", NAME(s))
			:: else -> skip
			fi;
			/* a thread that has slept sets WAITERS: others may sleep */
			word = who[s] | (word & WBIT) | (slept -> WBIT : 0);
			printf("%c: locked, word %d:%c%c%c\n", NAME(s), PW(word));
			assert(holder == 0);		/* nobody else holds it */
			holder = s;
			break }
		:: atomic { !FREE(word) && !tr ->	/* set WAITERS, then wait */
			word = word | WBIT; v = word };
			MAYDIE;
			atomic { kwait(s) };
sleeping:		/* NOT an end state: a waiter left here is blocked for ever */
			if
			:: !asleep[s] -> skip
			:: MORTAL(s) && asleep[s] ->	/* killed in its sleep */
				atomic { asleep[s] = 0; linked[s] = 0 }; goto die
			fi;
			slept = 1; v = 0;
			MAYDIE
#ifdef TRYLOCK
		:: atomic { !FREE(word) && tr ->
			v = word;
			if
			:: (v & RBIT) && !asked -> asked = 1	/* ask once */
			:: else ->				/* EBUSY */
				/* never on a dead releaser's word without asking */
				assert(asked || !(v & RBIT) || ALIVE(holder));
				busy = 1
			fi };
			if
			:: busy -> break
			:: else -> atomic { ktry(s) };
				if :: busy -> break :: else -> skip fi
			fi
#endif
		od;
		v = 0; slept = 0; tr = 0; asked = 0;
		if
		:: busy ->				/* trylock: EBUSY */
			busy = 0;
			if :: ROBUST(s) -> pend[s] = 0 :: else -> skip fi
		:: else ->
			MAYDIE;
			if :: ROBUST(s) -> held[s] = 1; MAYDIE; pend[s] = 0 :: else -> skip fi;
			MAYDIE;

			/* ---------------- critical section ---------------- */
			atomic { incs++; assert(incs == 1) };
			incs--;
			MAYDIE;

			/* ---------------- unlock ---------------- */
			if :: ROBUST(s) -> pend[s] = UNLOCKP; MAYDIE :: else -> skip fi;
#ifndef MAINLINE
			atomic {				/* fetch_or(RELEASING) */
				assert(holder == s); word = word | RBIT;
				printf("%c: unlock: RELEASING set, word %d:%c%c%c\n", NAME(s), PW(word)) };
			MAYDIE;
#endif
			if :: ROBUST(s) -> held[s] = 0; MAYDIE :: else -> skip fi;
			atomic {				/* xchg(word, 0) */
				printf("%c: unlock: xchg finds word %d:%c%c%c\n", NAME(s), PW(word));
				/* nobody took it from us meanwhile */
				assert(holder == s && (word & OWN) == who[s]);
				hadw = (word & WBIT) != 0; word = 0; holder = 0;
				if :: i + 1 == ROUNDS(s) -> st[s] = LAST :: else -> skip fi };
			MAYDIE;
			if :: hadw -> wake_one() :: else -> skip fi;
			hadw = 0;
			MAYDIE;
			if :: ROBUST(s) -> pend[s] = 0 :: else -> skip fi
		fi;
		i++
	:: else -> break
	od;
	st[s] = FIN;
	goto out;

die:	/* exit (or exec) */
	atomic {
		st[s] = DYING;
		printf("%c: dies\n", NAME(s));
#ifdef NEW
		/* marked dead before any walk; waiters linked to it ask again */
		iddead[who[s]] = 1; wake_linked(who[s])
#endif
	};
#ifdef WALK_FAIL
	if
	:: skip
	:: printf("module: %c's walk: parked for ever (userfaultfd)\n", NAME(s));
end_parked:
		false
	fi;
#endif
	atomic {
#ifdef WALK_FAIL
		if
		:: walk(s)
		:: held[s] = 0; pend[s] = 0;
			printf("module: %c's walk: list head unreadable\n", NAME(s))
		fi;
#else
		walk(s);
#endif
		st[s] = ZOMBIE
	};
	st[s] = GONE;
	printf("%c: reaped\n", NAME(s));
out:
	skip
}

/*
 * The application frees the first mutex once nobody can still use it: each
 * of A, B, C has made its last release, or has died and its death could be
 * seen (its walk has run).  The memory becomes a new STALLED mutex, used by
 * X and Y, or other data that happens to hold A's identity.
 */
#define DONE0(k)	(st[k] == LAST || st[k] == FIN || st[k] == ZOMBIE || st[k] == GONE)

proctype Mem()
{
end_mem:
	atomic {
		DONE0(A) && DONE0(B) && DONE0(C) ->
		holder = 0;
		if
		:: gen = 1; word = 0
		:: gen = 2; word = who[A]
		:: gen = 2; word = who[A] | RBIT
		fi;
		printf("memory reused: gen %d, word %d:%c%c%c\n", gen, PW(word))
	}
}

init {
	atomic {
		run T(A); run T(B); run T(C); run T(X); run T(Y);
		run Mem()
	}
}
