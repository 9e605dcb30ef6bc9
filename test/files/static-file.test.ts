/**
 * lib/files/static-file.ts on the real file system: text as UTF-8, binary as base64 that
 * decodes to the same bytes, and every path that leaves the public directory (.., absolute,
 * a symlink out, NUL) is "not found" without saying why.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileNotFound, readPublicFile } from "../../lib/files/static-file.js";
import { fixturesPublic } from "../support/test-server.js";

describe("files: the file verb's reader", function () {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ahws-files-"));
  const publicDir = path.join(dir, "public");

  before(() => {
    mkdirSync(path.join(publicDir, "sub"), { recursive: true });
    writeFileSync(path.join(dir, "outside.txt"), "secret");
    writeFileSync(path.join(publicDir, "sub", "note.txt"), "héllo");
    symlinkSync(path.join(dir, "outside.txt"), path.join(publicDir, "link.txt"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads text as utf8 with its mime type and length in bytes", async function () {
    const reply = await readPublicFile(publicDir, "sub/note.txt", 1024);
    expect(reply).to.include({ content: "héllo", mime: "text/plain", length: 6, encoding: "utf8" });
    expect(reply.error).to.equal(undefined);
  });

  it("reads binary as base64 that decodes to the same bytes", async function () {
    const reply = await readPublicFile(fixturesPublic, "bytes.bin", 1024 * 1024);
    expect(reply.encoding).to.equal("base64");
    expect(Buffer.from(reply.content!, "base64").equals(readFileSync(path.join(fixturesPublic, "bytes.bin")))).to.equal(true);
  });

  for (const [what, requested] of [
    ["a parent path", "../outside.txt"],
    ["a deep parent path", "sub/../../outside.txt"],
    ["an absolute path", path.join(dir, "outside.txt")],
    ["a symlink pointing out", "link.txt"],
    ["a NUL byte", "sub/note.txt\0.png"],
    ["the directory itself", "."],
    ["a directory", "sub"],
    ["a missing file", "nope.txt"],
    ["a number", 42],
    ["an empty name", ""],
  ] as const) {
    it(`${what} is "not found" and shows nothing`, async function () {
      const reply = await readPublicFile(publicDir, requested, 1024);
      expect(reply).to.deep.equal({ error: fileNotFound, content: null, mime: "text/html", length: Buffer.byteLength(fileNotFound) });
    });
  }

  it("a file over the limit is refused with the limit named", async function () {
    const reply = await readPublicFile(publicDir, "sub/note.txt", 3);
    expect(reply.content).to.equal(null);
    expect(reply.error).to.equal("that file is too large (over 3 bytes)");
  });
});
