#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# foreign-apt.sh apt-get|apt-cache|update|stamp ARGS...: apt on Debian 12's
# lists for amd64, arm64 and armhf, private to the cache (private-apt.sh).
exec "$(dirname "$0")/private-apt.sh" bookworm "$@"
