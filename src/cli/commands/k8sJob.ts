import type { Command } from "commander";
import { stringify } from "yaml";
import { buildShardJob } from "../../k8s/job.js";
import { UsageError } from "../errors.js";
import * as p from "../parse.js";
import { writeFileAtomic } from "../../output/atomicWrite.js";
import { checkOutputFile } from "../../output/paths.js";

interface K8sFlags {
  shards: number;
  image: string;
  name: string;
  namespace?: string;
  resultsPvc: string;
  startIn: number;
  startAt?: number;
  command?: string;
  cpu?: string;
  memory?: string;
  apiKeySecret?: string;
  deadline?: number;
  output?: string;
}

export function register(program: Command): void {
  program
    .command("k8s-job")
    .description("write a Kubernetes Indexed Job running `tokenbench run ARGS` as N shards from a common start (apply it, then tokenbench merge the results)")
    .argument("[run-args...]", "tokenbench run options after --, e.g. -- --target http://vllm:8000 --rate 200 --requests 20000")
    .requiredOption("--shards <n>", "shards (pods): completions and parallelism", p.positiveInt)
    .requiredOption("--image <image>", "container image with tokenbench on its PATH")
    .option("--name <name>", "Job name", "tokenbench")
    .option("--namespace <ns>", "namespace")
    .option("--results-pvc <claim>", "ReadWriteMany PersistentVolumeClaim mounted at /results for the shards' files", "tokenbench-results")
    .option("--start-in <s>", "common start: this many seconds after now (apply the manifest at once)", p.positiveNumber, 120)
    .option("--start-at <epoch-ms>", "common start as epoch ms instead of --start-in", p.epochMs)
    .option("--command <cmd>", "how the image runs tokenbench (space-separated)", "tokenbench")
    .option("--cpu <cores>", "CPU request per pod, e.g. 2")
    .option("--memory <size>", "memory request and limit per pod, e.g. 2Gi")
    .option("--api-key-secret <name/key>", "Secret holding the API key (env TOKENBENCH_API_KEY)")
    .option("--deadline <s>", "activeDeadlineSeconds: stop the Job after this long", p.positiveInt)
    .option("-o, --output <file>", "write the manifest here instead of stdout")
    .action((runArgs: string[], f: K8sFlags) => {
      if (f.output) checkOutputFile(f.output, "--output");
      let apiKeySecret: { name: string; key: string } | undefined;
      if (f.apiKeySecret !== undefined) {
        const [name, key, ...rest] = f.apiKeySecret.split("/");
        if (!name || !key || rest.length) throw new UsageError(`--api-key-secret takes NAME/KEY, got "${f.apiKeySecret}"`);
        apiKeySecret = { name, key };
      }
      let job: Record<string, unknown>;
      try {
        job = buildShardJob({
          name: f.name,
          namespace: f.namespace,
          image: f.image,
          shards: f.shards,
          startAtMs: f.startAt ?? Date.now() + Math.round(f.startIn * 1000),
          runArgs,
          command: f.command?.split(/\s+/).filter(Boolean),
          resultsClaim: f.resultsPvc,
          cpu: f.cpu,
          memory: f.memory,
          apiKeySecret,
          deadlineS: f.deadline,
        });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const text = stringify(job);
      if (f.output) writeFileAtomic(f.output, text);
      else process.stdout.write(text);
    });
}
