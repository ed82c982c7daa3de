/**
 * The `http` section of the config: the opt-in endpoint with `/metrics`
 * (Prometheus) and `/status` (the JSON of `status --json`). Pure.
 *
 * @pure
 * @module
 */
import { z } from "../schema/mod.ts";
import { parseListenAddress } from "./listen_address.ts";

/** The `http` section. */
export const httpSchema = z.strictObject({
  listen: z.string().superRefine((text, ctx) => {
    const parsed = parseListenAddress(text);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
  }).nullable().default(null).describe(
    'Where GET /metrics (Prometheus text) and GET /status (the JSON of status --json) are served: a literal IP address and a port, "127.0.0.1:9171" or "[::1]:9171"; no host names. There is no authentication and no TLS: bind to loopback or to a trusted interface only. Default null: no endpoint, no listening socket.',
  ),
}).prefault({}).describe(
  "The HTTP endpoint for Prometheus and status checks (off by default).",
);
