exports.DEFAULT = {
  web: () => ({ enabled: true, port: Number(process.env.PORT), bindIP: "127.0.0.1" }),
};
