import type { Command } from "commander";
import { register as run } from "./run.js";
import { register as runs } from "./runs.js";

export type RegisterCommand = (program: Command) => void;

// One line per command module; keep alphabetical to avoid merge conflicts.
export const COMMANDS: RegisterCommand[] = [
  run,
  runs,
];
