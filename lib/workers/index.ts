/** actionhero-ws/cluster: one app on every core, with sticky routing of long-polling sessions. */
export { runCluster } from "./run-cluster.js";
export type { ClusterOptions, ClusterRun, WorkerApp } from "./run-cluster.js";
