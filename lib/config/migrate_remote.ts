/**
 * The old script's NAS settings (`REMOTE_NAS_*`) as a remote of the YAML
 * config, with the notes a user of the old script needs: the rewritten
 * command, the key file its guide created, the host key. Pure.
 *
 * @pure
 * @module
 */

/** The SSH key the old script's guide created for the NAS. */
export const OLD_GUIDE_IDENTITY_FILE = "/root/.ssh/id_nas_shutdown";

/** The seed's NAS command, which a command-specific sudoers rule does not allow. */
const SEED_NAS_COMMAND =
  /^sudo\s+-i\s+(\/usr\/syno\/sbin\/)?synoshutdown\s+-s$/;

/** The NAS settings of the old script, as text. */
export interface OldNasSettings {
  /** `REMOTE_NAS_HOST`. */
  host: string;
  /** `REMOTE_NAS_USER`. */
  user: string;
  /** `REMOTE_NAS_PORT`, when set. */
  port?: number;
  /** `REMOTE_NAS_COMMAND` and its line, when set. */
  command?: { words: string; line: number };
  /** Whether the old script is the Python one (its default command differs). */
  python: boolean;
}

/** A migrated remote and what the user must know about it. */
export interface MigratedRemote {
  /** The remote, as the YAML config spells it. */
  remote: Record<string, unknown>;
  /** Notes, in the order they matter. */
  notes: string[];
}

/**
 * Converts the NAS settings to a remote.
 *
 * @param nas The old settings.
 * @param file The old script's name, for notes.
 * @returns The remote and its notes.
 */
export function migrateRemote(
  nas: OldNasSettings,
  file: string,
): MigratedRemote {
  const notes: string[] = [];
  const remote: Record<string, unknown> = {
    name: "nas",
    host: nas.host,
    user: nas.user,
  };
  if (nas.port !== undefined) remote["port"] = nas.port;
  const { command } = nas;
  const words = command?.words.trim() ?? "";
  if (command && SEED_NAS_COMMAND.test(words)) {
    notes.push(
      `${file}:${command.line}: REMOTE_NAS_COMMAND: "${words}" was replaced by the default "sudo -n /usr/syno/sbin/synoshutdown -s": with -i, sudo 1.9 runs the command through a login shell, which the NOPASSWD rule for /usr/syno/sbin/synoshutdown does not cover, and without -n it waits for a password that never comes`,
    );
  } else if (command && words !== "") {
    remote["command"] = words.split(/\s+/);
    notes.push(
      `${file}:${command.line}: REMOTE_NAS_COMMAND: split into words ${
        JSON.stringify(remote["command"])
      }; check them`,
    );
  } else if (!command && nas.python) {
    notes.push(
      `The old script ran "sudo -i synoshutdown -s" on the NAS; the new default "sudo -n /usr/syno/sbin/synoshutdown -s" matches the sudoers line of its guide, which the old command did not on sudo 1.9`,
    );
  }
  // ssh offers only its default key names (id_ed25519, id_rsa, …), never
  // the file the old guide created: without this the NAS refuses the login.
  remote["identity_file"] = OLD_GUIDE_IDENTITY_FILE;
  notes.push(
    `shutdown.remotes.0.identity_file is set to "${OLD_GUIDE_IDENTITY_FILE}", the key the old script's guide created (ssh does not offer that file on its own); if your NAS key is elsewhere, change it: check refuses a key file that does not exist`,
  );
  notes.push(
    `The old script disabled SSH host-key checking; the new one checks the NAS key against /etc/ups-monitor/known_hosts and /root/.ssh/known_hosts (where the old script's ssh recorded it). "ups-monitor check --remote" says which file holds it; if neither does, record it once and compare its fingerprint with the one DSM shows: ssh -o UserKnownHostsFile=/etc/ups-monitor/known_hosts -o StrictHostKeyChecking=ask -i ${OLD_GUIDE_IDENTITY_FILE} ${nas.user}@${nas.host} true`,
  );
  return { remote, notes };
}
