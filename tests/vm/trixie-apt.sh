#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# trixie-apt.sh apt-get|apt-cache|update|stamp ARGS...: apt on Debian 13's
# lists (trixie, trixie-backports), private to the cache (private-apt.sh).
exec "$(dirname "$0")/private-apt.sh" trixie "$@"
