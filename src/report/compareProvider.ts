// The statistics live in src/compare; the report only renders the Comparison it returns.
import { compare } from "../compare/index.js";
import type { CompareFn } from "./data.js";

export const defaultCompare: CompareFn = (db, ids, opts) => compare(db, ids, { baseline: opts.baseline });
