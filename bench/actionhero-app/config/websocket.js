// Do not render the browser client at boot (it needs a public dir and takes seconds).
exports.DEFAULT = {
  websocket: () => ({ clientJsName: "" }),
};
