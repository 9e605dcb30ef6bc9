/*
 * ActionheroWebsocketClient: browser and Node client for actionhero-ws.
 *
 * This file is a template. The server puts the body of defaults() in place and
 * wraps the whole file in an IIFE appended to the Primus client library, so it
 * is plain ES5 (no build step) and must run unchanged in old browsers.
 * Wire frames are exactly Actionhero's, so Actionhero's client and this one
 * are interchangeable; the behaviour differences are listed in the README.
 */
'use strict';

var hasOwn = Object.prototype.hasOwnProperty;
var hasWindow = typeof window !== 'undefined';

// Used under the generated defaults, and alone in Node where the generated
// defaults may refer to window.location.
var BASE_OPTIONS = {
  apiPath: '/api',
  cookieKey: 'sessionID',
  requestTimeout: 30000,
  sendSessionIdQuery: false
};

// Options read by this client only, never handed to Primus.
var CLIENT_ONLY_OPTIONS = { Primus: 1, requestTimeout: 1, sendSessionIdQuery: 1 };

function defaults() {
  %%DEFAULTS%%
}

function generatedDefaults() {
  try {
    return defaults() || {};
  } catch (e) {
    return {}; // window.location.origin outside a browser
  }
}

function merge(target, source) {
  for (var key in source) {
    if (hasOwn.call(source, key)) target[key] = source[key];
  }
  return target;
}

function isArray(value) {
  return Object.prototype.toString.call(value) === '[object Array]';
}

function indexOf(list, item) {
  for (var i = 0; i < list.length; i++) {
    if (list[i] === item) return i;
  }
  return -1;
}

function later(fn) {
  setTimeout(fn, 0);
}

// The Primus client mutates its options (strategy arrays, defaults), so each
// socket gets its own copy, one level deep.
function primusOptions(options) {
  var copy = {};
  for (var key in options) {
    if (!hasOwn.call(options, key) || hasOwn.call(CLIENT_ONLY_OPTIONS, key)) continue;
    var value = options[key];
    if (isArray(value)) value = value.slice();
    else if (Object.prototype.toString.call(value) === '[object Object]') value = merge({}, value);
    copy[key] = value;
  }
  return copy;
}

function errorMessage(error) {
  if (typeof error === 'string') return error;
  if (error && typeof error.message === 'string') return error.message;
  if (error && typeof error.statusText === 'string' && error.statusText) return error.statusText;
  try {
    return JSON.stringify(error);
  } catch (e) {
    return String(error);
  }
}

function responseError(frame) {
  var err = new Error(errorMessage(frame.error));
  err.response = frame;
  return err;
}

function closedFrame(messageId) {
  return { context: 'response', messageId: messageId, error: 'connection closed', status: 'closed' };
}

// A callback receives the raw frame; without one, a Promise settles on it.
function respond(callback, start) {
  if (typeof callback === 'function') {
    start(callback);
    return undefined;
  }
  if (typeof Promise !== 'function') {
    start(null);
    return undefined;
  }
  return new Promise(function (resolve, reject) {
    start(function (frame) {
      if (frame && frame.error) reject(responseError(frame));
      else resolve(frame);
    });
  });
}

var ActionheroWebsocketClient = function (options, client) {
  if (!(this instanceof ActionheroWebsocketClient)) return new ActionheroWebsocketClient(options, client);

  this.callbacks = {};
  this.id = null;
  this.fingerprint = null;
  this.rooms = [];
  this.state = 'disconnected';
  this.messageId = 0;
  this.welcomeMessage = null;
  this.closeNotice = null;  // the server's last `close` notice (why it ended the connection)
  this.options = merge(merge(merge({}, BASE_OPTIONS), generatedDefaults()), options || {});
  this.client = client || null;
  this.externalClient = !!client;

  this._listeners = {};
  this._pending = {};       // messageId key -> {id, timer}
  this._handlers = null;    // listeners we put on this.client
  this._connectDone = null; // the pending connect() callback
  this._connectTimer = null;
  this._run = 0;            // bumped whenever a configure() becomes stale
  this._hasConnected = false;
  this._closed = true;
  this._offsets = {};       // room -> {offset, epoch} of the last message received (room history)
  this._recovering = {};    // room -> live messages held while its re-join recovers the gap
};

