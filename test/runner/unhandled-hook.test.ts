/**
 * The run itself: test/run.js loads test/support/fail-on-unhandled.ts for every run, so an
 * unhandled rejection during a test fails that test, and one after the last test still
 * fails the run (Mocha alone would swallow both). Checked by running the runner on two
 * fixture suites in child processes.
 */
import { expect } from "chai";
import { fileURLToPath } from "node:url";
import { runNode, type NodeRun } from "../support/run-node.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

async function runSuite(dir: string): Promise<NodeRun> {
  const run = await runNode(["test/run.js", dir], { cwd: root, timeoutMs: 15_000 });
  // Mocha colours its output under CI=true (supports-color detects CI): compare plain text.
  return { ...run, stdout: run.stdout.replace(/\u001b\[[0-9;]*m/g, "") };
}

const lastLine = (text: string) => text.trim().split("\n").pop();

describe("unhandled rejections fail the run", function () {
  this.timeout(30_000);

  it("a rejection during a test fails that test; the following tests still run", async function () {
    const run = await runSuite("test/fixtures/unhandled-probe");
    expect(run.code).to.equal(1);
    expect(run.stdout).to.include('unhandled promise rejection (during "probe: rejection during a test rejects in the background while it waits")');
    expect(run.stdout).to.include("background boom");
    expect(run.stdout).to.include("✔ a later test still runs and passes");
    expect(lastLine(run.stdout)).to.match(/^1 passed, [1-9]\d* failed$/);
  });

  it("a rejection after the last test fails the run", async function () {
    const run = await runSuite("test/fixtures/unhandled-late-probe");
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include("unhandled rejection after the run");
    expect(run.stderr).to.include("late boom");
    expect(lastLine(run.stdout)).to.equal("1 passed, 1 failed");
  });
});
