import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeBaseUrl, splitBaseUrl } from "../../src/client/targets.js";

test("base URLs: the OpenAI SDK's /v1 is dropped, a proxy's path prefix kept, junk refused", () => {
  const cases: Array<[string, string]> = [
    ["http://host:8000", "http://host:8000"],
    ["http://host:8000/", "http://host:8000"],
    ["http://host:8000/v1", "http://host:8000"],
    ["http://host:8000/v1/", "http://host:8000"],
    ["https://api.example.com/v1", "https://api.example.com"],
    ["http://gw/llama", "http://gw/llama"],
    ["http://gw/llama/v1//", "http://gw/llama"],
    ["http://gw/v1beta", "http://gw/v1beta"],
    ["HTTP://Host:80/v1", "http://host"],
  ];
  for (const [raw, want] of cases) assert.equal(normalizeBaseUrl(raw), want, raw);
  assert.deepEqual(splitBaseUrl("http://gw:81/llama"), { origin: "http://gw:81", prefix: "/llama" });
  assert.deepEqual(splitBaseUrl("http://gw:81"), { origin: "http://gw:81", prefix: "" });
  assert.throws(() => normalizeBaseUrl("not a url"), /^Error: invalid target URL: not a url$/);
  assert.throws(() => normalizeBaseUrl("ftp://host/"), /target must be http\(s\)/);
  assert.throws(() => normalizeBaseUrl("http://host/v1?key=sk-123"), (e: Error) => /without \?query or #fragment: http:\/\/host\/v1$/.test(e.message) && !e.message.includes("sk-123"));
});
