// Headless-Chromium check (README.md): the real Element Web, built outside this repository,
// against a myelin binary on loopback: login, send, thread, threads panel, search.
//
// usage: node check.mjs [--bin PATH] [--label NAME] [--room-version V]
//   env: ELEMENT_DIR (the built Element Web, required), HS_PORT (default 18448), WEB_PORT (18480)
import { chromium } from "playwright-core";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { spawn, execFileSync } from "node:child_process";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : dflt;
};
const BIN = path.resolve(opt("--bin", new URL("../../build/myelin", import.meta.url).pathname));
const LABEL = opt("--label", "main");
const ROOM_VERSION = opt("--room-version", ""); // empty = server default
const ELEMENT_DIR = process.env.ELEMENT_DIR;
if (!ELEMENT_DIR) {
    console.error("ELEMENT_DIR must name a built Element Web (README.md)");
    process.exit(2);
}
const HS_PORT = Number(process.env.HS_PORT || 18448);
const WEB_PORT = Number(process.env.WEB_PORT || 18480);
const HERE = path.dirname(new URL(import.meta.url).pathname);
const RUN = path.join(HERE, "runs", LABEL);
const SHOTS = path.join(HERE, "shots", LABEL);
const HS = `http://127.0.0.1:${HS_PORT}`;
const SERVER_NAME = "localhost";
const PW = "correct-horse-battery";
const WORD = "zebracadabra"; // unique search word

fs.rmSync(RUN, { recursive: true, force: true });
fs.rmSync(SHOTS, { recursive: true, force: true });
fs.mkdirSync(RUN, { recursive: true });
fs.mkdirSync(SHOTS, { recursive: true });

