#!/bin/bash
# Stand-in for Synology's /usr/syno/sbin/synoshutdown in the rig's NAS image:
# appends one tab-separated line per run to /var/lib/synoshutdown/calls.log
# (epoch milliseconds, uid, the invoking sudo user, then each argument) and
# powers nothing off. Like the real one it refuses to run without root.
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  echo "synoshutdown: must be run as root" >&2
  exit 1
fi
line="$(date +%s%3N)	$(id -u)	${SUDO_USER:-}"
for arg in "$@"; do line+="	${arg//[$'\t\n']/ }"; done
echo "$line" >>/var/lib/synoshutdown/calls.log
echo "synoshutdown: recorded a shutdown request ($*)"
