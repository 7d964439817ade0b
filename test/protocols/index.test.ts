import { test } from "node:test";
import assert from "node:assert/strict";
import { getAdapter, isApiKind } from "../../src/protocols/index.js";
import { API_KINDS, type ApiKind } from "../../src/protocols/types.js";

test("every ApiKind has an adapter that names itself, streams, and declares exact-output support", () => {
  for (const api of API_KINDS) {
    const a = getAdapter(api);
    assert.equal(a.api, api);
    assert.ok(a.exactOutput === "native" || a.exactOutput === "unsupported", `${api} exactOutput`);
    const spec = a.buildRequest({ prompt: "p", maxTokens: 3, exactOutput: false });
    assert.equal(spec.method, "POST");
    assert.ok(spec.path.startsWith("/"), `${api} path`);
    assert.ok(JSON.stringify(JSON.parse(spec.body!)).includes('"p"'), `${api} body carries the prompt`);
    // Each parser is independent state: two parsers never share buffers.
    const p1 = a.createParser();
    const p2 = a.createParser();
    assert.notEqual(p1, p2);
  }
  assert.deepEqual(
    API_KINDS.filter((k) => getAdapter(k).exactOutput === "unsupported"),
    ["tgi", "ollama"],
  );
});

test("unknown API names are rejected", () => {
  assert.throws(() => getAdapter("vllm" as ApiKind), /unknown API "vllm"; expected one of openai-completions/);
  assert.throws(() => getAdapter("__proto__" as ApiKind), /unknown API/);
  assert.equal(isApiKind("sglang"), true);
  assert.equal(isApiKind("toString"), false);
});