var proto = ActionheroWebsocketClient.prototype;

/* ---- per-instance event emitter ---- */

function listenerTable(self) {
  if (!hasOwn.call(self, '_listeners') || !self._listeners) self._listeners = {};
  return self._listeners;
}

proto.on = proto.addListener = function (event, listener) {
  if (typeof listener !== 'function') throw new TypeError('listener must be a function');
  var table = listenerTable(this);
  var key = '$' + event;
  (table[key] || (table[key] = [])).push(listener);
  return this;
};

proto.once = function (event, listener) {
  if (typeof listener !== 'function') throw new TypeError('listener must be a function');
  var self = this;
  var fired = false;
  function wrapper() {
    self.removeListener(event, wrapper);
    if (fired) return;
    fired = true;
    listener.apply(self, arguments);
  }
  wrapper.listener = listener;
  return this.on(event, wrapper);
};

proto.off = proto.removeListener = function (event, listener) {
  var table = listenerTable(this);
  var list = table['$' + event];
  if (!list) return this;
  if (listener === undefined) {
    delete table['$' + event];
    return this;
  }
  for (var i = list.length - 1; i >= 0; i--) {
    if (list[i] === listener || list[i].listener === listener) {
      list.splice(i, 1);
      break;
    }
  }
  if (!list.length) delete table['$' + event];
  return this;
};

proto.removeAllListeners = function (event) {
  if (event === undefined) this._listeners = {};
  else delete listenerTable(this)['$' + event];
  return this;
};

proto.listeners = function (event) {
  var list = listenerTable(this)['$' + event] || [];
  var out = [];
  for (var i = 0; i < list.length; i++) out.push(list[i].listener || list[i]);
  return out;
};

proto.listenerCount = function (event) {
  var list = listenerTable(this)['$' + event];
  return list ? list.length : 0;
};

// Returns whether anyone listened; an unheard 'error' is dropped, not thrown.
proto.emit = function (event) {
  var list = listenerTable(this)['$' + event];
  if (!list || !list.length) return false;
  var args = Array.prototype.slice.call(arguments, 1);
  list = list.slice();
  for (var i = 0; i < list.length; i++) list[i].apply(this, args);
  return true;
};

/* ---- connection ---- */

// Resolves with the detailsView response frame once connected and configured;
// rejects on connect timeout, or when the socket ends or disconnect() is called first.
proto.connect = function (callback) {
  var self = this;
  if (typeof callback === 'function') {
    this._open(callback);
    return undefined;
  }
  if (typeof Promise !== 'function') {
    this._open(null);
    return undefined;
  }
  return new Promise(function (resolve, reject) {
    self._open(function (err, details) {
      if (err) reject(err);
      else resolve(details);
    });
  });
};

proto._open = function (done) {
  var self = this;
  this._teardown();
  this.messageId = 0;
  this.closeNotice = null;
  this.state = 'connecting';
  this._hasConnected = false;
  this._closed = false;
  this._connectDone = done;

  var socket = this.client;
  if (!this.externalClient) {
    try {
      socket = this._createSocket();
    } catch (err) {
      this.state = 'disconnected';
      this._closed = true;
      this._connectDone = null;
      later(function () {
        if (done) done(err);
        else self.emit('error', err);
      });
      return;
    }
    this.client = socket;
  }

  var timeout = this.options.timeout === undefined ? 10000 : Number(this.options.timeout);
  if (timeout > 0) {
    this._connectTimer = setTimeout(function () {
      self._connectTimer = null;
      self._onTimeout();
    }, timeout);
  }

  this._bind(socket);
  if (this.externalClient) socket.open();
};

proto._createSocket = function () {
  var url = this.options.sendSessionIdQuery ? this.urlWithSession() : this.options.url;
  var Socket = this.options.Primus || (typeof Primus !== 'undefined' ? Primus : null);
  if (typeof Socket !== 'function') {
    throw new Error('ActionheroWebsocketClient: no Primus client found (load the Primus library or pass options.Primus)');
  }
  if (!url && !hasWindow) throw new Error('ActionheroWebsocketClient: options.url is required outside a browser');
  return new Socket(url, primusOptions(this.options));
};

