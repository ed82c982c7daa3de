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

Deno.test("makeFakeTools() records calls made at the same time as whole lines", async () => {
  const names = Array.from({ length: 24 }, (_, i) => `vm${i}`);
  await using tools = await makeFakeTools({
    vms: names.map((name) => ({ name })),
  });
  // The rollback starts every VM at once; a few rounds make a torn line
  // (one call's words inside another's) all but certain without whole writes.
  const rounds = 15;
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      names.map((name) =>
        virsh(tools.path("virsh"), ["start", "--domain", name])
      ),
    );
  }
  const calls = await tools.calls();
  assert.deepEqual(
    calls.map((call) => call.join(" ")).sort(),
    names.flatMap((name) => Array(rounds).fill(`virsh start --domain ${name}`))
      .sort(),
  );
});
