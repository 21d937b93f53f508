/* bootctl A/B slot state machine (components/bootctl/bootctl_core.c) in Promela,
 * checked exhaustively by SPIN (test/model/run_spin.py, meson test bootctl_model).
 *
 * One device boots forever. Between boots the environment may write a new image
 * (valid or not, any release) into the slot that is NOT the last confirmed one (the
 * update procedure of docs/bootctl.md), damage the control record, or damage both
 * records; a boot may ask for a trial of the other slot (boot.try) and its health
 * gate may pass or fail. Power may fail after EVERY commit (CRASH): the volatile
 * state of the boot is lost and the device boots again from what was committed.
 * A commit (both records in one atomic statefs update + sync) is one d_step.
 *
 * Checked (assertions; SPIN reports "errors: 0" when none can fail):
 *  - every boot serves a slot (always bootable), whose image is valid and whose
 *    release is at or above the true floor (the highest release ever confirmed);
 *  - tries never exceed N (no wrap) and a trial is served at most N times without
 *    a new grant of tries (a crash during an attempt still counts);
 *  - a slot is successful only while it holds exactly the image that a health
 *    gate confirmed (a trial never becomes good without confirmation, damage never
 *    makes a slot good), and only the last confirmed slot is.
 *
 * Deliberately broken variants (spin -D<NAME>; each must make SPIN find an error):
 *  BROKEN_WRAP      exhausted trials are neither abandoned nor unbootable: the
 *                   counter is decremented past zero and wraps
 *  BROKEN_LATE      the try is spent after the slot ran, not before the mount
 *  BROKEN_TRUST     damaged state marks the top-priority slot good (the corrupt
 *                   control block that marks the current slot good)
 *  BROKEN_FLOOR     rebuilding lost state keeps floor 0, so the older image can
 *                   come back after the newer one's tries */

#define NS 2        /* slots a (0) and b (1) */
#define N 3         /* boot_tries */
#define MAXREL 2    /* releases 0..MAXREL */
#define NONE 2
#define OTHER(s) (1 - (s))
#define BIT(s) (1 << (s))

/* Committed control record (in memory and on the store alike: every change is
 * committed at once, and a crash drops only the boot's volatile state). */
byte prio[NS];      /* 0 never, 1 fallback (14), 2 active (15) */
byte tries[NS];
bool succ[NS];
byte relrec[NS];    /* release last confirmed or refused in the slot */
byte lg = NONE;     /* last confirmed slot */
byte minr = 0;      /* min_release */
bool ctl_ok = true; /* the control record is intact */
/* Committed confirmed record. */
byte c_lg = NONE;
byte c_min = 0;
byte c_good = 0;
bool conf_ok = true;

/* The disks. */
bool valid[NS];
byte rel[NS];
byte gen[NS];       /* image generation: +1 on every write of the slot */

/* Ghosts: what the properties are about. */
byte conf_gen[NS];  /* generation of the image the health gate confirmed */
byte floor = 0;     /* the highest release ever confirmed */
byte runs[NS];      /* serves of an unconfirmed image since its tries were granted */
byte nupd = 0;      /* environment budget: image writes */
byte ndmg = 0;      /* environment budget: damage */

/* Volatile state of one boot. */
byte cur = NONE;
byte tried = 0;
byte best;
byte i;

/* check: the invariants of every committed state. */
inline check()
{
	assert(tries[0] <= N && tries[1] <= N);
	assert(!succ[0] || (lg == 0 && conf_gen[0] == gen[0]));
	assert(!succ[1] || (lg == 1 && conf_gen[1] == gen[1]));
}

/* commit: write both records (the confirmed one mirrors the control record). */
inline commit()
{
	c_lg = lg;
	c_min = minr;
	c_good = (lg < NS -> relrec[lg] : 0);
	ctl_ok = true;
	conf_ok = true;
	check()
}

#define CRASH if :: goto reboot :: skip fi

/* grant: slot s gets a fresh trial of n tries (ghost: its serves restart). */
inline grant(s, p, n)
{
	prio[s] = p;
	tries[s] = n;
	succ[s] = false;
	relrec[s] = 0;
	runs[s] = 0
}

#ifdef BROKEN_WRAP
#define BOOTABLE(s) (prio[s] > 0)
#else
#define BOOTABLE(s) (prio[s] > 0 && (succ[s] || tries[s] > 0))
#endif

