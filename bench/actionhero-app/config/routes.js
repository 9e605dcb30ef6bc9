// No HTTP routes: the bench only speaks websocket (an empty list, as Actionhero needs one).
exports.DEFAULT = {
  routes: () => ({ get: [] }),
};
