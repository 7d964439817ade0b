import { homedir } from "node:os";
import { join } from "node:path";

/** tokenbench's own directory (generated models, results database); TOKENBENCH_HOME overrides. */
export function tokenbenchHome(): string {
  return process.env.TOKENBENCH_HOME || join(homedir(), ".tokenbench");
}
