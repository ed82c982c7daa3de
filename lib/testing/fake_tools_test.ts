import assert from "node:assert/strict";
import { makeFakeTools } from "./fake_tools.ts";

async function virsh(path: string, args: string[]) {
  const output = await new Deno.Command(path, { args }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
  };
}

Deno.test("makeFakeTools() virsh answers version as a virsh connected to libvirtd", async () => {
  await using tools = await makeFakeTools({ vms: [{ name: "web" }] });
  for (const args of [["version"], ["-c", "qemu:///system", "version"]]) {
    const result = await virsh(tools.path("virsh"), args);
    assert.equal(result.code, 0, args.join(" "));
    assert.match(result.stdout, /^Compiled against library: libvirt \S+$/m);
    assert.match(result.stdout, /^Running hypervisor: QEMU \S+$/m);
  }
  const list = await virsh(tools.path("virsh"), ["list", "--name"]);
  assert.equal(list.stdout, "web\n\n");
});
