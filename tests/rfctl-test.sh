#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rfctl-test.sh: rfctl in the VM (busybox + kmod), as KTAP through the
# kernel's ktap_helpers.sh (tests/harness.sh puts it in build/include,
# /rf/include in the VM; $KTAP_HELPERS overrides).  Expects the
# module loaded, as tests/vm/vm-run leaves it, and leaves it loaded with its
# default parameters so the runner's rmmod succeeds.
#
#   sh /rf/bin/rfctl-test.sh        (rfctl next to this script, or $RFCTL)

RFCTL=${RFCTL:-$(dirname "$0")/rfctl}
P=/sys/module/robustfutex/parameters
# The installed module file: plain, or compressed when DKMS built it.
KO=$(ls /lib/modules/"$(uname -r)"/extra/robustfutex.ko* | head -n 1)
CONF=/etc/modprobe.d/rfctl-test.conf
NOBODY=65534
out=/tmp/rfctl-test.out err=/tmp/rfctl-test.err
holder= missing= passwd_added=

KTAP_HELPERS=${KTAP_HELPERS:-$(dirname "$0")/../include/ktap_helpers.sh}
[ -r "$KTAP_HELPERS" ] ||
	{ echo "not ok 1 rfctl-test.sh: no $KTAP_HELPERS (tests/harness.sh)"; exit 1; }
. "$KTAP_HELPERS"
# The helpers echo a description unquoted: no file name globbing of it.
ok()   { set -f; ktap_test_pass "$*"; set +f; }
nok()  { set -f; ktap_test_fail "$*"; set +f; }
skip() { set -f; ktap_test_skip "$*"; set +f; }
# The plan is the number of checks made, printed last; exit 0 if none failed.
finish() {
	ktap_set_plan $((KTAP_CNT_PASS + KTAP_CNT_FAIL + KTAP_CNT_SKIP))
	ktap_finished
}
# check $? DESCRIPTION: pass if the status is 0.  $? goes first: shells
# differ on whether a $(...) in the description overwrites it.
check() { r=$1; shift; if [ "$r" = 0 ]; then ok "$@"; else nok "$@"; dump; fi; }
dump() {
	sed 's/^/#   out: /' "$out"
	sed 's/^/#   err: /' "$err"
}

# run [CMD...]: rfctl (or CMD) with output to $out/$err; sets $rc.
run()  { "$RFCTL" "$@" >"$out" 2>"$err"; rc=$?; }
# runu: the same as uid $NOBODY.  Busybox's setpriv has no --reuid here and
# su needs a passwd entry, so start-stop-daemon -c with a temporary one.
runu() { start-stop-daemon -S -c $NOBODY:$NOBODY -x "$RFCTL" -- "$@" \
		>"$out" 2>"$err"; rc=$?; }
param() { cat "$P/$1" 2>/dev/null; }
has()   { grep -q "$1" "$2"; }
loaded() { [ -e /sys/module/robustfutex ]; }

cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder"
	[ -e "$KO.hidden" ] && mv "$KO.hidden" "$KO"
	rm -f "$CONF"
	if [ -e /tmp/rfctl-test.passwd ]; then
		mv /tmp/rfctl-test.passwd /etc/passwd
	elif [ -n "$passwd_added" ]; then
		rm -f /etc/passwd
	fi
}
trap cleanup EXIT

ktap_print_header
[ -x "$RFCTL" ] || { nok "$RFCTL not found"; finish; }

# --- status with the module as the runner loaded it.
run status
[ $rc = 0 ]; check $? "status exits 0 when loaded (rc $rc)"
has '^robustfutex: loaded$' "$out" && has '^version: [0-9]' "$out" &&
	has '^abi_version: 2$' "$out"
check $? "status prints loaded, version and abi_version"
for k in limit.max_lists limit.list_limit limit.max_threads \
	param.max_lists param.list_limit \
	param.max_threads counter.walks \
	counter.registrations counter.owner_wakes counter.threads; do
	has "^$k: [0-9][0-9]*$" "$out" || missing="$missing $k"
done
[ -z "$missing" ]
check $? "status prints limits, parameters and counters${missing:+ (missing:$missing)}"
[ "$(sed -n 's/^limit.list_limit: //p' "$out")" = "$(param list_limit)" ]
check $? "limit.list_limit (ioctl) matches the sysfs parameter"

# --- usage.
run bogus
[ $rc = 2 ] && [ ! -s "$out" ] && has '^usage:' "$err"
check $? "unknown command: usage on stderr, exit 2 (rc $rc)"
run
[ $rc = 2 ]; check $? "no command: exit 2 (rc $rc)"
run --help
[ $rc = 0 ] && has '^usage:' "$out"; check $? "--help: usage on stdout, exit 0"
run load list_limit
[ $rc = 2 ]; check $? "load with a malformed param=value: exit 2 (rc $rc)"

# --- unload while a process holds /dev/robustfutex open: wait until it
# does (20 s only bounds a hang, well within the holder's 30 s).
sleep 30 3</dev/robustfutex &
holder=$!
i=0
while [ "$(cat /sys/module/robustfutex/refcnt)" = 0 ] && [ $i -lt 200 ]; do
	usleep 100000; i=$((i + 1))
done
run unload
[ $rc = 1 ] && has 'in use' "$err" && has 'registered thread' "$err" &&
	loaded
check $? "unload while /dev/robustfutex is open: exit 1, 'in use' (rc $rc)"
kill "$holder"; wait "$holder" 2>/dev/null; holder=

