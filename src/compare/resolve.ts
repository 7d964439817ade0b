import type { Db } from "../store/db.js";
import { getRun, listRuns, type StoredRun } from "../store/runs.js";
import { getCells, getExperiment } from "../store/experiments.js";
import { groupKey } from "../experiment/expand.js";
import { UsageError } from "../errors.js";

export interface Group {
  id: string;
  label: string;
  runs: StoredRun[];
}

/** Completed runs of an experiment, by cell key (cells table first; runs tagged with it otherwise). */
function experimentRuns(db: Db, experimentId: string): StoredRun[] {
  const cells = getCells(db, experimentId).filter((c) => c.status === "completed" && c.runId);
  if (cells.length > 0) return cells.map((c) => getRun(db, c.runId!)).filter((r): r is StoredRun => !!r && r.summary !== null);
  return listRuns(db, { experimentId, status: "completed" }).reverse();
}

/**
 * ids: run ids (or unique prefixes), experiment ids, or `experimentId:cellKeyPrefix`.
 * A single experiment id alone expands to one group per configuration (its cells with repeats pooled).
 */
export function resolveGroups(db: Db, ids: string[]): Group[] {
  if (ids.length === 0) throw new UsageError("compare needs at least one run, cell or experiment id");
  if (ids.length === 1 && getExperiment(db, ids[0])) {
    const runs = experimentRuns(db, ids[0]);
    const byGroup = new Map<string, StoredRun[]>();
    for (const r of runs) {
      const g = groupKey(r.cell_key ?? r.id);
      byGroup.set(g, [...(byGroup.get(g) ?? []), r]);
    }
    if (byGroup.size < 2) throw new UsageError(`experiment ${ids[0]} has ${byGroup.size} completed configuration(s); compare needs at least two`);
    const labels = shortLabels([...byGroup.keys()]);
    return [...byGroup].map(([g, rs], i) => ({ id: `${ids[0]}:${g}`, label: labels[i], runs: rs }));
  }
  const groups = ids.map((id) => resolveOne(db, id));
  if (groups.length < 2) throw new UsageError("compare needs at least two runs, cells or experiments (or one experiment with several configurations)");
  return distinctLabels(groups);
}

/** Runs that share a label (the same `--label` for several runs) are told apart by their id's end. */
function distinctLabels(groups: Group[]): Group[] {
  return groups.map((g) => {
    const same = groups.filter((x) => x.label === g.label).length > 1;
    return same && g.runs.length === 1 && g.id === g.runs[0].id ? { ...g, label: `${g.label} (${g.id.slice(-6)})` } : g;
  });
}

function resolveOne(db: Db, id: string): Group {
  const colon = id.indexOf(":");
  if (colon > 0 && getExperiment(db, id.slice(0, colon))) {
    const exp = id.slice(0, colon);
    const prefix = id.slice(colon + 1);
    const runs = experimentRuns(db, exp).filter((r) => (r.cell_key ?? "").startsWith(prefix));
    if (runs.length === 0) throw new UsageError(`no completed cell of experiment ${exp} starts with "${prefix}"`);
    return { id, label: id, runs };
  }
  if (getExperiment(db, id)) {
    const runs = experimentRuns(db, id);
    if (runs.length === 0) throw new UsageError(`experiment ${id} has no completed cells`);
    return { id, label: id, runs };
  }
  const run = getRun(db, id);
  if (!run) throw new UsageError(`no run, experiment or experiment:cell matches "${id}"`);
  if (!run.summary) throw new UsageError(`run ${run.id} has no results (status ${run.status})`);
  if (run.status === "failed") throw new UsageError(`run ${run.id} failed (every measured request failed): nothing to compare`);
  return { id: run.id, label: run.label ?? run.id, runs: [run] };
}

/** Drops the key segments every group shares, so labels show only what differs. */
export function shortLabels(keys: string[]): string[] {
  const split = keys.map((k) => k.split("/"));
  const common = (seg: string, i: number) => split.every((s) => s[i] === seg);
  const out = split.map((s) => s.filter((seg, i) => !common(seg, i)).join("/"));
  return out.map((l, i) => l || keys[i]);
}