// Actionhero's way of passing the fingerprint: ?<cookieKey>=<cookie value>.
proto.urlWithSession = function () {
  var url = this.options.url;
  if (!url || typeof document === 'undefined' || !document.cookie) return url;
  var key = this.options.cookieKey;
  var cookies = document.cookie.split(';');
  for (var i = 0; i < cookies.length; i++) {
    var pair = cookies[i].replace(/^\s+/, '');
    if (pair.indexOf(key + '=') !== 0) continue;
    var value = pair.slice(key.length + 1);
    if (!value) break;
    return url + (url.indexOf('?') === -1 ? '?' : '&') + encodeURIComponent(key) + '=' + value;
  }
  return url;
};

proto._bind = function (socket) {
  var self = this;
  var handlers = {
    open: function () {
      self._closed = false;
      self.configure();
    },
    data: function (data) {
      self.handleMessage(data);
    },
    error: function (err) {
      self.emit('error', err);
    },
    'reconnect scheduled': function (opts) {
      self.state = 'reconnecting';
      self.emit('reconnecting', opts);
    },
    timeout: function () {
      self._onTimeout();
    },
    end: function () {
      self._onEnd();
    }
  };
  for (var event in handlers) socket.on(event, handlers[event]);
  this._handlers = handlers;
};

proto._unbind = function () {
  var socket = this.client;
  var handlers = this._handlers;
  this._handlers = null;
  if (!socket || !handlers) return;
  for (var event in handlers) socket.removeListener(event, handlers[event]);
};

// Detach from and close the current socket; fail whatever waited on it.
proto._teardown = function () {
  var socket = this.client;
  this._clearConnectTimer();
  this._run++;
  this._unbind();
  if (socket) {
    try {
      if (this.externalClient || typeof socket.destroy !== 'function') socket.end();
      else socket.destroy(); // also drops Primus's online/offline window listeners
    } catch (e) {
      // a socket that is already gone
    }
    if (!this.externalClient) this.client = null;
  }
  this._closed = true;
  this._failPending();
  this._settleConnect(new Error('connection closed'));
};

proto._clearConnectTimer = function () {
  if (this._connectTimer) clearTimeout(this._connectTimer);
  this._connectTimer = null;
};

proto._settleConnect = function (err, details) {
  var done = this._connectDone;
  this._connectDone = null;
  if (done) done(err, details);
};

proto._onTimeout = function () {
  this._clearConnectTimer();
  if (this.state === 'connected' || this.state === 'timeout') return;
  this.state = 'timeout';
  this.emit('timeout');
  this._settleConnect(new Error('connection timed out'));
};

// The server's connection middleware refused us: {context: 'api', event: 'refused', error}.
// The socket closes next; retrying would only be refused again, so stop here (state
// 'refused') until the app calls connect() again, e.g. after signing in.
proto._onRefused = function (frame) {
  var err = new Error(frame.error ? errorMessage(frame.error) : 'connection refused');
  err.response = frame;
  err.refused = true;
  this._settleConnect(err);
  this._teardown();
  this.state = 'refused';
  this.emit('error', err);
};

// Primus 'end': closed for good (server close, retries exhausted, browser offline).
proto._onEnd = function () {
  var wasDisconnected = this.state === 'disconnected';
  this._clearConnectTimer();
  this._run++;
  this.state = 'disconnected';
  this._closed = true;
  this._failPending();
  this._settleConnect(new Error('connection closed'));
  if (!wasDisconnected) this.emit('disconnected');
};

