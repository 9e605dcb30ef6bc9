/**
 * Every runtime dependency is loaded at run time: imported by dist/lib, or loaded by Primus
 * on our behalf (Primus requires these without declaring them). Express is a peer: lib/
 * never imports it, the app brings its own (4 or 5).
 */
import { expect } from "chai";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

/** Package names a file loads: import/export from, import(), require(), require.resolve(), Primus.requires(). */
function loadedBy(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/(?:from\s+|import\(\s*|require\(\s*|resolve\(\s*|requires\(\s*)["']([^"'.][^"']*)["']/g)) {
    const spec = match[1];
    if (spec.startsWith("node:")) continue;
    names.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
  }
  return names;
}

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(full, out);
    else if (/\.(c|m)?js$/.test(entry.name)) out.push(full);
  }
  return out;
}

/** Loaded by Primus at run time, with the Primus file that loads it. */
const viaPrimus: Record<string, string> = {
  ws: "transformers/websockets/server.js", // server.transformer: "websockets"
  "engine.io-client": "transformers/engine.io/client.js", // ws.primus.Socket with server.transformer: "engine.io"
};

describe("package.json dependencies", function () {
  const shipped = [...filesUnder(join(root, "dist/lib")), join(root, "lib/transport/socket-io-client.cjs")];
  const used = new Set(shipped.flatMap((file) => [...loadedBy(readFileSync(file, "utf8"))]));

  it("every runtime dependency is loaded by the shipped code or by Primus for it", () => {
    for (const name of Object.keys(pkg.dependencies)) {
      if (used.has(name)) continue;
      const primusFile = viaPrimus[name];
      expect(primusFile, `${name} is neither imported by dist/lib nor loaded by Primus`).to.be.a("string");
      expect(loadedBy(readFileSync(join(root, "node_modules/primus", primusFile), "utf8")).has(name), `primus/${primusFile} loads ${name}`).to.equal(true);
      const primusPkg = JSON.parse(readFileSync(join(root, "node_modules/primus/package.json"), "utf8")) as { dependencies?: Record<string, string> };
      expect(primusPkg.dependencies?.[name], `primus does not install ${name} itself`).to.equal(undefined);
    }
  });

  it("everything the shipped code loads is a dependency or a peer dependency", () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    expect([...used].filter((name) => !declared.has(name))).to.deep.equal([]);
  });

  it("express is a peer (^4.21 || ^5) and a devDependency, never imported by lib/", () => {
    expect(pkg.dependencies.express).to.equal(undefined);
    expect(pkg.peerDependencies.express).to.equal("^4.21 || ^5");
    expect(pkg.devDependencies.express).to.be.a("string");
    expect(pkg.devDependencies.express4).to.match(/^npm:express@\^4/);
    expect(used.has("express")).to.equal(false);
  });
});
