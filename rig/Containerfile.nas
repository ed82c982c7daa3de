# The rig's NAS stand-in: a real sshd (key authentication only) with a user
# "nas-admin" whose sudoers rule allows exactly the Synology shutdown command,
# and a fake /usr/syno/sbin/synoshutdown that records each run instead of
# powering anything off. Built by rig/image.ts; see entrypoint_nas.sh.
ARG BASE=docker.io/library/debian:bookworm-slim
FROM ${BASE}

RUN if dpkg -s openssh-server sudo >/dev/null 2>&1; then \
      echo "openssh-server and sudo are already installed"; \
    else \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server sudo \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && rm -f /etc/ssh/ssh_host_* \
    && useradd --create-home --shell /bin/bash nas-admin \
    && usermod --password '*' nas-admin \
    && install -d -m 0700 -o nas-admin -g nas-admin /home/nas-admin/.ssh \
    && install -d -m 0755 /usr/syno/sbin /var/lib/synoshutdown \
    && echo 'nas-admin ALL=(ALL) NOPASSWD: /usr/syno/sbin/synoshutdown -s' >/etc/sudoers.d/nas-admin \
    && chmod 0440 /etc/sudoers.d/nas-admin \
    && visudo -c

COPY synoshutdown.sh /usr/syno/sbin/synoshutdown
COPY entrypoint_nas.sh /usr/local/bin/rig-nas-entrypoint

EXPOSE 22
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/rig-nas-entrypoint"]
