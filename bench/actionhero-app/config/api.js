// Only what differs from Actionhero's defaults. BENCH_TMP holds the pid/log/public dirs.
const path = require("path");
const core = path.dirname(require.resolve("actionhero/package.json"));
const tmp = process.env.BENCH_TMP;

exports.DEFAULT = {
  general: () => ({
    serverToken: "bench",
    startingChatRooms: { bench: {} },
    paths: {
      action: [path.join(__dirname, "..", "actions")],
      task: [],
      server: [path.join(core, "dist", "servers")],
      cli: [],
      initializer: [path.join(core, "dist", "initializers")],
      public: [tmp],
      pid: [tmp],
      log: [tmp],
      plugin: [],
      test: [],
      src: path.join(__dirname, ".."),
      dist: path.join(__dirname, ".."),
    },
  }),
};
