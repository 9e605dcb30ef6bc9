'use strict';
/* globals io, Primus */

/**
 * Client half of the socket.io transformer. Primus stringifies this function into the
 * browser library and into its Node `Socket`, so it must stay self-contained ES5: no
 * closures over module scope, no imports, nothing a compiler would rewrite.
 */
module.exports = function client() {
  var onmessage = this.emits('incoming::data')
    , onerror = this.emits('incoming::error')
    , onopen = this.emits('incoming::open')
    , onclose = this.emits('incoming::end')
    , primus = this
    , socket;

  // The browser library carries the socket.io-client bundle (global `io`); in Node the
  // module is resolved from the installed packages.
  var factory = (function factory() {
    if ('undefined' !== typeof io && io) return io;
    try { return Primus.requires('socket.io-client'); } catch (e) {}
    return undefined;
  })();

  if (!factory) return primus.critical(new Error(
    'Missing required `socket.io-client` module. ' +
    'Please run `npm install --save socket.io-client`'
  ));

  // Object frames (lib/transport/object-frames.ts): a plain JSON value goes as the
  // socket.io argument itself, so socket.io's JSON is its only encoding; the server is
  // told with `_objectFrames=1` and answers with objects. Strings (Primus's pongs) and
  // anything socket.io would encode differently from JSON keep Primus's own encoder.
  function plainJson(value, depth) {
    if (typeof value === 'bigint') return false;
    if (typeof value !== 'object' || value === null) return true;
    if (depth > 32) return false;
    if (typeof ArrayBuffer !== 'undefined' && (value instanceof ArrayBuffer || (ArrayBuffer.isView && ArrayBuffer.isView(value)))) return false;
    if (typeof Blob !== 'undefined' && value instanceof Blob) return false;
    for (var key in value) {
      var child = value[key];
      if (((typeof child === 'object' && child !== null) || typeof child === 'bigint') && !plainJson(child, depth + 1)) return false;
    }
    return true;
  }

  var encodeJson = primus.encoder;
  primus.encoder = function encoder(data, fn) {
    if (typeof data === 'object' && data !== null && plainJson(data, 1)) return fn(undefined, data);
    return encodeJson.call(this, data, fn);
  };

  function detach() {
    if (!socket) return;
    socket.off('connect', onconnect);
    socket.off('message', onmessage);
    socket.off('connect_error', onconnecterror);
    socket.off('disconnect', ondisconnect);
    socket.disconnect();
    socket = null;
  }

  function onconnect() { onopen(); }
  function onconnecterror(err) { onerror(err); onclose(); }
  function ondisconnect() { onclose(); }

  primus.on('outgoing::open', function opening() {
    detach();

    var opts = primus.uri({ protocol: 'http:', query: true, object: true });
    var query = opts.query || '';
    if ('object' === typeof query) query._objectFrames = '1';
    else query = (query ? query + '&' : '') + '_objectFrames=1';
    var base = (opts.secure ? 'https://' : 'http://') +
      (opts.auth ? opts.auth + '@' : '') + primus.url.host;

    // socket.io must neither reconnect nor multiplex by itself: Primus's recovery owns
    // reconnects, and every Primus socket is one socket.io connection. `transport` may
    // choose `transports` (e.g. websocket only, for load balancers without stickiness).
    primus.socket = socket = factory(base, primus.merge({
      timestampRequests: true,
      transports: !primus.AVOID_WEBSOCKETS ? ['polling', 'websocket'] : ['polling']
    }, primus.transport, {
      path: primus.pathname,
      query: query,
      forceNew: true,
      multiplex: false,
      reconnection: false
    }));

    socket.on('connect', onconnect);
    socket.on('message', onmessage);
    socket.on('connect_error', onconnecterror);
    socket.on('disconnect', ondisconnect);
  });

  primus.on('outgoing::data', function write(message) {
    if (socket) socket.send(message);
  });

  primus.on('outgoing::reconnect', function reconnect() {
    primus.emit('outgoing::open');
  });

  primus.on('outgoing::end', detach);
};