const results = [];
const failures = []; // 4xx/5xx on /_matrix
const netlog = fs.createWriteStream(path.join(RUN, "network.log"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function step(name, ok, detail = "") {
    results.push({ name, ok, detail });
    console.log(`${ok ? "PASS" : "FAIL"}  ${name}${detail ? "  -- " + detail : ""}`);
}

// ---------- myelin ----------
const cfgPath = path.join(RUN, "myelin.yaml");
let yaml = execFileSync(BIN, ["generate-config", "--server-name", SERVER_NAME, "--data-dir", "."], {
    encoding: "utf8",
});
const setKey = (block, key, val) => {
    // replace `key:` inside a top-level block (or top-level when block is null)
    const lines = yaml.split("\n");
    let inBlock = block === null;
    for (let i = 0; i < lines.length; i++) {
        const l = lines[i];
        if (block !== null && /^\S/.test(l)) inBlock = l.startsWith(block + ":");
        const re = block === null ? new RegExp(`^${key}:`) : new RegExp(`^\\s+${key}:`);
        if (inBlock && re.test(l)) {
            lines[i] = l.replace(/:.*/, `: ${val}`);
            yaml = lines.join("\n");
            return;
        }
    }
    throw new Error(`config key ${block}.${key} not found`);
};
setKey(null, "log_level", '"debug"');
setKey("listen", "port", String(HS_PORT));
setKey("rate_limits", "enabled", "false");
setKey(null, "public_baseurl", `"${HS}"`);
fs.writeFileSync(cfgPath, yaml);
for (const u of ["alice", "bob"]) {
    execFileSync(BIN, ["user", "create", "--config", cfgPath, "--user", u, "--password", PW], { stdio: "inherit" });
}
const hsLog = fs.openSync(path.join(RUN, "myelin.log"), "w");
const hs = spawn(BIN, ["serve", "--config", cfgPath], { cwd: RUN, stdio: ["ignore", hsLog, hsLog] });
let hsExited = null;
hs.on("exit", (c, s) => (hsExited = `exit code=${c} signal=${s}`));

async function api(method, p, body, token) {
    const r = await fetch(HS + p, {
        method,
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch {
        json = { raw: text };
    }
    if (!r.ok) throw new Error(`${method} ${p} -> ${r.status} ${text.slice(0, 300)}`);
    return json;
}

// ---------- static Element server ----------
const elementConfig = {
    default_server_config: { "m.homeserver": { base_url: HS, server_name: SERVER_NAME } },
    disable_custom_urls: true,
    disable_guests: true,
    disable_3pid_login: true,
    brand: "Element",
    default_theme: "light",
    room_directory: { servers: [SERVER_NAME] },
    show_labs_settings: false,
    setting_defaults: { breadcrumbs: true, UIFeature_locationSharing: false, "UIFeature.voip": false },
    element_call: { url: "" },
    map_style_url: "",
    jitsi: { preferred_domain: "" },
};
const MIME = {
    ".html": "text/html", ".js": "application/javascript", ".css": "text/css", ".json": "application/json",
    ".wasm": "application/wasm", ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2",
    ".woff": "font/woff", ".ttf": "font/ttf", ".ico": "image/x-icon", ".gif": "image/gif", ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
};
const web = http.createServer((req, res) => {
    let p = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (p === "/config.json" || p.startsWith("/config.")) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify(elementConfig));
    }
    if (p.endsWith("/")) p += "index.html";
    const f = path.join(ELEMENT_DIR, path.normalize(p));
    if (!f.startsWith(ELEMENT_DIR) || !fs.existsSync(f) || fs.statSync(f).isDirectory()) {
        res.writeHead(404);
        return res.end("not found");
    }
    res.writeHead(200, { "content-type": MIME[path.extname(f)] || "application/octet-stream" });
    fs.createReadStream(f).pipe(res);
});
await new Promise((r) => web.listen(WEB_PORT, "127.0.0.1", r));

let browser;
let aliceApi;
let exitCode = 0;
try {
    // wait for myelin
    for (let i = 0; ; i++) {
        try {
            await api("GET", "/_matrix/client/versions");
            break;
        } catch (e) {
            if (hsExited || i > 100) throw new Error(`myelin did not come up: ${hsExited || e.message}`);
            await sleep(100);
        }
    }
    const versions = await api("GET", "/_matrix/client/versions");
    fs.writeFileSync(path.join(RUN, "versions.json"), JSON.stringify(versions, null, 1));

    // room set up over the CS API (alice creates, bob joins so it is a real 2-member room)
    const login = async (u) =>
        api("POST", "/_matrix/client/v3/login", {
            type: "m.login.password",
            identifier: { type: "m.id.user", user: u },
            password: PW,
            initial_device_display_name: "setup-script",
        });
    aliceApi = await login("alice");
    const bobApi = await login("bob");
    const createBody = { name: "Element check", preset: "private_chat", invite: [`@bob:${SERVER_NAME}`] };
    if (ROOM_VERSION) createBody.room_version = ROOM_VERSION;
    const { room_id: roomId } = await api("POST", "/_matrix/client/v3/createRoom", createBody, aliceApi.access_token);
    await api("POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {}, bobApi.access_token);
    await api(
        "PUT",
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/setup1`,
        { msgtype: "m.text", body: "hello from bob (setup)" },
        bobApi.access_token,
    );
    console.log(`room ${roomId} (version ${ROOM_VERSION || "server default"})`);

    browser = await chromium.launch({
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(20000);
    page.on("response", async (r) => {
        const u = r.url();
        if (!u.includes("/_matrix/")) return;
        const rq = r.request();
        const line = `${r.status()} ${rq.method()} ${u.replace(HS, "")}`;
        netlog.write(line + "\n");
        if (r.status() >= 400) {
            let body = "";
            try {
                body = (await r.text()).slice(0, 200);
            } catch {}
            failures.push(`${line}  ${body}`);
        }
    });
    page.on("requestfailed", (rq) => {
        if (rq.url().includes("/_matrix/")) failures.push(`NETFAIL ${rq.method()} ${rq.url()} ${rq.failure()?.errorText}`);
    });
    const consoleLog = fs.createWriteStream(path.join(RUN, "console.log"));
    page.on("console", (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
    page.on("pageerror", (e) => consoleLog.write(`[pageerror] ${e.message}\n`));

    let n = 0;
    const shot = async (name) => {
        const f = path.join(SHOTS, `${String(++n).padStart(2, "0")}-${name}.png`);
        await page.screenshot({ path: f });
        return f;
    };
    // click away any first-run dialog / toast that might cover the UI
    const dismiss = async () => {
        for (const name of ["Not now", "Later", "Dismiss", "No", "Skip", "I'll verify later", "Close", "OK", "Got it"]) {
            const b = page.getByRole("button", { name, exact: true });
            const cnt = await b.count().catch(() => 0);
            for (let i = 0; i < cnt; i++) {
                if (await b.nth(i).isVisible().catch(() => false)) await b.nth(i).click({ timeout: 2000 }).catch(() => {});
            }
        }
        // "skip verification" flow: Skip -> "Skip verification for now"? confirm
        const conf = page.getByRole("button", { name: /I'll verify later|Skip verification/ });
        if (await conf.count().catch(() => 0)) await conf.first().click({ timeout: 2000 }).catch(() => {});
    };
    const tryStep = async (name, fn) => {
        try {
            const d = await fn();
            step(name, true, d || "");
            return true;
        } catch (e) {
            await shot(`${name.replace(/\W+/g, "_")}-FAILED`).catch(() => {});
            step(name, false, e.message.split("\n")[0].slice(0, 300));
            exitCode = 1;
            return false;
        }
    };

    // 1. login
    const loggedIn = await tryStep("login", async () => {
        await page.goto(`http://127.0.0.1:${WEB_PORT}/#/login`);
        await page.locator("#mx_LoginForm_username").waitFor({ timeout: 60000 });
        await shot("login-form");
        await page.fill("#mx_LoginForm_username", "alice");
        await page.fill("#mx_LoginForm_password", PW);
        await page.getByRole("button", { name: "Sign in", exact: true }).click();
        // either home page, room list, or a "verify this device" screen
        await page.locator(".mx_RoomList, .mx_CompleteSecurity, .mx_HomePage").first().waitFor({ timeout: 60000 });
        await sleep(1500);
        await shot("after-login");
        for (let i = 0; i < 3; i++) {
            await dismiss();
            await sleep(500);
        }
        await page.locator(".mx_RoomList").waitFor({ timeout: 30000 });
        await shot("home");
    });
    if (!loggedIn) throw new Error("cannot continue without login");

    // 2. open room, send message
    const rootText = `root message ${WORD} one`;
    await tryStep("open room + send message", async () => {
        await page.goto(`http://127.0.0.1:${WEB_PORT}/#/room/${roomId}`);
        const composer = page.locator(".mx_RoomView_body .mx_BasicMessageComposer_input").first();
        await composer.waitFor({ timeout: 30000 });
        await dismiss();
        await composer.click();
        await composer.type(rootText);
        await page.keyboard.press("Enter");
        const tile = page.locator(".mx_RoomView_MessageList .mx_EventTile", { hasText: rootText }).last();
        await tile.waitFor();
        // wait until it is no longer "sending" (local echo gets its real event id)
        await page.waitForFunction(
            (t) =>
                [...document.querySelectorAll(".mx_RoomView_MessageList .mx_EventTile")].some(
                    (e) => e.textContent.includes(t) && !e.classList.contains("mx_EventTile_sending") && !e.classList.contains("mx_EventTile_notSent"),
                ),
            rootText,
            { timeout: 20000 },
        );
        await sleep(500);
        await shot("message-sent");
    });

    // 3. thread: reply in thread from the message action bar
    const threadText = `thread reply ${WORD} two`;
    await tryStep("start thread + reply in thread", async () => {
        const tile = page.locator(".mx_RoomView_MessageList .mx_EventTile", { hasText: rootText }).last();
        await tile.hover();
        await page.getByRole("button", { name: "Reply in thread" }).first().click();
        const tcomp = page.locator(".mx_ThreadView .mx_BasicMessageComposer_input").first();
        await tcomp.waitFor();
        await shot("thread-opened");
        await tcomp.click();
        await tcomp.type(threadText);
        await page.keyboard.press("Enter");
        await page.locator(".mx_ThreadView .mx_EventTile", { hasText: threadText }).first().waitFor();
        await page.waitForFunction(
            (t) =>
                [...document.querySelectorAll(".mx_ThreadView .mx_EventTile")].some(
                    (e) => e.textContent.includes(t) && !e.classList.contains("mx_EventTile_sending") && !e.classList.contains("mx_EventTile_notSent"),
                ),
            threadText,
            { timeout: 20000 },
        );
        await sleep(1000);
        await shot("thread-reply-sent");
        // the main timeline should show a thread summary on the root
        const summary = page.locator(".mx_RoomView_MessageList .mx_ThreadSummary");
        await summary.first().waitFor({ timeout: 10000 });
        return `thread summary: "${(await summary.first().innerText()).replace(/\s+/g, " ").slice(0, 80)}"`;
    });

    // 4. threads panel lists the thread (uses GET /rooms/{id}/threads)
    const openThreadList = async () => {
        // the threads button toggles; a thread view counts as "threads" phase, so click until the list shows
        for (let i = 0; i < 3; i++) {
            if (await page.locator(".mx_ThreadPanel").count()) return;
            await page.locator('[data-testid="threadsButton"]').first().click();
            await sleep(1500);
        }
        await page.locator(".mx_ThreadPanel").waitFor({ timeout: 5000 });
    };
    await tryStep("threads panel lists thread", async () => {
        await openThreadList();
        await sleep(1500);
        await shot("threads-panel");
        await page.locator(".mx_ThreadPanel .mx_EventTile", { hasText: rootText }).first().waitFor({ timeout: 15000 });
    });

    // 4b. reload (fresh client state) and check the thread list again - forces a server round trip
    await tryStep("threads panel + summary after reload", async () => {
        await page.reload();
        await page.locator(".mx_RoomView_body .mx_BasicMessageComposer_input").first().waitFor({ timeout: 60000 });
        await sleep(3000);
        const resync = page.getByRole("button", { name: "Clear cache and resync" });
        if (await resync.count()) {
            // js-sdk 26 only lazy-loads members if /versions lists "r0.5.0" (or unstable m.lazy_load_members)
            await shot("incompatible-cache-dialog");
            step("reload without 'Incompatible local cache' dialog", false, "shown: /versions lacks r0.5.0 / m.lazy_load_members, so LL flips off after first session");
            await resync.click();
            await sleep(3000);
            await page.locator(".mx_RoomView_body .mx_BasicMessageComposer_input").first().waitFor({ timeout: 60000 });
            await sleep(2000);
        }
        await dismiss();
        await sleep(1500);
        await openThreadList();
        await sleep(1500);
        await shot("threads-panel-after-reload");
        await page.locator(".mx_ThreadPanel .mx_EventTile", { hasText: rootText }).first().waitFor({ timeout: 20000 });
        await page.locator(".mx_RoomView_MessageList .mx_ThreadSummary").first().waitFor({ timeout: 10000 });
    });

    // 5. search
    await tryStep("room search", async () => {
        await page.locator(".mx_RoomHeader_searchButton").first().click();
        const input = page.locator(".mx_SearchBar_input input, input.mx_SearchBar_input").first();
        await input.waitFor();
        await input.fill(WORD);
        await input.press("Enter");
        const results = page.locator(".mx_RoomView_searchResultsPanel .mx_EventTile", { hasText: WORD });
        await results.first().waitFor({ timeout: 20000 });
        await sleep(1000);
        await shot("search-results");
        const count = await results.count();
        const txt = (await page.locator(".mx_RoomView_searchResultsPanel").innerText()).replace(/\s+/g, " ");
        const hasThread = txt.includes(threadText);
        return `${count} result tile(s); root hit=${txt.includes(rootText)} thread-reply hit=${hasThread}`;
    });
    await shot("final");

    // direct API probes (what the features rely on), as alice
    const probe = async (name, method, p, body) => {
        try {
            const j = await api(method, p, body, aliceApi.access_token);
            const s = JSON.stringify(j);
            step(`api: ${name}`, true, s.length > 220 ? s.slice(0, 220) + "..." : s);
            return j;
        } catch (e) {
            step(`api: ${name}`, false, e.message.slice(0, 300));
        }
    };
    const rid = encodeURIComponent(roomId);
    const msgs = await api("GET", `/_matrix/client/v3/rooms/${rid}/messages?dir=b&limit=30`, undefined, aliceApi.access_token);
    const root = msgs.chunk.find((e) => e.content?.body === rootText);
    if (root) {
        const ev = await probe("root event unsigned (bundled m.thread?)", "GET", `/_matrix/client/v3/rooms/${rid}/event/${encodeURIComponent(root.event_id)}`);
        if (ev && !ev.unsigned?.["m.relations"]?.["m.thread"]) step("api: root has unsigned.m.relations.m.thread", false, "missing");
        await probe("relations m.thread", "GET", `/_matrix/client/v1/rooms/${rid}/relations/${encodeURIComponent(root.event_id)}/m.thread`);
    }
    await probe("threads list", "GET", `/_matrix/client/v1/rooms/${rid}/threads`);
    await probe("search", "POST", `/_matrix/client/v3/search`, { search_categories: { room_events: { search_term: WORD } } });
} catch (e) {
    step("fatal", false, e.message);
    exitCode = 1;
} finally {
    if (browser) await browser.close().catch(() => {});
    web.close();
    hs.kill("SIGTERM");
    await sleep(500);
    netlog.end();
    const summary = [
        `binary: ${BIN}`,
        ...results.map((r) => `${r.ok ? "PASS" : "FAIL"} ${r.name} ${r.detail}`),
        `--- /_matrix responses >= 400 (${failures.length}) ---`,
        ...failures,
    ].join("\n");
    fs.writeFileSync(path.join(RUN, "summary.txt"), summary + "\n");
    console.log(`--- /_matrix responses >= 400 (${failures.length}) ---`);
    for (const f of failures) console.log(f);
    console.log(`logs: ${RUN}  shots: ${SHOTS}`);
    process.exit(exitCode);
}
