#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# trixie-apt.sh apt-get|apt-cache ARGS...: run apt on Debian 13's lists
# (trixie and trixie-backports, main) through an apt configuration of our
# own under the cache: sources, lists, downloaded archives and state all in
# $RF_CACHE/trixie-apt, no dpkg status (nothing is installed with it).  The
# host's /etc/apt is not read or touched.
#
# The lists are refreshed when older than RF_APT_MAX_AGE seconds (a day);
# if the refresh fails (offline) and lists exist, the old ones are used,
# with a warning, and the refresh is not tried again for RF_APT_RETRY
# seconds (an hour).  `trixie-apt.sh update` forces a refresh; `trixie-apt.sh
# stamp` prints when the lists were last fetched.
set -euo pipefail

cache=${RF_CACHE:-/var/cache/robustfutex}
max_age=${RF_APT_MAX_AGE:-86400}
d=$cache/trixie-apt
[ $# -gt 0 ] || { echo "usage: trixie-apt.sh apt-get|apt-cache|update|stamp ARGS..." >&2; exit 2; }

mkdir -p "$d/lists/partial" "$d/archives/partial"
if [ ! -s "$d/sources.list" ]; then
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	{
		echo "deb [signed-by=$key] http://deb.debian.org/debian trixie main"
		echo "deb [signed-by=$key] http://deb.debian.org/debian trixie-backports main"
	} >"$d/sources.list.tmp"
	mv "$d/sources.list.tmp" "$d/sources.list"
fi
opts=(-o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
	-o Dir::State::Lists="$d/lists" -o Dir::State::status=/dev/null
	-o Dir::Cache="$d" -o Dir::Cache::Archives="$d/archives"
	-o APT::Architecture=amd64 -o APT::Architectures=amd64
	-o APT::Sandbox::User=root -o Acquire::Languages=none)

have_lists() { compgen -G "$d/lists/*trixie-backports*Packages*" >/dev/null; }
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
		echo "trixie-apt: update failed, using lists from $(date -r "$d/stamp" +%F 2>/dev/null || echo '?'):" \
			"$(tail -n 1 "$d/update.log")" >&2
	else
		cat "$d/update.log" >&2
		echo "trixie-apt: no Debian 13 package lists (offline?)" >&2
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
*)	echo "trixie-apt: unknown command $1" >&2; exit 2 ;;
esac