// Runs on every open: re-join this.rooms, then refresh id/fingerprint/rooms.
proto.configure = function (callback) {
  var self = this;
  var run = ++this._run;
  var rooms = this.rooms.slice();
  var waiting = rooms.length;
  var reconnecting = this._hasConnected;
  this._recovering = {};

  function details() {
    self._send({ event: 'detailsView' }, function (frame) {
      if (run !== self._run) return;
      self._configured(frame, reconnecting);
      if (typeof callback === 'function') callback(frame);
    });
  }

  function joined(room, since) {
    return function (frame) {
      if (run !== self._run) return;
      if (since && frame && frame.error && errorMessage(frame.error).indexOf('already in this room') === -1) {
        // The server refused the recovery (its history is off now, or our offset is not
        // valid there): join plainly and tell the app to reload the room.
        self._send({ event: 'roomAdd', room: room }, function (plain) {
          self._recovered(room, null);
          joined(room, null)(plain);
        });
        return;
      }
      if (since) self._recovered(room, frame);
      if (frame && frame.error && errorMessage(frame.error).indexOf('already in this room') === -1) {
        var err = new Error('could not re-join room "' + room + '": ' + errorMessage(frame.error));
        err.room = room;
        err.response = frame;
        self.emit('error', err);
      }
      if (--waiting === 0) details();
    };
  }

  if (!waiting) return details();
  for (var i = 0; i < rooms.length; i++) {
    var frame = { event: 'roomAdd', room: rooms[i] };
    var last = hasOwn.call(this._offsets, rooms[i]) ? this._offsets[rooms[i]] : null;
    // Ask for what followed the last message we got; live ones wait until the answer.
    if (last && reconnecting) {
      frame.since = { offset: last.offset, epoch: last.epoch };
      this._recovering[rooms[i]] = [];
    }
    this._send(frame, joined(rooms[i], frame.since));
  }
};

// The answer to a re-join with `since`: the missed messages become 'say' events, in order,
// then the live ones held meanwhile; each offset once. When the gap cannot be filled the
// app gets 'resync' (room, reason) and reloads the room instead of silently skipping it.
proto._recovered = function (room, reply) {
  var held = this._recovering[room] || [];
  delete this._recovering[room];
  var data = reply && !reply.error && reply.data && typeof reply.data === 'object' ? reply.data : null;
  var i;
  if (data && data.recovered === true && isArray(data.messages)) {
    var count = 0;
    for (i = 0; i < data.messages.length; i++) {
      if (this._track(data.messages[i])) {
        count++;
        this.emit('say', data.messages[i]);
      }
    }
    this.emit('recovered', room, count);
  } else {
    if (data && typeof data.epoch === 'string' && typeof data.offset === 'number') {
      this._offsets[room] = { offset: data.offset, epoch: data.epoch };
    } else {
      delete this._offsets[room];
    }
    this.emit('resync', room, data && data.reason ? String(data.reason) : 'the room could not be recovered');
  }
  for (i = 0; i < held.length; i++) {
    if (this._track(held[i])) this.emit('say', held[i]);
  }
};

// Remembers a message's offset; false for one already received (a duplicate).
proto._track = function (message) {
  if (!message || typeof message.offset !== 'number' || typeof message.epoch !== 'string') return true;
  var room = message.room;
  var last = hasOwn.call(this._offsets, room) ? this._offsets[room] : null;
  if (last && !last.stale && last.epoch === message.epoch && message.offset <= last.offset) return false;
  this._offsets[room] = { offset: message.offset, epoch: message.epoch };
  return true;
};

proto._configured = function (frame, reconnecting) {
  if (!frame || frame.error || !frame.data) {
    var err = responseError(frame && frame.error ? frame : { context: 'response', error: 'detailsView returned no data' });
    this._clearConnectTimer();
    this.emit('error', err);
    this._settleConnect(err);
    return;
  }
  this._applyDetails(frame.data);
  this._clearConnectTimer();
  this.state = 'connected';
  this._hasConnected = true;
  this.emit('connected', frame);
  if (reconnecting) this.emit('reconnect', frame);
  this._settleConnect(null, frame);
};

proto._applyDetails = function (data) {
  this.id = data.id;
  this.fingerprint = data.fingerprint;
  var rooms = [];
  // Copied by hand: a Node Primus Socket may parse frames in another realm.
  if (isArray(data.rooms)) {
    for (var i = 0; i < data.rooms.length; i++) rooms.push(data.rooms[i]);
  }
  this.rooms = rooms;
};

/* ---- requests ---- */

proto._send = function (frame, done) {
  var self = this;
  this.messageId++;
  var id = (frame.params && frame.params.messageId) || frame.messageId || this.messageId;
  frame.messageId = id;

  if (!this.client || this._closed) {
    if (done) later(function () { done(closedFrame(id)); });
    return;
  }

  if (done) {
    var key = String(id);
    // A reused id would orphan the older request: settle it now.
    if (hasOwn.call(this.callbacks, key)) {
      this._resolve(key, { context: 'response', messageId: id, error: 'duplicate messageId', status: 'duplicate' });
    }
    var entry = { id: id, timer: null };
    var ms = Number(this.options.requestTimeout);
    if (ms > 0) {
      entry.timer = setTimeout(function () {
        if (self._pending[key] !== entry) return;
        entry.timer = null;
        self._resolve(key, { context: 'response', messageId: id, error: 'request timed out', status: 'timeout' });
      }, ms);
    }
    this.callbacks[key] = done;
    this._pending[key] = entry;
  }
  this.client.write(frame);
};

