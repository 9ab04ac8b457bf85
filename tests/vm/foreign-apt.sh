#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# foreign-apt.sh apt-get|apt-cache ARGS...: run apt on Debian 12's lists
# (bookworm, bookworm-updates, bookworm-security, main) for amd64, arm64
# and armhf, through an apt configuration of our own under the cache:
# sources, lists, downloaded archives and state in $RF_CACHE/foreign-apt,
# no dpkg status (nothing is installed with it: packages are fetched with
# `apt-get download` and unpacked with dpkg -x).  The host's /etc/apt and
# its dpkg architectures are neither read nor changed.
#
# The lists are refreshed when older than RF_APT_MAX_AGE seconds (a day);
# if the refresh fails and lists exist, the old ones are used, with a
# warning.  `foreign-apt.sh update` forces a refresh; `foreign-apt.sh
# stamp` prints when the lists were last fetched.
set -euo pipefail

cache=${RF_CACHE:-/var/cache/robustfutex}
max_age=${RF_APT_MAX_AGE:-86400}
d=$cache/foreign-apt
[ $# -gt 0 ] || { echo "usage: foreign-apt.sh apt-get|apt-cache|update|stamp ARGS..." >&2; exit 2; }

mkdir -p "$d/lists/partial" "$d/archives/partial"
if [ ! -s "$d/sources.list" ]; then
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	{
		echo "deb [signed-by=$key] http://deb.debian.org/debian bookworm main"
		echo "deb [signed-by=$key] http://deb.debian.org/debian bookworm-updates main"
		echo "deb [signed-by=$key] http://deb.debian.org/debian-security bookworm-security main"
	} >"$d/sources.list.tmp"
	mv "$d/sources.list.tmp" "$d/sources.list"
fi
opts=(-o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
	-o Dir::State::Lists="$d/lists" -o Dir::State::status=/dev/null
	-o Dir::Cache="$d" -o Dir::Cache::Archives="$d/archives"
	-o APT::Architecture=amd64 -o APT::Architectures::=amd64
	-o APT::Architectures::=arm64 -o APT::Architectures::=armhf
	-o APT::Sandbox::User=root -o Acquire::Languages=none)

have_lists() { compgen -G "$d/lists/*bookworm_main_binary-arm64_Packages*" >/dev/null; }
age() { echo $(($(date +%s) - $(stat -c %Y "$1" 2>/dev/null || echo 0))); }

# An update holds the lock exclusively; apt run on the lists holds it
# shared (fd 8 stays open across the exec), so no reader sees half a list.
refresh() {	# refresh [force]
	exec 8>"$d/lock"
	flock 8
	if [ -z "${1:-}" ] && have_lists &&
	   { [ "$(age "$d/stamp")" -lt "$max_age" ] || [ "$(age "$d/attempt")" -lt "${RF_APT_RETRY:-3600}" ]; }; then
		flock -s 8; return 0
	fi
	touch "$d/attempt"
	if apt-get "${opts[@]}" -qq -o Acquire::Retries=1 update >"$d/update.log" 2>&1 &&
	   ! grep -qE '^(W|E): (Failed to fetch|Some index files failed)' "$d/update.log" && have_lists; then
		touch "$d/stamp"
	elif have_lists; then
		echo "foreign-apt: update failed, using lists from $(date -r "$d/stamp" +%F 2>/dev/null || echo '?'):" \
			"$(tail -n 1 "$d/update.log")" >&2
	else
		cat "$d/update.log" >&2
		echo "foreign-apt: no arm64/armhf package lists (offline?)" >&2
		exit 1
	fi
	flock -s 8
}

case "$1" in
update)	refresh force ;;
stamp)	refresh; stat -c %Y "$d/stamp" 2>/dev/null || echo 0 ;;
apt-get|apt-cache)
	refresh
	tool=$1; shift
	exec "$tool" "${opts[@]}" "$@" ;;
*)	echo "foreign-apt: unknown command $1" >&2; exit 2 ;;
esac
