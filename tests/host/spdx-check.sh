#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Licence lines, as TAP: every file git tracks carries an
# SPDX-License-Identifier line, on its first line or on the second after
# a #! line, and every licence and exception such a line names has its
# text in LICENSES/ (a Valid-License-Identifier: or
# SPDX-Exception-Identifier: line there, then License-Text:).
#
# Files that cannot carry one, and are not checked:
#   LICENSES/*            the licence texts themselves, verbatim
#   debian/changelog, debian/source/format
#                         formats that dpkg parses strictly; debian/copyright
#                         covers them
#   *.png *.jpg *.gif     binary images (docs/throughput-6.12.png)
#
#   tests/host/spdx-check.sh
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# KTAP through the kernel's ktap_helpers.sh (tests/harness.sh).
h=$(mktemp -d)
"$top/tests/harness.sh" "$h" >/dev/null ||
	{ echo "not ok 1 spdx-check: tests/harness.sh failed"; exit 1; }
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
if ! files=$(git -C "$top" ls-files 2>/dev/null) || [ -z "$files" ]; then
	skip "spdx: not a git work tree"
	finish
fi

exempt() {
	case $1 in
	LICENSES/*|*.png|*.jpg|*.gif|debian/changelog|debian/source/format) return 0 ;;
	esac
	return 1
}

# The SPDX line of a file: line 1, or line 2 after a #! line.
spdx_line() {
	local f=$top/$1 l1 l2
	{ IFS= read -r l1; IFS= read -r l2; } <"$f" 2>/dev/null
	if [[ ${l1-} == *SPDX-License-Identifier:* ]]; then
		echo "$l1"
	elif [[ ${l1-} == '#!'* && ${l2-} == *SPDX-License-Identifier:* ]]; then
		echo "$l2"
	fi
}

lacking=() checked=0 skipped=0
declare -A used=()
while IFS= read -r f; do
	[ -f "$top/$f" ] || continue	# deleted in the work tree
	if exempt "$f"; then
		skipped=$((skipped + 1))
		continue
	fi
	checked=$((checked + 1))
	line=$(spdx_line "$f")
	if [ -z "$line" ]; then
		lacking+=("$f")
		continue
	fi
	# The expression: after the tag, without a comment's closing.
	expr=${line#*SPDX-License-Identifier:}
	expr=${expr%%\*/*}
	expr=${expr%%-->*}
	for tok in ${expr//[()]/ }; do
		case $tok in
		AND|OR|WITH) ;;
		*) used[$tok]+=" $f" ;;
		esac
	done
done <<<"$files"

if ((${#lacking[@]} == 0)); then
	ok "spdx: all $checked files carry an SPDX line ($skipped exempt)"
else
	nok "spdx: ${#lacking[@]} of $checked files carry no SPDX line on line 1 (2 after #!)"
	printf '# %s\n' "${lacking[@]}"
fi

# Identifiers LICENSES/ defines, each file ending its header with
# License-Text:.
declare -A known=()
bad_lic=()
for l in "$top"/LICENSES/*/*; do
	[ -f "$l" ] || continue
	ids=$(sed -n '/^License-Text:/q; s/^\(Valid-License-Identifier\|SPDX-Exception-Identifier\): *//p' "$l")
	if [ -z "$ids" ] || ! grep -q '^License-Text:' "$l"; then
		bad_lic+=("${l#"$top"/}")
		continue
	fi
	for id in $ids; do known[$id]=1; done
done
if ((${#bad_lic[@]} == 0)) && ((${#known[@]} > 0)); then
	ok "spdx: LICENSES/ defines ${#known[@]} identifiers, each file with its text"
else
	nok "spdx: LICENSES/ files without an identifier or License-Text: ${bad_lic[*]:-none found}"
fi

unknown=()
for id in "${!used[@]}"; do
	[ -n "${known[$id]-}" ] || unknown+=("$id:${used[$id]}")
done
if ((${#unknown[@]} == 0)); then
	ok "spdx: every identifier named (${#used[@]}) has its text in LICENSES/"
else
	nok "spdx: ${#unknown[@]} identifier(s) with no text in LICENSES/"
	printf '# %s\n' "${unknown[@]}"
fi
finish
