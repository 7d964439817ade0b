import type { Command } from "commander";

export type RegisterCommand = (program: Command) => void;

// One line per command module; keep alphabetical to avoid merge conflicts.
export const COMMANDS: RegisterCommand[] = [];
