// The media repository through matrix-js-sdk: uploads and authenticated downloads round-trip
// byte for byte, thumbnails have the sizes asked for, nothing is served without a login,
// deleted media is gone, and a photo's GPS metadata does not survive the upload.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

import { register, startServer } from "./harness.mjs";

logger.setLevel("silent");
const vectors = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "vectors", "media");
let server;
let client;

before(async () => {
  server = await startServer();
  const token = server.registrationToken();
  const account = await register(server.url, "photographer", "pw-photographer-long", token);
  client = sdk.createClient({ baseUrl: server.url, accessToken: account.access_token, userId: account.user_id });
});

after(async () => {
  await server?.stop();
});

async function download(mxc, { auth = true, width, height, method } = {}) {
  const url = width
    ? client.mxcUrlToHttp(mxc, width, height, method, false, true, true)
    : client.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true);
  const headers = auth ? { Authorization: `Bearer ${client.getAccessToken()}` } : {};
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

// Width and height from a PNG's IHDR or a JPEG's start-of-frame marker.
function imageSize(bytes) {
  if (bytes.subarray(1, 4).toString() === "PNG") return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
  for (let i = 2; i + 9 < bytes.length;) {
    const marker = bytes[i + 1];
    const length = bytes.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc3) return [bytes.readUInt16BE(i + 7), bytes.readUInt16BE(i + 5)];
    i += 2 + length;
  }
  throw new Error("not a PNG or JPEG");
}

test("an upload downloads byte for byte, only with a login, and is gone once deleted", async () => {
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const { content_uri: mxc } = await client.uploadContent(data, { name: "notes.bin", type: "application/octet-stream" });
  assert.match(mxc, /^mxc:\/\/localhost\/[A-Za-z0-9_-]+$/);
  const got = await download(mxc);
  assert.equal(got.status, 200);
  assert.ok(got.bytes.equals(data));
  assert.equal(got.headers.get("content-disposition"), "attachment; filename=notes.bin");
  assert.equal(got.headers.get("x-content-type-options"), "nosniff");
  assert.match(got.headers.get("content-security-policy"), /^sandbox;/);

  const anonymous = await download(mxc, { auth: false });
  assert.equal(anonymous.status, 401);
  const legacy = await fetch(`${server.url}/_matrix/media/v3/download/${mxc.slice("mxc://".length)}`);
  assert.equal(legacy.status, 404);

  const mediaId = mxc.split("/").pop();
  const deleted = await fetch(`${server.url}/_myelin/media/v1/uploads/${mediaId}`, {
    method: "DELETE", headers: { Authorization: `Bearer ${client.getAccessToken()}` },
  });
  assert.equal(deleted.status, 200);
  const gone = await download(mxc);
  assert.equal(gone.status, 404);
  assert.equal(JSON.parse(gone.bytes.toString()).errcode, "M_NOT_FOUND");
});

test("thumbnails have the requested dimensions", async () => {
  const dir = mkdtempSync(join(tmpdir(), "myelin-media-"));
  const photo = join(dir, "wide.jpg");
  execFileSync("vips", ["gaussnoise", photo, "1000", "500"]);
  const { content_uri: mxc } = await client.uploadContent(readFileSync(photo), { name: "wide.jpg", type: "image/jpeg" });
  for (const [width, height] of [[32, 32], [96, 96]]) {
    const thumb = await download(mxc, { width, height, method: "crop" });
    assert.equal(thumb.status, 200);
    assert.deepEqual(imageSize(thumb.bytes), [width, height]);
  }
  const scaled = await download(mxc, { width: 320, height: 240, method: "scale" });
  const [width, height] = imageSize(scaled.bytes);
  assert.ok(width >= 320 && height >= 240, `${width}x${height} is smaller than asked`);
  assert.equal(width, 2 * height);   // the aspect ratio is kept
  assert.ok(width < 1000);           // and it is a thumbnail, not the original
});

test("a photo's GPS metadata is removed on upload", async () => {
  const photo = readFileSync(join(vectors, "metadata.jpg"));
  assert.ok(photo.includes("GPS") || photo.includes(Buffer.from("Exif")));
  const { content_uri: mxc } = await client.uploadContent(photo, { name: "holiday.jpg", type: "image/jpeg" });
  const got = await download(mxc);
  assert.equal(got.status, 200);
  assert.ok(got.bytes.equals(readFileSync(join(vectors, "clean.jpg"))), "the served file still carries metadata");
  assert.ok(!got.bytes.includes(Buffer.from("Exif")));
});
