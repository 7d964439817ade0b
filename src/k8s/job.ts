// A Kubernetes Indexed Job that runs one tokenbench shard per pod: the cluster schedules, starts
// and retries the pods (no home-made coordinator); tokenbench only gives every pod its shard and
// a common start. Pure: returns the manifest object; the CLI prints it.

/** What a sharded run on a cluster needs. */
export interface ShardJobOptions {
  /** Job name (a DNS-1123 label: lowercase letters, digits, '-'; at most 63 characters). */
  name: string;
  namespace?: string;
  /** Container image holding tokenbench (e.g. built from this repository's npm package). */
  image: string;
  /** Number of shards: completions = parallelism = shards. */
  shards: number;
  /** Common start of the measured phase, epoch ms: every pod passes it as --start-at. */
  startAtMs: number;
  /** `tokenbench run` options (target, load, workload...) shared by every shard; --shard, --start-at and outputs are added. */
  runArgs: string[];
  /** The command that runs tokenbench in the image. Default ["tokenbench"]. */
  command?: string[];
  /** PersistentVolumeClaim (ReadWriteMany) the shards write their results to; mounted at /results. */
  resultsClaim: string;
  /** Per-pod resources: client CPU (cores) and memory (e.g. "2", "2Gi"). */
  cpu?: string;
  memory?: string;
  /** Kubernetes Secret (name, key) holding the API key, passed as TOKENBENCH_API_KEY; never a literal in the manifest. */
  apiKeySecret?: { name: string; key: string };
  /** Kill the Job after this many seconds (activeDeadlineSeconds). */
  deadlineS?: number;
}

/** Options a shard's command line gets from the Job; given in runArgs they would clash. */
export const JOB_OWNED_FLAGS = ["--shard", "--start-at", "--json", "--records", "--db", "--no-store", "--no-progress"] as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The Job manifest (batch/v1), as a plain object.
 *
 * Each pod i (JOB_COMPLETION_INDEX, from the pod's completion-index annotation) runs
 * `tokenbench run <runArgs> --shard i/N --start-at T --json /results/<name>/shard-i.json
 * --records /results/<name>/shard-i.jsonl --no-store --no-progress`; `tokenbench merge
 * /results/<name>/*` then gives the run. backoffLimit 0: a shard retried after the common start
 * would send its timetable late; a failed shard fails the Job instead.
 *
 * @throws Error with one line when a value cannot make a valid Job
 */
export function buildShardJob(o: ShardJobOptions): Record<string, unknown> {
  if (!DNS_LABEL.test(o.name) || o.name.length > 52) throw new Error(`job name must be lowercase letters, digits and '-', at most 52 characters (pod names add a suffix), got "${o.name}"`);
  if (!Number.isInteger(o.shards) || o.shards < 1 || o.shards > 10_000) throw new Error(`shards must be 1..10000, got ${o.shards}`);
  if (!o.image.trim()) throw new Error("an image is needed");
  const owned = o.runArgs.find((a) => JOB_OWNED_FLAGS.some((f) => a === f || a.startsWith(`${f}=`)));
  if (owned) throw new Error(`${owned} is set by the Job for every shard; leave it out of the run options`);
  // A manifest is stored and shared in plain text: keys come from a Secret.
  if (o.runArgs.some((a) => a === "--api-key" || a.startsWith("--api-key="))) throw new Error("--api-key would be written into the manifest in plain text: put the key in a Kubernetes Secret and pass --api-key-secret NAME/KEY");
  const dir = `/results/${o.name}`;
  const index = "$(JOB_COMPLETION_INDEX)";
  const args = [
    "run",
    ...o.runArgs,
    "--shard", `${index}/${o.shards}`,
    "--start-at", String(o.startAtMs),
    "--json", `${dir}/shard-${index}.json`,
    "--records", `${dir}/shard-${index}.jsonl`,
    "--no-store",
    "--no-progress",
  ];
  const resources = o.cpu || o.memory
    ? { requests: { ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}) }, limits: { ...(o.memory ? { memory: o.memory } : {}) } }
    : undefined;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}), labels: { "app.kubernetes.io/name": "tokenbench", "tokenbench/shards": String(o.shards) } },
    spec: {
      completionMode: "Indexed",
      completions: o.shards,
      parallelism: o.shards,
      backoffLimit: 0,
      ...(o.deadlineS ? { activeDeadlineSeconds: o.deadlineS } : {}),
      template: {
        // (the Job controller adds job-name and controller-uid labels itself)
        metadata: { labels: { "app.kubernetes.io/name": "tokenbench" } },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "tokenbench",
              image: o.image,
              command: o.command ?? ["tokenbench"],
              args,
              env: [
                // Set by the Job controller too; declared so $(JOB_COMPLETION_INDEX) expands in args on every version.
                { name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
                { name: "TOKENBENCH_HOME", value: "/tmp/tokenbench" },
                ...(o.apiKeySecret ? [{ name: "TOKENBENCH_API_KEY", valueFrom: { secretKeyRef: { name: o.apiKeySecret.name, key: o.apiKeySecret.key } } }] : []),
              ],
              ...(resources ? { resources } : {}),
              volumeMounts: [{ name: "results", mountPath: "/results" }],
            },
          ],
          initContainers: [
            // The shards' output directory, made once per pod before tokenbench checks it is writable.
            { name: "results-dir", image: o.image, command: ["mkdir", "-p", dir], volumeMounts: [{ name: "results", mountPath: "/results" }] },
          ],
          volumes: [{ name: "results", persistentVolumeClaim: { claimName: o.resultsClaim } }],
        },
      },
    },
  };
}
