/**
 * The schema library: `z.string()`, `z.strictObject({...})` and the rest,
 * with zod's names and issue codes for the subset this program uses.
 *
 * @pure
 * @module
 */
export * as z from "./z.ts";