active proctype device()
{
	/* Factory state: both disks hold release 1; A active, B its fallback. */
	valid[0] = true; valid[1] = true; rel[0] = 1; rel[1] = 1;
	grant(0, 2, N); grant(1, 1, N);
	commit();

reboot:
	cur = NONE;
	tried = 0;
	/* The environment between boots. */
	do
	:: break
	:: nupd < 2 && lg != NONE ->
		d_step {
			nupd++;
			gen[OTHER(lg)]++;
		}
		if
		:: valid[OTHER(lg)] = true
		:: valid[OTHER(lg)] = false
		fi;
		if
		:: rel[OTHER(lg)] = 0
		:: rel[OTHER(lg)] = 1
		:: rel[OTHER(lg)] = 2
		fi
	:: ndmg < 2 -> ndmg++; ctl_ok = false
	:: ndmg < 2 -> ndmg++; ctl_ok = false; conf_ok = false
	od;

	/* Load (bootctl_core_load + the repair in bootctl_core_start). */
	if
	:: ctl_ok -> skip
	:: !ctl_ok && conf_ok && c_lg != NONE ->
		d_step {
			best = c_lg;
			lg = best;
			minr = c_min;
			prio[best] = 2; tries[best] = 0; succ[best] = true; relrec[best] = c_good;
			grant(OTHER(best), 1, N);
#ifdef BROKEN_TRUST
			succ[OTHER(best)] = true; /* trusts a damaged "successful" bit */
#endif
			commit()
		};
		CRASH
	:: else ->
		/* Lost: the floor is what survived (the confirmed record), if anything. */
		minr = (conf_ok -> c_min : 0);
		goto pick
	fi;

	/* boot.try: a trial of the slot that is not the last confirmed one. */
	if
	:: lg != NONE ->
		best = OTHER(lg);
		if
		:: !succ[best] && prio[best] == 2 && tries[best] > 0 && prio[OTHER(best)] < 2 -> skip
		:: else ->
			d_step {
				grant(best, 2, N);
				if
				:: prio[OTHER(best)] >= 2 -> prio[OTHER(best)] = 1
				:: else -> skip
				fi;
				commit()
			};
			CRASH
		fi
	:: skip
	fi;

start:
	skip;
#ifndef BROKEN_WRAP
	/* Abandon trials without tries. */
	i = 0;
	do
	:: i < NS ->
		if
		:: prio[i] > 0 && !succ[i] && tries[i] == 0 ->
			d_step { prio[i] = 0; commit() };
			CRASH
		:: else -> skip
		fi;
		i++
	:: else -> break
	od;
#endif

	/* Choose: bootable, not tried this boot, highest priority, tie to lg, then a. */
	skip; /* (a break may not jump into a d_step) */
	d_step {
		best = NONE;
		i = 0;
		do
		:: i < NS ->
			if
			:: !(tried & BIT(i)) && BOOTABLE(i) &&
			   (best == NONE || prio[i] > prio[best] || (prio[i] == prio[best] && i == lg)) ->
				best = i
			:: else -> skip
			fi;
			i++
		:: else -> break
		od;
		i = 0
	}
	if
	:: best == NONE -> goto pick
	:: else -> cur = best
	fi;

#ifndef BROKEN_LATE
	/* Attempt: spend the try before the mount. */
	if
	:: !succ[cur] -> d_step { tries[cur]--; commit() }; CRASH
	:: else -> skip
	fi;
#endif

	/* Mount: verification, then the floor. */
	if
	:: !valid[cur] || rel[cur] < minr ->
		d_step {
			relrec[cur] = rel[cur];
			prio[cur] = 0; tries[cur] = 0; succ[cur] = false;
			if
			:: lg == cur -> lg = NONE
			:: else -> skip
			fi;
			commit()
		};
		tried = tried | BIT(cur);
		CRASH;
		goto start
	:: else -> skip
	fi;
	goto serve;

pick:
	skip;
	/* Nothing the record allows (or the state is lost): the valid image with the
	 * highest release at or above the known floor, as a trial. */
	d_step {
		best = NONE;
		i = 0;
		do
		:: i < NS ->
			if
			:: !(tried & BIT(i)) && valid[i] && rel[i] >= minr &&
			   (best == NONE || rel[i] > rel[best]) ->
				best = i
			:: else -> skip
			fi;
			i++
		:: else -> break
		od;
		i = 0
	}
	assert(best != NONE); /* always a bootable slot */
	d_step {
#ifndef BROKEN_FLOOR
		if
		:: minr < rel[best] -> minr = rel[best]
		:: else -> skip
		fi;
#endif
		lg = NONE;
		grant(best, 2, N - 1);
		if
		:: valid[OTHER(best)] && rel[OTHER(best)] >= minr && !(tried & BIT(OTHER(best))) ->
			grant(OTHER(best), 1, N)
		:: else ->
			grant(OTHER(best), 0, 0)
		fi;
		commit()
	};
	cur = best;
	CRASH;

serve:
	skip;
	/* The slot runs. */
	assert(valid[cur] && rel[cur] >= floor);
	if
	:: !succ[cur] -> runs[cur]++; assert(runs[cur] <= N)
	:: else -> skip
	fi;
#ifdef BROKEN_LATE
	if
	:: !succ[cur] -> CRASH; d_step { tries[cur]--; commit() }
	:: else -> skip
	fi;
#endif
	/* Health gate: confirm, or not. */
	if
	:: !succ[cur] ->
		d_step {
			succ[cur] = true; tries[cur] = 0; relrec[cur] = rel[cur]; lg = cur;
			if
			:: minr < rel[cur] -> minr = rel[cur]
			:: else -> skip
			fi;
			best = OTHER(cur);
			if
			:: succ[best] && relrec[best] < minr -> prio[best] = 0; tries[best] = 0; succ[best] = false
			:: succ[best] && relrec[best] >= minr -> grant(best, 1, N)
			:: else -> skip
			fi;
			if
			:: prio[best] >= prio[cur] && prio[best] > 0 -> prio[best] = prio[cur] - 1
			:: else -> skip
			fi;
			conf_gen[cur] = gen[cur];
			if
			:: floor < rel[cur] -> floor = rel[cur]
			:: else -> skip
			fi;
			commit()
		};
		CRASH
	:: skip
	fi;
	goto reboot
}
