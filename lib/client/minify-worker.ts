/** Runs terser off the main thread: minifying the ~270 KB client takes seconds of CPU. */
import { parentPort, workerData } from "node:worker_threads";
import { minify } from "terser";

const { code } = workerData as { code: string };
const result = await minify(code, { compress: true, mangle: true, ecma: 5 });
if (typeof result.code !== "string") throw new Error("minifying the client produced no code");
parentPort?.postMessage(result.code);
