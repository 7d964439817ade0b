import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { execFileSync } from "node:child_process";
import { isPortFree } from "../../src/experiment/serverProcess.js";

const bindFails = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(true));
    s.listen({ port, host: "127.0.0.1", exclusive: true }, () => s.close(() => resolve(false)));
  });

test("port check: TIME-WAIT connections do not make a port 'in use'; a listener does", async () => {
  // A client that sets no SO_REUSEADDR (bash's /dev/tcp) closes first: its local port sits in
  // TIME-WAIT, which blocks Node's bind although nothing listens there. Servers that set
  // SO_REUSEPORT (llama.cpp's) leave the same kind behind on the port they served.
  let port = 0;
  const srv = net.createServer((s) => {
    port = s.remotePort!;
    s.resume();
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  try {
    execFileSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${(srv.address() as net.AddressInfo).port}; exec 3>&-`]);
    for (let i = 0; i < 50 && port === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(port > 0);
    assert.equal(await bindFails(port), true, "precondition: a TIME-WAIT connection holds the port against a plain bind");
    assert.equal(await isPortFree(port), true, "nothing listens: free for the next server");
    const listening = (srv.address() as net.AddressInfo).port;
    assert.equal(await isPortFree(listening), false, "a listening server holds its port");
  } finally {
    srv.close();
  }
});
