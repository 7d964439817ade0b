// Runs the scripted server in its own process so the client under test has its own core.
// argv: ttftMs itlMs tokensPerChunk. Prints the URL on stdout.
import { startScriptedServer } from "../test/support/scriptedServer.js";

const [ttftMs, itlMs, tokensPerChunk] = process.argv.slice(2).map(Number);
const srv = await startScriptedServer({ script: { ttftMs, itlMs, tokensPerChunk: tokensPerChunk || 1 } });
process.stdout.write(srv.url + "\n");
process.on("SIGTERM", () => void srv.close().then(() => process.exit(0)));
