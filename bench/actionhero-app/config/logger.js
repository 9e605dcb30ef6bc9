// No log transports: the bench measures the server, not a console.
exports.DEFAULT = {
  logger: () => ({ loggers: [], maxLogStringLength: 100, maxLogArrayLength: 10 }),
};
