#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The manual pages in man/, as TAP: each page renders with man-db and
# groff without a warning (its .so link resolved as it would be once
# installed), its NAME section gives a whatis entry (lexgrog), and every
# public function of include/robustfutex.h has a page, so that
# `man FUNCTION` works.
#
#   tests/host/man-check.sh [PAGE...]      (default: every page in man/)
#
# Needs man-db and groff-base (tests/deps.sh, or Debian's base system).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# KTAP through the kernel's ktap_helpers.sh (tests/harness.sh).
h=$(mktemp -d)
"$top/tests/harness.sh" "$h" >/dev/null ||
	{ echo "not ok 1 man-check: tests/harness.sh failed"; exit 1; }
. "$h/ktap_helpers.sh"
rm -rf "$h"
# The helpers echo a description unquoted: no file name globbing of it.
ok()  { set -f; ktap_test_pass "$*"; set +f; }
nok() { set -f; ktap_test_fail "$*"; set +f; }
skip() { set -f; ktap_test_skip "$*"; set +f; }
finish() {
	ktap_set_plan $((KTAP_CNT_PASS + KTAP_CNT_FAIL + KTAP_CNT_SKIP))
	ktap_finished
}
ktap_print_header

if [ $# -gt 0 ]; then
	pages=("$@")
else
	pages=("$top"/man/*.[1-9])
fi
if ! command -v man >/dev/null || ! command -v lexgrog >/dev/null; then
	nok "man: man-db is not installed (tests/deps.sh man)"
	finish
fi

# A man tree as installed (man3/, man4/...): .so requests name their
# target as man3/page.3, relative to the tree's top.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
for p in "$top"/man/*.[1-9]; do
	s=${p##*.}
	mkdir -p "$tree/man$s" && cp "$p" "$tree/man$s/"
done

for p in "${pages[@]}"; do
	b=$(basename "$p")
	rel=man${b##*.}/$b
	if [ ! -e "$tree/$rel" ]; then
		nok "man: $b: not in man/"
		continue
	fi
	out=$(cd "$tree" && LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		man --warnings -E UTF-8 -l "$rel" 2>&1 >/dev/null)
	rc=$?
	# A link page is one .so line (after comments); its target has the
	# NAME section.
	if grep -q '^\.so ' "$tree/$rel"; then
		what=$(sed -n 's/^\.so //p' "$tree/$rel")
		[ -e "$tree/$what" ] || out+="${out:+$'\n'}.so target $what missing"
	elif ! lexgrog "$tree/$rel" >/dev/null 2>&1; then
		out+="${out:+$'\n'}lexgrog: no whatis entry (NAME section)"
	fi
	if [ $rc = 0 ] && [ -z "$out" ]; then
		ok "man: $b"
	else
		nok "man: $b (rc $rc)"
		sed 's/^/# /' <<<"$out"
	fi
done

# Every function <robustfutex.h> declares has a page of its name.
missing=
for f in $(sed -n 's/^[a-z].*[ *]\(rf_[a-z0-9_]*\)(.*/\1/p' \
	   "$top/include/robustfutex.h" | sort -u); do
	[ -e "$tree/man3/$f.3" ] || missing+=" $f"
done
if [ -z "$missing" ]; then
	ok "man: every function of include/robustfutex.h has a page"
else
	nok "man: no page for:$missing"
fi
finish
