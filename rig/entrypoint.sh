#!/bin/bash
# The rig's NUT server: writes ups.conf, upsd.conf and upsd.users from its
# arguments, starts one dummy-ups per UPS and then upsd, and supervises them.
# As a container's PID 1 it forwards TERM/INT to its daemons and reaps every
# child (bash reaps orphans re-parented to it). The same script runs on the
# host for the rig's "native" engine (--dir somewhere private).
#
#   rig-entrypoint serve [--dir DIR] [--listen ADDR] [--port N] [--maxage S]
#                        [--admin USER:PASSWORD] [--monitor USER:PASSWORD]
#                        [--ups NAME [--desc TEXT] [--var NAME=VALUE]...]...
#   rig-entrypoint ctl [--dir DIR] ACTION [UPS]
#   rig-entrypoint upsmon ARGS...   a stock upsmon host instead (rig-upsmon)
#
# ACTION: stop-upsd | start-upsd | kill-driver UPS | start-driver UPS |
#         freeze-driver UPS | thaw-driver UPS | freeze-all | thaw-all | status
# Environment defaults: RIG_MAXAGE, RIG_ADMIN (USER:PASSWORD), RIG_MONITOR.
# Without --ups one UPS "rig" is served with typical values.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C

UPSD=/lib/nut/upsd
DRIVER=/lib/nut/dummy-ups
RUN_AS=() # as root, keep root: the state directory is root's
((EUID != 0)) || RUN_AS=(-u root)

die() {
  echo "rig-entrypoint: $*" >&2
  exit 2
}

say() { echo "rig-entrypoint: $*" >&2; }

# Directory layout: config in $DIR, driver sockets in $DIR/s (kept short for
# the ~108-byte socket path limit), pid files of our daemons in $DIR/pid.
set_dir() {
  DIR=$1
  export NUT_CONFPATH=$DIR NUT_STATEPATH=$DIR/s NUT_ALTPIDPATH=$DIR/s
}

# Where daemons write: PID 1's stdout in a container (so "podman logs" shows
# them), a file for the native engine. Recorded for ctl by "serve".
log_target() { cat "$DIR/log-target"; }

running() { # running PID: alive and not a zombie
  local state
  [[ -r /proc/$1/stat ]] || return 1
  state=$(cut -d ' ' -f 3 "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

pid_of() { # pid_of NAME: the recorded pid if that process still runs
  local pid
  [[ -r $DIR/pid/$1 ]] || return 1
  pid=$(<"$DIR/pid/$1")
  running "$pid" && echo "$pid"
}

known_ups() {
  grep -qxF "[$1]" "$DIR/ups.conf" || die "unknown UPS \"$1\""
}

start_driver() {
  local ups=$1 i
  known_ups "$ups"
  pid_of "driver-$ups" >/dev/null && die "the driver of \"$ups\" already runs"
  rm -f "$DIR/s/dummy-ups-$ups"
  "$DRIVER" -a "$ups" -F "${RUN_AS[@]}" </dev/null >>"$(log_target)" 2>&1 &
  echo $! >"$DIR/pid/driver-$ups"
  for ((i = 0; i < 200; i++)); do # up to 10 s for its socket
    [[ -S $DIR/s/dummy-ups-$ups ]] && return 0
    running "$!" || die "the driver of \"$ups\" exited at start"
    sleep 0.05
  done
  die "the driver of \"$ups\" created no socket within 10 s"
}

start_upsd() {
  pid_of upsd >/dev/null && die "upsd already runs"
  "$UPSD" -F "${RUN_AS[@]}" </dev/null >>"$(log_target)" 2>&1 &
  echo $! >"$DIR/pid/upsd"
}

stop_daemon() { # stop_daemon NAME SIGNAL: signal it and wait for its end
  local pid i
  pid=$(pid_of "$1") || return 0
  kill "-$2" "$pid" 2>/dev/null || true
  kill -CONT "$pid" 2>/dev/null || true # a frozen driver must see the signal
  for ((i = 0; i < 100; i++)); do
    running "$pid" || break
    sleep 0.05
  done
  if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$DIR/pid/$1"
}

signal_driver() { # signal_driver UPS SIGNAL
  local pid
  known_ups "$1"
  pid=$(pid_of "driver-$1") || die "the driver of \"$1\" is not running"
  kill "-$2" "$pid"
}

each_daemon() { # each_daemon SIGNAL: signal every daemon we started
  local file pid
  for file in "$DIR"/pid/*; do
    [[ -e $file ]] || continue
    pid=$(<"$file")
    running "$pid" && kill "-$1" "$pid" 2>/dev/null || true
  done
}

ctl() {
  [[ ${1-} == --dir ]] && { set_dir "$2"; shift 2; }
  [[ -d $DIR/pid ]] || die "no server in \"$DIR\""
  local action=${1-} ups=${2-}
  case $action in
  stop-upsd) stop_daemon upsd TERM ;;
  start-upsd) start_upsd ;;
  kill-driver)
    known_ups "$ups"
    stop_daemon "driver-$ups" KILL
    rm -f "$DIR/s/dummy-ups-$ups"
    ;;
  start-driver) start_driver "$ups" ;;
  freeze-driver) signal_driver "$ups" STOP ;;
  thaw-driver) signal_driver "$ups" CONT ;;
  freeze-all) each_daemon STOP ;;
  thaw-all) each_daemon CONT ;;
  status)
    for file in "$DIR"/pid/*; do
      [[ -e $file ]] || continue
      name=${file##*/}
      if pid=$(pid_of "$name"); then echo "$name $pid running"; else echo "$name - stopped"; fi
    done
    ;;
  *) die "unknown ctl action \"$action\"" ;;
  esac
}

