/**
 * The `yaml` package, loaded from its ES-module build. Imported by name,
 * Deno resolves the package's "node" export condition first and loads its
 * CommonJS build, which starts Node's module system: about 40 ms and 10 MiB
 * more for every command and for the daemon (issue 19). The file is the same
 * package at the version deno.json pins, installed by Deno into
 * `node_modules`; its types come from the import map entry. Everything else
 * imports YAML from here.
 *
 * @module
 * @pure
 */
// @ts-types="yaml"
export * from "../../node_modules/yaml/browser/index.js";
