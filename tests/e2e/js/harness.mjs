// Starts the real myelin binary on loopback for the matrix-js-sdk tests (the twin of
// ../harness.py): a temporary data folder, a generated config with port 0, the process.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { connect, createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import * as sdk from "matrix-js-sdk";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const binary = process.env.MYELIN_BIN ?? join(root, "build", "myelin");

// `settings` overrides config values by their leaf key, e.g. { encryption_by_default: "off" }.
// `options.serverName` names the server (default localhost); `options.federation` sets keys of
// the federation section only (federation.enabled, not another section's enabled).
export async function startServer(settings = {}, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), "myelin-js-"));
  const config = join(dir, "myelin.yaml");
  execFileSync(binary, ["generate-config", "--server-name", options.serverName ?? "localhost", "--data-dir", ".",
    "--output", config]);
  let text = readFileSync(config, "utf8");
  text = text.replace(/(\n  port: )\d+/, "$10").replace(/(rate_limits:\n  #[^\n]*\n  enabled: )\w+/, "$1false");
  for (const [key, value] of Object.entries(settings))
    text = text.replace(new RegExp(`(\\n\\s*${key}: )[^\\n]*`), `$1${value}`);
  const section = /\nfederation:\n(?:  [^\n]*\n)*/.exec(text);
  if (options.federation && section) {
    let body = section[0];
    for (const [key, value] of Object.entries(options.federation))
      body = body.replace(new RegExp(`(\\n  ${key}: )[^\\n]*`), `$1${value}`);
    text = text.slice(0, section.index) + body + text.slice(section.index + section[0].length);
  }
  writeFileSync(config, text);
  let child = await serve(config);
  // A restart keeps the client port, so that clients carry on where they were.
  writeFileSync(config, text.replace(/(\n  port: )0\b/, `$1${new URL(child.url).port}`));
  const server = {
    url: child.url,
    name: options.serverName ?? "localhost",
    config,
    registrationToken: () =>
      execFileSync(binary, ["registration-token", "create", "--config", config]).toString().trim(),
    stop: () => new Promise((done) => {
      if (child.process.exitCode !== null) return done();
      child.process.once("exit", done);
      child.process.kill("SIGTERM");
    }),
    // Starts the stopped server again on the same config and data.
    restart: async () => { child = await serve(config); },
  };
  return server;
}

// Runs `myelin serve` and resolves once it listens: { process, url }.
async function serve(config) {
  const process = spawn(binary, ["serve", "--config", config], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: process.stdout });
  const url = await new Promise((resolveUrl, reject) => {
    lines.once("line", (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      match ? resolveUrl(match[1]) : reject(new Error(`server did not start: ${line}`));
    });
    process.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { process, url };
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

// A new account on `server` (registered with a token), its matrix-js-sdk client syncing
// (startSyncing) and added to `started`, for the test to stop.
export async function syncingUser(server, name, started) {
  const { access_token: accessToken, user_id: userId, device_id: deviceId } =
    await register(server.url, name, `pw-${name}-long`, server.registrationToken());
  const client = sdk.createClient({ baseUrl: server.url, accessToken, userId, deviceId });
  started.push(client);
  await startSyncing(client);
  return client;
}

// Starts the client's sync loop (with startClient `options` besides the defaults) and returns
// once its first sync is done.
export async function startSyncing(client, options = {}) {
  const prepared = new Promise((resolve) => client.once(sdk.ClientEvent.Sync, (state) => resolve(state)));
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

// Servers that federate on loopback (the twin of ../federation.py): a CA made for the test with
// the openssl CLI, a certificate per server name, and every server's federation.resolve mapping
// each name to its federation port. `settings` as for startServer, for every server.
// With `{ links: true }` each server reaches each other one through a TCP relay of its own
// (a directed link), and each server gets `cut()` and `heal()`: drop every link to and from it
// (open connections too) and restore them.
export async function startFederatedServers(names = ["hs1.test", "hs2.test"], settings = {}, { links = false } = {}) {
  const pki = mkdtempSync(join(tmpdir(), "myelin-pki-"));
  const run = (...args) => execFileSync("openssl", args, { stdio: "ignore" });
  const caCert = join(pki, "ca.crt"), caKey = join(pki, "ca.key");
  run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey,
    "-out", caCert, "-subj", "/CN=myelin-test-ca", "-days", "2");
  const ports = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await freePort()])));
  const relays = {};  // "from to" → relay, with `links`
  if (links)
    for (const from of names)
      for (const to of names) if (from !== to) relays[`${from} ${to}`] = await relay(ports[to]);
  const servers = [];
  for (const name of names) {
    const address = (other) => `127.0.0.1:${other === name || !links ? ports[other] : relays[`${name} ${other}`].port}`;
    const resolve = "{" + names.map((other) => `"${other}": "${address(other)}"`).join(", ") + "}";
    const cert = join(pki, `${name}.crt`), key = join(pki, `${name}.key`), csr = join(pki, `${name}.csr`);
    const ext = join(pki, `${name}.ext`);
    writeFileSync(ext, `subjectAltName=DNS:${name}\n`);
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
      "-subj", `/CN=${name}`);
    run("x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "2",
      "-extfile", ext);
    servers.push(await startServer(settings, {
      serverName: name,
      federation: {
        enabled: "true", listen_address: '"127.0.0.1"', listen_port: String(ports[name]),
        tls_certificate: `"${cert}"`, tls_private_key: `"${key}"`, ca_file: `"${caCert}"`, resolve,
      },
    }));
  }
  for (const server of servers) {
    const own = Object.entries(relays).filter(([link]) => link.split(" ").includes(server.name)).map(([, r]) => r);
    server.cut = () => own.forEach((r) => r.cut());
    server.heal = () => own.forEach((r) => r.heal());
  }
  return servers;
}

// A TCP relay on a free loopback port to 127.0.0.1:`port`: { port, cut, heal }. While cut it
// drops every connection, open or new. It does not keep the test process alive.
async function relay(port) {
  const open = new Set();
  let cut = false;
  const server = createServer((client) => {
    if (cut) return client.destroy();
    const upstream = connect(port, "127.0.0.1");
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      open.add(a);
      a.pipe(b);
      a.on("error", () => b.destroy());
      a.on("close", () => { open.delete(a); b.destroy(); });
    }
  });
  await new Promise((listening) => server.listen(0, "127.0.0.1", listening));
  server.unref();
  return {
    port: server.address().port,
    cut: () => { cut = true; for (const socket of open) socket.destroy(); },
    heal: () => { cut = false; },
  };
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}
