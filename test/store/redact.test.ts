import { test } from "node:test";
import assert from "node:assert/strict";
import { isSecretKey, redact, redactArgv, redactValues, secretValues, REDACTED } from "../../src/store/redact.js";

test("secret keys are recognised by their last word, metric names are not", () => {
  for (const k of ["apiKey", "api_key", "x-api-key", "Authorization", "hf_token", "access_token", "HF_TOKEN", "clientSecret", "password", "cookie", "token"]) assert.ok(isSecretKey(k), k);
  for (const k of ["tokenizer", "max_tokens", "input_tokens", "eos_token_id", "outputTokens", "tokens", "key", "cell_key", "monkey", "author"]) assert.ok(!isSecretKey(k), k);
});

test("redact masks secret keys and secret-looking values deeply", () => {
  const out = redact({ env: { HF_TOKEN: "abc", PATH: "/bin" }, headers: { authorization: "x" }, note: "use sk-abcdefgh1234 or Bearer qwerty", tokenizer: "llama3", n: [{ api_key: 1 }] });
  assert.deepEqual(out, { env: { HF_TOKEN: REDACTED, PATH: "/bin" }, headers: { authorization: REDACTED }, note: `use ${REDACTED} or ${REDACTED}`, tokenizer: "llama3", n: [{ api_key: REDACTED }] });
});

test("redactArgv masks the values of --api-key and --header", () => {
  assert.deepEqual(redactArgv(["run", "--api-key", "plain", "-H", "X-Key: v", "--header=Auth: y", "-t", "http://h"]), ["run", "--api-key", REDACTED, "-H", REDACTED, `--header=${REDACTED}`, "-t", "http://h"]);
});

test("redactArgv masks the attached short form -HName: value", () => {
  assert.deepEqual(redactArgv(["run", "-HX-Api-Key: abc", "-c", "2"]), ["run", `-H${REDACTED}`, "-c", "2"]);
});

test("redactValues masks the exact values passed, whatever their shape, longest first", () => {
  const values = secretValues({ "x-api-key": "plainsecret42", authorization: "Bearer tok-123456789", accept: "json" });
  assert.deepEqual(values, ["Bearer tok-123456789", "plainsecret42", "tok-123456789"]);
  assert.equal(redactValues('{"x-api-key":"plainsecret42","auth":"tok-123456789","accept":"json"}', values), `{"x-api-key":"${REDACTED}","auth":"${REDACTED}","accept":"json"}`);
});