proto._resolve = function (key, frame) {
  var callback = this.callbacks[key];
  var entry = this._pending[key];
  delete this.callbacks[key];
  delete this._pending[key];
  if (entry && entry.timer) clearTimeout(entry.timer);
  if (typeof callback === 'function') callback(frame);
};

proto._failPending = function () {
  var waiting = [];
  for (var key in this.callbacks) {
    if (hasOwn.call(this.callbacks, key)) waiting.push([key, this.callbacks[key]]);
  }
  for (var i = 0; i < waiting.length; i++) {
    var key2 = waiting[i][0];
    if (this.callbacks[key2] !== waiting[i][1]) continue;
    var entry = this._pending[key2];
    this._resolve(key2, closedFrame(entry ? entry.id : key2));
  }
};

proto._request = function (frame, callback) {
  var self = this;
  return respond(callback, function (done) {
    self._send(frame, done);
  });
};

// detailsView that also refreshes id/fingerprint/rooms, unless the reply is
// from before a reconnect.
proto._details = function (done) {
  var self = this;
  var run = this._run;
  this._send({ event: 'detailsView' }, function (frame) {
    if (run === self._run && self.state === 'connected' && frame && !frame.error && frame.data) {
      self._applyDetails(frame.data);
    }
    if (done) done(frame);
  });
};

// After roomAdd/roomLeave, as Actionhero does; skipped while not connected.
proto._refreshDetails = function (next) {
  if (this.state !== 'connected') return next();
  this._details(function () {
    next();
  });
};

proto.send = function (frame, callback) {
  return this._request(frame, callback);
};

proto.action = function (action, params, callback) {
  if (typeof params === 'function' && callback === undefined) {
    callback = params;
    params = null;
  }
  var copy = {};
  if (params && typeof params === 'object') merge(copy, params);
  copy.action = action;
  if (this.state !== 'connected') return this.actionWeb(copy, callback);
  return this._request({ event: 'action', params: copy }, callback);
};

proto.actionWeb = function (params, callback) {
  var self = this;
  return respond(callback, function (done) {
    self._http(params || {}, done || function () {});
  });
};

function httpResult(status, statusText, text) {
  var parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    parsed = undefined;
  }
  if (parsed !== null && typeof parsed === 'object') return parsed;
  return { error: { statusText: statusText, responseText: text } };
}

function queryValue(value) {
  return encodeURIComponent(value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value));
}

proto._http = function (params, done) {
  var method = String(params.httpMethod || 'POST').toUpperCase();
  var base = String(this.options.url || '');
  var apiPath = String(this.options.apiPath || '');
  if (base.charAt(base.length - 1) === '/' && apiPath.charAt(0) === '/') base = base.slice(0, -1);
  var url = base + apiPath + '?action=' + encodeURIComponent(params.action);
  var body = {};
  for (var key in params) {
    if (hasOwn.call(params, key) && key !== 'httpMethod') body[key] = params[key];
  }
  if (method === 'GET' || method === 'HEAD') {
    for (var name in body) {
      if (name !== 'action' && body[name] !== undefined) url += '&' + encodeURIComponent(name) + '=' + queryValue(body[name]);
    }
    body = null;
  }

  var finished = false;
  var timer = null;
  var abort = null;
  function finish(result) {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    done(result);
  }
  var ms = Number(this.options.requestTimeout);
  if (ms > 0) {
    timer = setTimeout(function () {
      timer = null;
      finish({ error: 'request timed out', status: 'timeout' });
      if (abort) abort();
    }, ms);
  }

  if (hasWindow && typeof XMLHttpRequest !== 'undefined') {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url, true);
    xhr.withCredentials = true;
    if (body) xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.onreadystatechange = function () {
      if (xhr.readyState === 4) finish(httpResult(xhr.status, xhr.statusText, xhr.responseText));
    };
    abort = function () { xhr.abort(); };
    xhr.send(body ? JSON.stringify(body) : null);
  } else if (typeof fetch === 'function') {
    var init = { method: method, credentials: 'include', headers: {} };
    if (body) {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
    if (typeof AbortController === 'function') {
      var controller = new AbortController();
      init.signal = controller.signal;
      abort = function () { controller.abort(); };
    }
    // Results leave the promise chain so a throwing callback is not swallowed.
    fetch(url, init).then(function (res) {
      return res.text().then(function (text) {
        later(function () { finish(httpResult(res.status, res.statusText, text)); });
      });
    }).then(null, function (err) {
      later(function () { finish({ error: { statusText: errorMessage(err), responseText: '' } }); });
    });
  } else {
    later(function () { finish({ error: 'no HTTP client available (XMLHttpRequest or fetch)' }); });
  }
};

