#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# private-apt.sh SET apt-get|apt-cache|update|stamp ARGS...: run apt on a
# set of Debian's lists through an apt configuration of our own under the
# cache: sources, lists, downloaded archives and state all in
# $RF_CACHE/<name>, no dpkg status (nothing is installed with it:
# packages are fetched with `apt-get download` and unpacked with dpkg -x).
# The host's /etc/apt and its dpkg architectures are neither read nor
# changed.  SET is one of
#   bookworm  Debian 12 (bookworm, -updates, -security; main) for amd64,
#             arm64 and armhf, in foreign-apt/ (foreign-apt.sh)
#   trixie    Debian 13 (trixie, trixie-backports; main) for amd64, in
#             trixie-apt/ (trixie-apt.sh)
#
# The lists are refreshed when older than RF_APT_MAX_AGE seconds (a day);
# if the refresh fails (offline) and lists exist, the old ones are used,
# with a warning, and the refresh is not tried again for RF_APT_RETRY
# seconds (an hour).  `update` forces a refresh; `stamp` prints when the
# lists were last fetched.
set -euo pipefail

cache=${RF_CACHE:-/var/cache/robustfutex}
max_age=${RF_APT_MAX_AGE:-86400}
usage="apt-get|apt-cache|update|stamp ARGS..."
case "${1:-}" in
bookworm)
	name=foreign-apt archs="amd64 arm64 armhf"
	suites="debian bookworm,debian bookworm-updates,debian-security bookworm-security"
	probe='*bookworm_main_binary-arm64_Packages*'
	what="arm64/armhf package lists" ;;
trixie)
	name=trixie-apt archs=amd64
	suites="debian trixie,debian trixie-backports"
	probe='*trixie-backports*Packages*'
	what="Debian 13 package lists" ;;
*)	echo "usage: private-apt.sh bookworm|trixie $usage" >&2; exit 2 ;;
esac
shift
d=$cache/$name
[ $# -gt 0 ] || { echo "usage: $name.sh $usage" >&2; exit 2; }

mkdir -p "$d/lists/partial" "$d/archives/partial"
if [ ! -s "$d/sources.list" ]; then
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	IFS=, read -ra lines <<<"$suites"
	for l in "${lines[@]}"; do
		echo "deb [signed-by=$key] http://deb.debian.org/${l%% *} ${l#* } main"
	done >"$d/sources.list.tmp"
	mv "$d/sources.list.tmp" "$d/sources.list"
fi
opts=(-o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
	-o Dir::State::Lists="$d/lists" -o Dir::State::status=/dev/null
	-o Dir::Cache="$d" -o Dir::Cache::Archives="$d/archives"
	-o APT::Architecture=amd64
	-o APT::Sandbox::User=root -o Acquire::Languages=none)
for a in $archs; do
	opts+=(-o APT::Architectures::="$a")
done

have_lists() { compgen -G "$d/lists/$probe" >/dev/null; }
age() { echo $(($(date +%s) - $(stat -c %Y "$1" 2>/dev/null || echo 0))); }

# An update holds the lock exclusively; apt run on the lists holds it
# shared (fd 8 stays open across the exec), so no reader sees half a list.
refresh() {	# refresh [force]
	exec 8>"$d/lock"
	flock 8
	# Offline, an update fails after some seconds: with lists to fall
	# back on, it is not tried again for an hour.
	if [ -z "${1:-}" ] && have_lists &&
	   { [ "$(age "$d/stamp")" -lt "$max_age" ] || [ "$(age "$d/attempt")" -lt "${RF_APT_RETRY:-3600}" ]; }; then
		flock -s 8; return 0
	fi
	touch "$d/attempt"
	# apt-get update exits 0 when an index could not be fetched.
	if apt-get "${opts[@]}" -qq -o Acquire::Retries=1 update >"$d/update.log" 2>&1 &&
	   ! grep -qE '^(W|E): (Failed to fetch|Some index files failed)' "$d/update.log" && have_lists; then
		touch "$d/stamp"
	elif have_lists; then
		echo "$name: update failed, using lists from $(date -r "$d/stamp" +%F 2>/dev/null || echo '?'):" \
			"$(tail -n 1 "$d/update.log")" >&2
	else
		cat "$d/update.log" >&2
		echo "$name: no $what (offline?)" >&2
		exit 1
	fi
	flock -s 8
}

case "$1" in
update)	refresh force ;;
# The lists' state (refreshed first when due), for callers that cache
# what they found in them.
stamp)	refresh; stat -c %Y "$d/stamp" 2>/dev/null || echo 0 ;;
apt-get|apt-cache)
	refresh
	tool=$1; shift
	exec "$tool" "${opts[@]}" "$@" ;;
*)	echo "$name: unknown command $1" >&2; exit 2 ;;
esac
