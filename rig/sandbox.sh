#!/bin/bash
# Runs the program of one rig scenario in the private mount namespace that
# `unshare --mount --propagation slave` made for it (rig/sandbox.ts):
# bind-mounts the scenario's private directories over the default locations
# (config dir, log dir), mounts the scenario's tmpfs file systems, then
# execs the program in place of this script, so its pid stays the one the
# rig spawned. Nothing mounted here is visible outside the namespace (slave
# propagation: the host's mounts still come in, ours never go out), and
# all of it vanishes with the program.
#
#   sandbox.sh [--bind SRC DST]... [--tmpfs DIR]... -- PROGRAM [ARG]...
set -euo pipefail
export LC_ALL=C

die() {
  echo "sandbox: $*" >&2
  exit 2
}

while (($# > 0)); do
  case $1 in
  --bind)
    (($# >= 3)) || die "--bind needs SRC and DST"
    [[ -d $2 ]] || die "no directory \"$2\" to bind"
    # The mount point must exist; a missing default directory is created
    # (empty) on the host's file system, the only trace the rig leaves.
    mkdir -p "$3"
    mount --bind "$2" "$3" || die "cannot bind \"$2\" over \"$3\""
    shift 3
    ;;
  --tmpfs)
    (($# >= 2)) || die "--tmpfs needs DIR"
    mkdir -p "$2"
    mount -t tmpfs -o size=1m,mode=0755 ups-monitor-rig "$2" ||
      die "cannot mount a tmpfs on \"$2\""
    shift 2
    ;;
  --)
    shift
    break
    ;;
  *) die "unknown argument \"$1\"" ;;
  esac
done
(($# > 0)) || die "no program to run"
exec "$@"
