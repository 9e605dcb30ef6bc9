/**
 * The published package as a user gets it: `npm pack`, the tarball installed into a fresh
 * app (from npm's cache where possible), then an ESM app and a CommonJS app each do an
 * /api call and a websocket round trip, TypeScript apps type-check under node16 (ESM and
 * CommonJS) and bundler resolution with skipLibCheck off, and @arethetypeswrong/cli finds
 * no problem in the tarball. Needs dist/ built (npm test builds it).
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string; devDependencies: Record<string, string> };

/** The environment without the npm_* variables of an enclosing `npm test` (they would steer the inner npm). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || /^npm_config_(cache|registry|userconfig)$/i.test(key)));
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: timeoutMs, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) + (error && code === 1 && error.killed ? "\n(killed: timed out)" : "") });
    });
  });
}

describe("the published package, as a user installs it", function () {
  this.timeout(240_000);
  let dir: string;
  let tarball: string;
  let app: string;

  before(async function () {
    expect(existsSync(join(root, "dist/cjs/index.js")), "dist/ built with npm run build").to.equal(true);
    dir = mkdtempSync(join(tmpdir(), "actionhero-ws-consumer-"));
    // dist/ is already built: packing must not rebuild it (prepare) while tests run from it.
    const pack = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], root, 60_000);
    expect(pack.code, pack.stderr).to.equal(0);
    tarball = join(dir, `actionhero-ws-${pkg.version}.tgz`);
    expect(existsSync(tarball)).to.equal(true);
    app = join(dir, "app");
    cpSync(join(root, "test/fixtures/consumers"), app, { recursive: true });
    writeFileSync(join(app, "package.json"), JSON.stringify({
      name: "consumer-app",
      private: true,
      type: "module",
      dependencies: { "actionhero-ws": `file:${tarball}`, express: pkg.devDependencies.express },
      devDependencies: { "@types/node": pkg.devDependencies["@types/node"] },
    }, null, 2));
    const install = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], app, 150_000);
    expect(install.code, install.stderr).to.equal(0);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("an ESM app (import) answers /api and a websocket action", async () => {
    const result = await run(process.execPath, ["esm.mjs"], app, 20_000);
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout.trim().split("\n").pop()!)).to.deep.equal({ api: "world", socket: "world" });
  });

  it("a CommonJS app (require) does the same, with the module import() gets", async () => {
    const result = await run(process.execPath, ["cjs.cjs"], app, 20_000);
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout.trim().split("\n").pop()!)).to.deep.equal({ api: "world", socket: "world", sameModule: true });
  });

  it("the actionhero-ws/cluster subpath loads from ESM and CommonJS (one module instance)", async () => {
    const script = 'const esm = await import("actionhero-ws/cluster"); const { createRequire } = await import("node:module");'
      + ' const cjs = createRequire(process.cwd() + "/x.cjs")("actionhero-ws/cluster");'
      + ' console.log(JSON.stringify({ esm: typeof esm.runCluster, same: esm.runCluster === cjs.runCluster }));';
    const result = await run(process.execPath, ["--input-type=module", "-e", script], app, 20_000);
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout.trim())).to.deep.equal({ esm: "function", same: true });
  });

  for (const config of ["tsconfig.node16.json", "tsconfig.bundler.json"]) {
    it(`TypeScript apps type-check against the installed package (${config}, skipLibCheck off)`, async () => {
      const result = await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", config], app, 90_000);
      expect(result.code, result.stdout + result.stderr).to.equal(0);
    });
  }

  it("@arethetypeswrong/cli finds no problem in the tarball", async () => {
    const result = await run(process.execPath, [join(root, "node_modules/@arethetypeswrong/cli/dist/index.js"), tarball, "--format", "ascii"], app, 60_000);
    expect(result.code, result.stdout + result.stderr).to.equal(0);
    expect(result.stdout).to.include("No problems found");
  });
});
