import type { Command } from "commander";
import { register as compare } from "./compare.js";
import { register as experiment } from "./experiment.js";
import { register as k8sJob } from "./k8sJob.js";
import { register as merge } from "./merge.js";
import { register as model } from "./model.js";
import { register as predict } from "./predict.js";
import { register as probe } from "./probe.js";
import { register as report } from "./report.js";
import { register as run } from "./run.js";
import { register as runs } from "./runs.js";
import { register as serve } from "./serve.js";
import { register as sweep } from "./sweep.js";
import { register as trace } from "./trace.js";
import { register as ui } from "./ui.js";

export type RegisterCommand = (program: Command) => void;

// One line per command module; keep alphabetical to avoid merge conflicts.
export const COMMANDS: RegisterCommand[] = [
  compare,
  experiment,
  k8sJob,
  merge,
  model,
  predict,
  probe,
  report,
  run,
  runs,
  serve,
  sweep,
  trace,
  ui,
];
