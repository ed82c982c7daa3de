#!/bin/bash
# PID 1 of the rig's NAS container: generates a fresh ed25519 host key,
# installs the authorized public key given as argument for nas-admin, and
# runs sshd in the foreground. TERM/INT are forwarded to sshd; bash reaps
# every child, orphans included.
#
#   rig-nas-entrypoint AUTHORIZED_KEY    (one public key line)
#
# The host's public key is /etc/ssh/ssh_host_ed25519_key.pub, and the
# shutdown calls are recorded in /var/lib/synoshutdown/calls.log.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C

key=${1:-${RIG_AUTHORIZED_KEY:-}}
[[ $key == ssh-* ]] || {
  echo "rig-nas-entrypoint: give one public key (ssh-...) as argument" >&2
  exit 2
}
rm -f /etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -C rig-nas -f /etc/ssh/ssh_host_ed25519_key
install -m 0600 -o nas-admin -g nas-admin /dev/null /home/nas-admin/.ssh/authorized_keys
echo "$key" >/home/nas-admin/.ssh/authorized_keys
: >/var/lib/synoshutdown/calls.log
mkdir -p /run/sshd
chmod 0755 /run/sshd

stopping="" sshd=""
trap 'stopping=1; kill -TERM "$sshd" 2>/dev/null || true' TERM INT
/usr/sbin/sshd -D -e \
  -o HostKey=/etc/ssh/ssh_host_ed25519_key \
  -o PasswordAuthentication=no \
  -o KbdInteractiveAuthentication=no \
  -o PubkeyAuthentication=yes \
  -o PermitRootLogin=no \
  -o AllowUsers=nas-admin \
  -o UsePAM=no &
sshd=$!
[[ -z $stopping ]] || kill -TERM "$sshd"
echo "rig-nas-entrypoint: sshd listening on port 22" >&2
# A trapped signal ends "wait" early: keep waiting until sshd has exited.
status=0
while kill -0 "$sshd" 2>/dev/null; do wait "$sshd" || status=$?; done
[[ -n $stopping ]] && exit 0
exit "$status"