valid_name() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]]; }

# A value for a .dev file or upsd.users, in double quotes with \ " # escaped
# (NUT's parseconf rules); printable 7-bit ASCII only, as upsd drops the rest.
quote() {
  [[ $1 =~ ^[[:print:]]*$ ]] ||
    die "value \"$1\" has characters other than printable ASCII"
  local value=${1//\\/\\\\}
  value=${value//\"/\\\"}
  value=${value//#/\\#}
  printf '"%s"' "$value"
}

serve() {
  local listen=0.0.0.0 port=3493 maxage=${RIG_MAXAGE:-15}
  local admin=${RIG_ADMIN:-admin:adminpass} monitor=${RIG_MONITOR:-mon:monpass}
  local -a upses=() devs=() descs=()
  set_dir /run/rig
  while (($# > 0)); do
    case $1 in
    --dir) set_dir "${2:?}" ;;
    --listen) listen=${2:?} ;;
    --port) port=${2:?} ;;
    --maxage) maxage=${2:?} ;;
    --admin) admin=${2:?} ;;
    --monitor) monitor=${2:?} ;;
    --ups)
      valid_name "${2:?}" || die "invalid UPS name \"$2\""
      upses+=("$2") devs+=("") descs+=("Rig UPS $2")
      ;;
    --desc | --var)
      ((${#upses[@]} > 0)) || die "$1 must follow --ups"
      local last=$((${#upses[@]} - 1))
      if [[ $1 == --desc ]]; then
        descs[last]=${2?}
      else
        [[ ${2?} =~ ^([a-z0-9][a-z0-9._]*)=(.*)$ ]] || die "invalid --var \"$2\""
        devs[last]+="${BASH_REMATCH[1]}: $(quote "${BASH_REMATCH[2]}")"$'\n'
      fi
      ;;
    *) die "unknown argument \"$1\"" ;;
    esac
    shift 2 || die "$1 needs a value"
  done
  [[ $port =~ ^[0-9]+$ && $maxage =~ ^[0-9]+$ ]] || die "invalid --port or --maxage"
  [[ $admin == ?*:?* && $monitor == ?*:?* ]] || die "users must be USER:PASSWORD"
  if ((${#upses[@]} == 0)); then
    upses=(rig) descs=("Rig UPS rig")
    devs=("$(printf '%s\n' 'ups.status: "OL"' 'battery.charge: 100' \
      'battery.runtime: 1800' 'input.voltage: 230' 'ups.load: 20')"$'\n')
  fi

  mkdir -p "$DIR/s" "$DIR/pid"
  chmod 0700 "$DIR"
  rm -f "$DIR"/pid/* "$DIR"/s/*
  if (($$ == 1)); then echo /proc/1/fd/1; else echo "$DIR/rig.log"; fi >"$DIR/log-target"
  {
    echo "LISTEN $listen $port"
    echo "MAXAGE $maxage"
  } >"$DIR/upsd.conf"
  {
    echo "[${admin%%:*}]"
    echo "  password = $(quote "${admin#*:}")"
    echo "  actions = SET FSD"
    echo "  instcmds = ALL"
    echo "  upsmon primary"
    echo "[${monitor%%:*}]"
    echo "  password = $(quote "${monitor#*:}")"
    echo "  upsmon secondary"
  } >"$DIR/upsd.users"
  echo "maxretry = 3" >"$DIR/ups.conf"
  local i
  for i in "${!upses[@]}"; do
    printf '%s' "${devs[i]}" >"$DIR/${upses[i]}.dev"
    {
      echo "[${upses[i]}]"
      echo "  driver = dummy-ups"
      echo "  port = ${upses[i]}.dev"
      echo "  mode = dummy-once"
      echo "  desc = $(quote "${descs[i]}")"
      echo "  pollinterval = 1"
    } >>"$DIR/ups.conf"
  done

  local stopping=""
  # TERM/INT: stop upsd and the drivers (thawing frozen ones), then exit 0.
  # ctl-started daemons are not our jobs, hence the pid files.
  trap 'stopping=1' TERM INT
  for i in "${upses[@]}"; do start_driver "$i"; done
  start_upsd
  say "serving ${upses[*]} on $listen:$port (MAXAGE $maxage)"
  # Sleep in a child so that "wait" returns on a signal; bash reaps any
  # child (orphans included) whenever SIGCHLD arrives.
  sleep infinity </dev/null >/dev/null 2>&1 &
  local sleeper=$!
  while [[ -z $stopping ]]; do wait "$sleeper" || true; done
  say "stopping"
  stop_daemon upsd TERM
  for i in "$DIR"/pid/driver-*; do
    [[ -e $i ]] && stop_daemon "${i##*/}" TERM
  done
  kill "$sleeper" 2>/dev/null || true
  wait || true
  exit 0
}

case ${1-serve} in
serve) shift || true; serve "$@" ;;
ctl) shift; set_dir /run/rig; ctl "$@" ;;
upsmon) shift; exec /usr/local/bin/rig-upsmon run "$@" ;;
*) die "unknown command \"$1\": use serve, ctl or upsmon" ;;
esac