proto.say = function (room, message, callback) {
  return this._request({ event: 'say', room: room, message: message }, callback);
};

proto.file = function (file, callback) {
  return this._request({ event: 'file', file: file }, callback);
};

proto.detailsView = function (callback) {
  var self = this;
  return respond(callback, function (done) {
    self._details(done);
  });
};

proto.roomView = function (room, callback) {
  return this._request({ event: 'roomView', room: room }, callback);
};

proto.roomAdd = function (room, callback) {
  var self = this;
  return respond(callback, function (done) {
    self._send({ event: 'roomAdd', room: room }, function (reply) {
      if (reply && !reply.error && indexOf(self.rooms, room) === -1) self.rooms.push(room);
      self._refreshDetails(function () {
        if (done) done(reply);
      });
    });
  });
};

proto.roomLeave = function (room, callback) {
  var self = this;
  return respond(callback, function (done) {
    var at = indexOf(self.rooms, room);
    if (at !== -1) self.rooms.splice(at, 1);
    delete self._offsets[room];
    self._send({ event: 'roomLeave', room: room }, function (reply) {
      self._refreshDetails(function () {
        if (done) done(reply);
      });
    });
  });
};

// The room's newest messages, oldest first (`options`: {limit, before}); members only.
proto.roomHistory = function (room, options, callback) {
  if (typeof options === 'function' && callback === undefined) {
    callback = options;
    options = null;
  }
  var copy = {};
  if (options && typeof options === 'object') merge(copy, options);
  return this._request({ event: 'roomHistory', room: room, options: copy }, callback);
};

proto.documentation = function (callback) {
  return this._request({ event: 'documentation' }, callback);
};

proto.disconnect = function () {
  this._teardown();
  this.state = 'disconnected';
  this.emit('disconnected');
};

/* ---- incoming frames (Actionhero's routing order) ---- */

proto.handleMessage = function (message) {
  this.emit('message', message);
  if (!message || typeof message !== 'object') return;
  var context = message.context;
  if (context === 'response') {
    var key = String(message.messageId);
    if (hasOwn.call(this.callbacks, key)) this._resolve(key, message);
  } else if (context === 'user') {
    var held = typeof message.room === 'string' && hasOwn.call(this._recovering, message.room) ? this._recovering[message.room] : null;
    if (held) held.push(message);
    else if (this._track(message)) this.emit('say', message);
  } else if (context === 'alert') {
    this.emit('alert', message);
  } else if (context === 'api' && message.event === 'refused') {
    this._onRefused(message);
  } else if (message.welcome && context === 'api') {
    this.welcomeMessage = message.welcome;
    this.emit('welcome', message);
  } else if (context === 'api') {
    this.emit('api', message);
    // A room's messages were lost between the server's nodes and cannot be recovered. The
    // room's next message is taken whatever its offset (a failover may number offsets
    // again); until then a re-join still asks from the old one, and learns it is gone.
    if (message.event === 'resync' && typeof message.room === 'string') {
      if (hasOwn.call(this._offsets, message.room)) this._offsets[message.room].stale = true;
      this.emit('resync', message.room, String(message.message || ''));
    }
    // The server is ending this connection and says why (before the close, on every transport).
    if (message.event === 'close') {
      this.closeNotice = message;
      this.emit('close', message);
    }
  }
};