# --- without privilege.
if ! grep -q "^[^:]*:[^:]*:$NOBODY:" /etc/passwd 2>/dev/null; then
	[ -e /etc/passwd ] && cp /etc/passwd /tmp/rfctl-test.passwd
	echo "rfctl-test:x:$NOBODY:$NOBODY::/:/bin/false" >>/etc/passwd &&
		passwd_added=1
fi
if start-stop-daemon -S -c $NOBODY:$NOBODY -x "$RFCTL" -- --help \
		>/dev/null 2>&1; then
	runu status
	[ $rc = 0 ] && has '^abi_version: 2$' "$out" && ! has '^user\.' "$out"
	check $? "status as uid $NOBODY: exit 0, no per-user lines (rc $rc)"
	runu unload
	[ $rc = 5 ] && has 'need root (CAP_SYS_MODULE)' "$err" && loaded
	check $? "unload as uid $NOBODY: 'need root', exit 5 (rc $rc)"
	runu load max_lists=8
	[ $rc = 5 ] && has 'need root' "$err" && [ "$(param max_lists)" != 8 ]
	check $? "load (set params) as uid $NOBODY: exit 5 (rc $rc)"
	can_drop=1
else
	skip "cannot drop privileges (start-stop-daemon -c)"
	skip "cannot drop privileges (start-stop-daemon -c)"
	skip "cannot drop privileges (start-stop-daemon -c)"
	can_drop=
fi

# --- unload when unused.  Threads of earlier tests drop their module
# reference from an RCU callback: wait for the stragglers, as long as a
# grace period takes on a slow machine (30 s only bounds a leak).
i=0
while [ "$(cat /sys/module/robustfutex/refcnt)" != 0 ] && [ $i -lt 300 ]; do
	usleep 100000; i=$((i + 1))
done
run unload
[ $rc = 0 ] && ! loaded; check $? "unload when unused: exit 0 (rc $rc)"
run status
[ $rc = 3 ] && has '^robustfutex: not loaded$' "$out"
check $? "status when not loaded: 'not loaded', exit 3 (rc $rc)"
run unload
[ $rc = 3 ]; check $? "unload when not loaded: exit 3 (rc $rc)"

if [ -n "$can_drop" ]; then
	runu load
	[ $rc = 5 ] && has 'need root' "$err" && ! loaded
	check $? "load as uid $NOBODY: 'need root', exit 5 (rc $rc)"
else
	skip "cannot drop privileges (start-stop-daemon -c)"
fi

# --- module file missing.
mv "$KO" "$KO.hidden"
run load
[ $rc = 4 ] && has "not found for kernel $(uname -r)" "$err" && ! loaded
check $? "load with $(basename "$KO") missing: 'not found', exit 4 (rc $rc)"
mv "$KO.hidden" "$KO"

# --- load with parameters.
run load nosuch=1
[ $rc = 2 ] && has "unknown parameter 'nosuch'" "$err" && ! loaded
check $? "load with an unknown parameter: exit 2, not loaded (rc $rc)"
run load list_limit=5000
[ $rc = 0 ] && loaded && [ "$(param list_limit)" = 5000 ]
check $? "load list_limit=5000: loaded, param reads $(param list_limit)"
run status
has '^limit.list_limit: 5000$' "$out"; check $? "status shows limit.list_limit 5000"

# --- load on the loaded module sets parameters at runtime.
run load max_lists=8
[ $rc = 0 ] && has 'already loaded' "$out" && [ "$(param max_lists)" = 8 ]
check $? "load max_lists=8 when loaded: param reads $(param max_lists) (rc $rc)"
run load list-limit=77
[ $rc = 0 ] && [ "$(param list_limit)" = 77 ]
check $? "load list-limit=77 ('-' for '_'): param reads $(param list_limit)"
run load max_lists=0
[ $rc = 1 ] && has 'invalid value' "$err" && [ "$(param max_lists)" = 8 ]
check $? "load max_lists=0 (out of range) when loaded: exit 1 (rc $rc)"
run load nosuch=1 max_lists=9
[ $rc = 2 ] && [ "$(param max_lists)" = 8 ]
check $? "unknown parameter when loaded: exit 2, nothing applied (rc $rc)"

# --- modprobe.d options apply; ours come after and win.
run unload
[ $rc = 0 ]; check $? "unload after loading with parameters (rc $rc)"
mkdir -p /etc/modprobe.d
echo "options robustfutex list_limit=99 max_threads=1000" >"$CONF"
run load max_threads=2000
[ $rc = 0 ] && [ "$(param list_limit)" = 99 ] &&
	[ "$(param max_threads)" = 2000 ]
check $? "modprobe.d options apply, command line wins ($(param list_limit), $(param max_threads))"
rm -f "$CONF"
run unload
[ $rc = 0 ]; check $? "unload (rc $rc)"
run load max_lists=0
[ $rc = 1 ] && ! loaded
check $? "load with an out-of-range value: exit 1, not loaded (rc $rc)"

# --- leave it loaded with defaults for the runner.
loaded && "$RFCTL" unload >/dev/null 2>&1
run load
bad=
for p in max_lists list_limit max_threads; do
	# "desc (min..max, default N)" from MODULE_PARM_DESC.
	def=$(modinfo -p robustfutex | sed -n "s/^$p:.*default \([0-9]*\))$/\1/p")
	[ -n "$def" ] && [ "$(param $p)" = "$def" ] || bad="$bad $p"
done
[ $rc = 0 ] && [ -z "$bad" ]
check $? "load with defaults (rc $rc)${bad:+, not default:$bad}"

finish
