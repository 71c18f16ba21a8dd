// Starts the real myelin binary on loopback for the matrix-js-sdk tests (the twin of
// ../harness.py): a temporary data folder, a generated config with port 0, the process.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { ClientEvent } from "matrix-js-sdk";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const binary = process.env.MYELIN_BIN ?? join(root, "build", "myelin");

// `settings` overrides config values by their leaf key, e.g. { encryption_by_default: "off" }.
export async function startServer(settings = {}) {
  const dir = mkdtempSync(join(tmpdir(), "myelin-js-"));
  const config = join(dir, "myelin.yaml");
  execFileSync(binary, ["generate-config", "--server-name", "localhost", "--data-dir", ".", "--output", config]);
  let text = readFileSync(config, "utf8");
  text = text.replace(/(\n  port: )\d+/, "$10").replace(/(rate_limits:\n  #[^\n]*\n  enabled: )\w+/, "$1false");
  for (const [key, value] of Object.entries(settings))
    text = text.replace(new RegExp(`(\\n\\s*${key}: )[^\\n]*`), `$1${value}`);
  writeFileSync(config, text);
  const child = spawn(binary, ["serve", "--config", config], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolveUrl, reject) => {
    lines.once("line", (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      match ? resolveUrl(match[1]) : reject(new Error(`server did not start: ${line}`));
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url,
    registrationToken: () =>
      execFileSync(binary, ["registration-token", "create", "--config", config]).toString().trim(),
    stop: () => new Promise((done) => { child.once("exit", done); child.kill("SIGTERM"); }),
  };
}

async function post(url, path, body) {
  const response = await fetch(url + path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

// Registers through user-interactive auth with a registration token.
export async function register(url, username, password, token) {
  const first = await post(url, "/_matrix/client/v3/register", { username, password });
  if (first.status !== 401) throw new Error(`expected a UIA challenge, got ${first.status}`);
  const done = await post(url, "/_matrix/client/v3/register", {
    username, password, auth: { type: "m.login.registration_token", token, session: first.body.session },
  });
  if (done.status !== 200) throw new Error(`registration failed: ${JSON.stringify(done.body)}`);
  return done.body;
}

// Starts the client's sync loop (with startClient `options` besides the defaults) and returns
// once its first sync is done.
export async function startSyncing(client, options = {}) {
  const prepared = new Promise((resolve) => client.once(ClientEvent.Sync, (state) => resolve(state)));
  await client.startClient({ initialSyncLimit: 20, lazyLoadMembers: true, ...options });
  const state = await prepared;
  if (state !== "PREPARED") throw new Error(`first sync ended in state ${state}`);
}

// Resolves with check()'s first truthy value, polled every 25 ms; rejects after timeoutMs.
export function waitFor(check, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const value = check();
      if (value) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error("condition not met in time"));
      setTimeout(poll, 25);
    };
    poll();
  });
}
