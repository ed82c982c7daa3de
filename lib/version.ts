/** Version of ups-monitor, printed by `version` and in "monitor started". */
export const VERSION = "0.1.0";
