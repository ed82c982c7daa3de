#!/bin/bash
# A stock NUT upsmon host of the rig's fleet: Debian's /lib/nut/upsmon 2.8.0
# with a private upsmon.conf, a NOTIFYCMD and a SHUTDOWNCMD that only record
# what happened. Runs as PID 1 of a container of the NUT image
# ("rig-entrypoint upsmon ..."); it stays up after upsmon exits so that the
# rig can still read the recordings.
#
#   rig-upsmon run --upsd HOST:PORT --ups NAME --role primary|secondary
#                  [--hostsync S] [--finaldelay S] [--deadtime S]
#                  [--shutdown returns|hangs]
#   rig-upsmon ctl fsd        upsmon -c fsd: what a primary does on a failure
#   rig-upsmon ctl records    the recordings so far
#   rig-upsmon notify TEXT    (upsmon's NOTIFYCMD, with NOTIFYTYPE set)
#   rig-upsmon shutdown-cmd   (upsmon's SHUTDOWNCMD)
#
# The login comes from RIG_UPSMON_CREDENTIALS (USER:PASSWORD), not from the
# arguments, so that it shows in no command line; only upsmon.conf (0600)
# holds it. Recordings: $DIR/records, one line per event,
# "epoch-ms<TAB>event<TAB>text"; events: start, notify:<NOTIFYTYPE>,
# shutdowncmd (text: returns|hangs, then whether POWERDOWNFLAG exists),
# exit (text: upsmon's exit code).
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C

DIR=/run/rig-upsmon
UPSMON=/lib/nut/upsmon
SELF=/usr/local/bin/rig-upsmon

die() {
  echo "rig-upsmon: $*" >&2
  exit 2
}

# record EVENT TEXT: one line, appended in one write (atomic). The time is
# read first and without a fork: the rig compares it with other stamps.
record() {
  local us=${EPOCHREALTIME/./} text=${2//[$'\t\n\r']/ }
  printf '%s\t%s\t%s\n' "${us:0:-3}" "$1" "$text" >>"$DIR/records"
}

number() { [[ $1 =~ ^[0-9]+$ ]] || die "$2 must be a whole number of seconds"; }

write_config() { # write_config UPSD UPS ROLE HOSTSYNC FINALDELAY DEADTIME
  local credentials=${RIG_UPSMON_CREDENTIALS:-} user password event
  [[ $credentials == ?*:?* ]] ||
    die "RIG_UPSMON_CREDENTIALS must be USER:PASSWORD"
  user=${credentials%%:*} password=${credentials#*:}
  [[ $user =~ ^[A-Za-z0-9_.-]+$ && $password =~ ^[[:graph:]]+$ ]] ||
    die "the user name or the password has characters upsmon.conf cannot hold"
  install -m 0600 /dev/null "$DIR/upsmon.conf"
  {
    echo "MONITOR $2@$1 1 $user $password $3"
    echo "MINSUPPLIES 1"
    echo "POLLFREQ 1"
    echo "POLLFREQALERT 1"
    echo "DEADTIME $6"
    echo "HOSTSYNC $4"
    echo "FINALDELAY $5"
    echo "POWERDOWNFLAG $DIR/killpower"
    echo "NOTIFYCMD \"$SELF notify\""
    echo "SHUTDOWNCMD \"$SELF shutdown-cmd\""
    for event in ONLINE ONBATT LOWBATT FSD COMMOK COMMBAD SHUTDOWN REPLBATT \
      NOCOMM NOPARENT; do
      echo "NOTIFYFLAG $event SYSLOG+EXEC"
    done
  } >"$DIR/upsmon.conf"
}

run() {
  local upsd="" ups="" role="" hostsync=15 finaldelay=5 deadtime=15
  local shutdown=returns
  while (($# > 0)); do
    case $1 in
    --upsd) upsd=${2:?} ;;
    --ups) ups=${2:?} ;;
    --role) role=${2:?} ;;
    --hostsync) hostsync=${2:?} ;;
    --finaldelay) finaldelay=${2:?} ;;
    --deadtime) deadtime=${2:?} ;;
    --shutdown) shutdown=${2:?} ;;
    *) die "unknown argument \"$1\"" ;;
    esac
    shift 2 || die "$1 needs a value"
  done
  [[ $upsd =~ ^[A-Za-z0-9.:-]+:[0-9]+$ ]] || die "--upsd must be HOST:PORT"
  [[ $ups =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "invalid --ups \"$ups\""
  [[ $role == primary || $role == secondary ]] ||
    die "--role must be primary or secondary"
  [[ $shutdown == returns || $shutdown == hangs ]] ||
    die "--shutdown must be returns or hangs"
  number "$hostsync" --hostsync
  number "$finaldelay" --finaldelay
  number "$deadtime" --deadtime

  mkdir -p "$DIR" /run/nut # /run/nut: upsmon's compiled-in pid file path
  chmod 0700 "$DIR"
  : >"$DIR/records"
  echo "$shutdown" >"$DIR/shutdown"
  write_config "$upsd" "$ups" "$role" "$hostsync" "$finaldelay" "$deadtime"
  unset RIG_UPSMON_CREDENTIALS

  local stopping="" upsmon status=0 i
  trap 'stopping=1' TERM INT
  # -p: one root process, so the process that holds the connection to upsd
  # is the one that runs SHUTDOWNCMD (a hanging command keeps the login).
  NUT_CONFPATH=$DIR "$UPSMON" -F -p </dev/null &
  upsmon=$!
  record start "$role of $ups@$upsd, HOSTSYNC $hostsync, FINALDELAY $finaldelay, SHUTDOWNCMD $shutdown"
  echo "rig-upsmon: upsmon runs as $role of $ups@$upsd" >&2
  while [[ -z $stopping ]] && kill -0 "$upsmon" 2>/dev/null; do
    wait "$upsmon" || status=$?
  done
  if [[ -n $stopping ]]; then
    # An upsmon inside a hanging SHUTDOWNCMD ignores TERM: KILL it after 2 s
    # (the rest of the container goes with PID 1).
    kill -TERM "$upsmon" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      kill -0 "$upsmon" 2>/dev/null || exit 0
      sleep 0.1
    done
    kill -KILL "$upsmon" 2>/dev/null || true
    exit 0
  fi
  record exit "$status"
  # Stay up for the rig to read the recordings; TERM ends the container.
  trap 'exit 0' TERM INT
  sleep infinity </dev/null >/dev/null 2>&1 &
  while :; do wait $! || true; done
}

case ${1-} in
run) shift; run "$@" ;;
notify) shift; record "notify:${NOTIFYTYPE:-unknown}" "${1-}" ;;
shutdown-cmd)
  flag=absent
  [[ -e $DIR/killpower ]] && flag=present
  mode=$(<"$DIR/shutdown")
  record shutdowncmd "$mode; POWERDOWNFLAG $flag"
  # Hanging keeps upsmon, and so its login at upsd, alive for good.
  [[ $mode == hangs ]] && exec sleep infinity
  exit 0
  ;;
ctl)
  case ${2-} in
  fsd) NUT_CONFPATH=$DIR exec "$UPSMON" -c fsd ;;
  records) exec cat "$DIR/records" ;;
  *) die "unknown ctl action \"${2-}\": use fsd or records" ;;
  esac
  ;;
*) die "unknown command \"${1-}\": use run, ctl, notify or shutdown-cmd" ;;
esac
