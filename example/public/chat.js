// The actionhero-ws example chat page. Plain browser JavaScript, no build step.
//
// It asks GET /session who is signed in. Signed out, it shows the sign-in form (POST
// /login {name}, then a reload). Signed in, it loads the generated client from the
// actionhero-ws middleware, connects (the server reads the session at the socket's
// handshake and refuses sockets without one), joins
// `defaultRoom`, and then talks to the server only through the client's API:
//   client.connect() / action(name, params) / say(room, message) / roomAdd(room) /
//   roomLeave(room) and the events welcome, say, connected, disconnected, reconnecting,
//   reconnect, error, alert, api.
//
// Page flags: ?min=1 loads ActionheroWebsocketClient.min.js; ?transport=polling creates the
// client with { websockets: false }, so it only uses HTTP long-polling.
//
// Everything that came over the wire is put in the page with textContent, never innerHTML:
// a message like <img src=x onerror=alert(1)> is shown as that text.
//
// Names: the server puts the sender's name on every message ({name, text}) and on join/leave
// announcements; "Sign out" (POST /logout) ends every socket of this browser's session.
//
// For tests: window.chatClient is the client, window.chatReady a Promise that settles after
// the first connect and join, and <body data-ready="true"> is set at the same moment;
// <body data-view> is "signin" or "chat".

(function () {
  "use strict";

  var DEFAULT_ROOM = "defaultRoom";
  var ROOMS_REFRESH_MS = 5000;
  var MAX_MESSAGES_PER_ROOM = 500;
  // How many of a room's last messages are shown when it is joined.
  var HISTORY_SHOWN = 20;

  var query = new URLSearchParams(window.location.search);
  function flag(name) {
    if (!query.has(name)) return false;
    var value = (query.get(name) || "").toLowerCase();
    return value !== "0" && value !== "false" && value !== "no";
  }
  var useMin = flag("min");
  var forcePolling = (query.get("transport") || "").toLowerCase() === "polling";
  var clientScript = "/public/javascript/ActionheroWebsocketClient" + (useMin ? ".min" : "") + ".js";

  // ---------------------------------------------------------------------------------------
  // DOM

  function $(id) {
    return document.getElementById(id);
  }
  var dom = {
    body: document.body,
    welcome: $("welcome"),
    state: $("state"),
    myId: $("my-id"),
    fingerprint: $("fingerprint"),
    banner: $("banner"),
    bannerText: $("banner-text"),
    reconnect: $("reconnect"),
    rooms: $("rooms"),
    random: $("random"),
    randomResult: $("random-result"),
    currentRoom: $("current-room"),
    messages: $("messages"),
    composer: $("composer"),
    input: $("message-input"),
    send: $("send"),
    myName: $("my-name"),
    signout: $("signout"),
    signinForm: $("signin-form"),
    signinName: $("signin-name"),
    signinSubmit: $("signin-submit"),
    signinError: $("signin-error"),
  };

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // ---------------------------------------------------------------------------------------
  // State of the page

  var client = null;
  var ui = {
    loading: true, // until the client script has loaded and connect() was called
    currentRoom: null,
    joined: new Set(), // rooms this connection is in
    busy: new Set(), // rooms with a join/leave in flight
    counts: new Map(), // room -> membersCount (from the roomsList action)
    known: [], // room names from the roomsList action
    logs: new Map(), // room -> entries; "" holds notices shown before any room is open
    unread: new Map(), // room -> number of messages not seen yet
    roomItems: new Map(), // room -> <li>
  };

  // ---------------------------------------------------------------------------------------
  // Small helpers

  function shortId(id) {
    id = String(id || "");
    return id.length > 8 ? id.slice(0, 8) : id;
  }

  function errorText(err) {
    if (!err) return "unknown error";
    var res = err.response;
    if (res && res.error !== undefined) return typeof res.error === "string" ? res.error : safeJson(res.error);
    return err.message || String(err);
  }

  function safeJson(value) {
    try {
      return JSON.stringify(value);
    } catch (e) {
      return String(value);
    }
  }

  // A user's message as the server relays it: {name, text}.
  function isNamed(message) {
    return message !== null && typeof message === "object" && "text" in message && (typeof message.name === "string" || message.name === null);
  }

  function isJoinLeave(message) {
    return (
      message !== null &&
      typeof message === "object" &&
      (message.event === "join" || message.event === "leave") &&
      typeof message.id === "string"
    );
  }

  function hueOf(id) {
    var h = 0;
    for (var i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360;
    return h;
  }

  function formatTime(ms) {
    var d = new Date(typeof ms === "number" ? ms : Date.now());
    if (isNaN(d.getTime())) d = new Date();
    return d;
  }

  function connected() {
    return !!client && client.state === "connected";
  }

  // ---------------------------------------------------------------------------------------
  // Connection state in the header

  function currentState() {
    if (!client) return ui.loading ? "connecting" : "disconnected";
    var state = client.state || "disconnected";
    // Between `new ActionheroWebsocketClient()` + connect() and the socket opening, older
    // clients still say "disconnected"; show that we are on our way.
    if (state === "disconnected" && ui.loading) return "connecting";
    return state;
  }

  function renderState() {
    var state = currentState();
    if (dom.state.textContent !== state) dom.state.textContent = state;
    dom.state.dataset.state = state;
    dom.body.dataset.state = state;

    var bannerText = "";
    if (state === "reconnecting") bannerText = "Connection lost — reconnecting…";
    else if (state === "timeout") bannerText = "The server did not answer in time.";
    else if (state === "disconnected" && !ui.loading) bannerText = "Disconnected.";
    dom.banner.hidden = !bannerText;
    dom.bannerText.textContent = bannerText;
    dom.reconnect.hidden = !client || ui.loading || (state !== "disconnected" && state !== "timeout");

    if (client) {
      var id = client.id || "";
      var fp = client.fingerprint || "";
      if (dom.myId.textContent !== id) {
        dom.myId.textContent = id;
        dom.myId.title = id;
      }
      if (dom.fingerprint.textContent !== fp) {
        dom.fingerprint.textContent = fp;
        dom.fingerprint.title = fp;
      }
    }
    renderComposer();
    renderRoomButtons();
  }

  // ---------------------------------------------------------------------------------------
  // Messages

  function keyOf(room) {
    return room === null || room === undefined ? "" : room;
  }

  function logOf(room) {
    var key = keyOf(room);
    if (!ui.logs.has(key)) ui.logs.set(key, []);
    return ui.logs.get(key);
  }

  function entryNode(entry) {
    if (entry.kind === "notice") {
      var note = make("li", "notice " + (entry.level || "info"), entry.text);
      note.dataset.level = entry.level || "info";
      return note;
    }

    var li = make("li", "message");
    li.dataset.from = entry.from;
    li.dataset.room = entry.room;
    if (entry.from === "0") li.classList.add("server");
    if (entry.mine) li.classList.add("mine");
    if (entry.announcement) li.classList.add("event");
    li.style.setProperty("--hue", String(hueOf(entry.from)));

    var from = make("span", "from", entry.from === "0" ? "server" : entry.name || shortId(entry.from));
    from.title = entry.from === "0" ? "sent by the server" : entry.from;

    var when = formatTime(entry.sentAt);
    var time = make("time", "time", when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
    time.dateTime = when.toISOString();
    time.title = when.toLocaleString();

    var text = make("div", "text", entry.text);

    li.append(from, time, text);
    return li;
  }

  function messageText(frame) {
    var message = frame.message;
    if (typeof message === "string") return message;
    if (isJoinLeave(message)) {
      var who = client && message.id === client.id ? "you" : message.name || shortId(message.id);
      return who + (message.event === "join" ? " joined " : " left ") + frame.room;
    }
    if (isNamed(message)) return typeof message.text === "string" ? message.text : safeJson(message.text);
    if (message !== null && typeof message === "object") return safeJson(message);
    return String(message);
  }

  function nearBottom() {
    var m = dom.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
  }

  function addEntry(room, entry) {
    var log = logOf(room);
    log.push(entry);
    var dropped = log.length > MAX_MESSAGES_PER_ROOM ? log.splice(0, log.length - MAX_MESSAGES_PER_ROOM).length : 0;

    if (keyOf(room) === keyOf(ui.currentRoom)) {
      var stick = nearBottom();
      for (var i = 0; i < dropped && dom.messages.firstChild; i++) dom.messages.firstChild.remove();
      dom.messages.append(entryNode(entry));
      if (stick || entry.mine) dom.messages.scrollTop = dom.messages.scrollHeight;
    } else if (entry.kind === "message" && !entry.announcement && ui.joined.has(room)) {
      ui.unread.set(room, (ui.unread.get(room) || 0) + 1);
      renderRooms();
    }
  }

  function notice(text, level) {
    addEntry(ui.currentRoom, { kind: "notice", text: text, level: level || "info", at: Date.now() });
  }

  function renderMessages() {
    var log = logOf(ui.currentRoom);
    var nodes = log.map(entryNode);
    dom.messages.replaceChildren.apply(dom.messages, nodes);
    dom.messages.scrollTop = dom.messages.scrollHeight;
  }

  function entryOf(frame) {
    var from = frame.from === undefined || frame.from === null ? "" : String(frame.from);
    return {
      kind: "message",
      room: frame.room,
      from: from,
      name: from !== "0" && isNamed(frame.message) ? frame.message.name : null,
      sentAt: frame.sentAt,
      text: messageText(frame),
      mine: !!client && from === String(client.id),
      announcement: from === "0" && isJoinLeave(frame.message),
      // the room's number of the message when the server keeps history (README, "History and recovery")
      offset: typeof frame.offset === "number" ? frame.offset : null,
    };
  }

  // The room's last messages, shown above what arrived since the join (roomHistory; a
  // server without history answers an error, and the room simply starts empty).
  function loadHistory(room) {
    if (!client || typeof client.roomHistory !== "function") return;
    client.roomHistory(room, { limit: HISTORY_SHOWN }).then(function (reply) {
      var log = logOf(room);
      var firstLive = null;
      for (var i = 0; i < log.length; i++) {
        if (log[i].offset !== null && log[i].offset !== undefined) {
          firstLive = log[i].offset;
          break;
        }
      }
      var older = (reply.data || []).filter(function (frame) {
        return typeof frame.offset === "number" && (firstLive === null || frame.offset < firstLive) && !(frame.from === "0" && isJoinLeave(frame.message));
      }).map(entryOf);
      if (older.length === 0) return;
      log.splice.apply(log, [0, 0].concat(older));
      if (keyOf(room) === keyOf(ui.currentRoom)) renderMessages();
    }, function () {});
  }

  function onSay(frame) {
    if (!frame || typeof frame.room !== "string") return;
    var entry = entryOf(frame);
    var from = entry.from;
    var announcement = entry.announcement;
    addEntry(frame.room, entry);
    if (announcement) {
      // The announcement is sent just before the membership changes; count a bit later.
      scheduleRoomsRefresh(300);
    }
    if (from === "0" && frame.message === "this room has been deleted") {
      ui.joined.delete(frame.room);
      if (ui.currentRoom === frame.room) pickAnotherRoom();
      scheduleRoomsRefresh(300);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Rooms sidebar

  function allRoomNames() {
    var names = new Set(ui.known);
    ui.joined.forEach(function (room) {
      names.add(room);
    });
    return Array.from(names).sort(function (a, b) {
      return a < b ? -1 : a > b ? 1 : 0;
    });
  }

  function roomItem(room) {
    var li = ui.roomItems.get(room);
    if (li) return li;
    li = make("li", "room");
    li.dataset.room = room;

    var name = make("button", "room-name", room);
    name.type = "button";
    name.title = "Show " + room;
    name.addEventListener("click", function () {
      if (ui.joined.has(room)) selectRoom(room);
      else joinRoom(room);
    });

    var unread = make("span", "unread");
    unread.dataset.testid = "unread";
    unread.hidden = true;

    var count = make("span", "count");
    count.dataset.testid = "count";

    var join = make("button", "join", "Join");
    join.type = "button";
    join.dataset.testid = "join";
    join.addEventListener("click", function () {
      joinRoom(room);
    });

    var leave = make("button", "leave", "Leave");
    leave.type = "button";
    leave.dataset.testid = "leave";
    leave.addEventListener("click", function () {
      leaveRoom(room);
    });

    li.append(name, unread, count, join, leave);
    ui.roomItems.set(room, li);
    return li;
  }

  function renderRooms() {
    var names = allRoomNames();
    var wanted = new Set(names);
    ui.roomItems.forEach(function (li, room) {
      if (!wanted.has(room)) {
        li.remove();
        ui.roomItems.delete(room);
      }
    });

    names.forEach(function (room, index) {
      var li = roomItem(room);
      if (dom.rooms.children[index] !== li) dom.rooms.insertBefore(li, dom.rooms.children[index] || null);

      var joined = ui.joined.has(room);
      li.classList.toggle("joined", joined);
      li.classList.toggle("current", room === ui.currentRoom);
      if (room === ui.currentRoom) li.setAttribute("aria-current", "true");
      else li.removeAttribute("aria-current");

      var count = li.querySelector(".count");
      var n = ui.counts.get(room);
      var countText = n === undefined ? "" : String(n);
      if (count.textContent !== countText) count.textContent = countText;
      count.title = n === undefined ? "" : n === 1 ? "1 member" : n + " members";

      var unread = li.querySelector(".unread");
      var u = room === ui.currentRoom ? 0 : ui.unread.get(room) || 0;
      unread.hidden = u === 0;
      unread.textContent = u > 99 ? "99+" : String(u);
      unread.title = u + " unread";
    });
    renderRoomButtons();
  }

  function renderRoomButtons() {
    var online = connected();
    ui.roomItems.forEach(function (li, room) {
      var joined = ui.joined.has(room);
      var busy = ui.busy.has(room);
      var join = li.querySelector(".join");
      var leave = li.querySelector(".leave");
      join.hidden = joined;
      leave.hidden = !joined;
      join.disabled = busy || !online;
      leave.disabled = busy || !online;
    });
  }

  var refreshing = false;
  var refreshAgain = false;
  var refreshTimer = null;

  function refreshRooms() {
    // (the client would answer actions over HTTP while disconnected; not worth it here)
    if (!connected()) return;
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    client
      .action("roomsList", {})
      .then(function (res) {
        if (res && Array.isArray(res.rooms)) {
          ui.known = [];
          ui.counts.clear();
          res.rooms.forEach(function (r) {
            if (!r || typeof r.name !== "string") return;
            ui.known.push(r.name);
            if (typeof r.membersCount === "number") ui.counts.set(r.name, r.membersCount);
          });
        }
      })
      .catch(function (err) {
        console.warn("roomsList failed:", errorText(err));
      })
      .then(function () {
        refreshing = false;
        renderRooms();
        if (refreshAgain) {
          refreshAgain = false;
          refreshRooms();
        }
      });
  }

  function scheduleRoomsRefresh(delay) {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      refreshRooms();
    }, delay || 0);
  }

  function selectRoom(room) {
    if (room !== null && ui.logs.has("") && ui.logs.get("").length) {
      // notices from before any room was open (e.g. a failed first join) move along
      var early = ui.logs.get("");
      ui.logs.delete("");
      logOf(room).unshift.apply(logOf(room), early);
    }
    ui.currentRoom = room;
    if (room !== null) ui.unread.delete(room);
    dom.currentRoom.textContent = room === null ? "" : room;
    dom.input.placeholder = room === null ? "Join a room to chat" : "Message #" + room;
    renderMessages();
    renderRooms();
    renderComposer();
  }

  function pickAnotherRoom() {
    var next = null;
    if (ui.joined.has(DEFAULT_ROOM)) next = DEFAULT_ROOM;
    else if (ui.joined.size) next = Array.from(ui.joined).sort()[0];
    selectRoom(next);
  }

  function joinRoom(room) {
    if (!client || ui.busy.has(room)) return Promise.resolve();
    if (ui.joined.has(room)) {
      selectRoom(room);
      return Promise.resolve();
    }
    ui.busy.add(room);
    renderRoomButtons();
    return client
      .roomAdd(room)
      .then(
        function () {
          ui.joined.add(room);
          selectRoom(room);
          loadHistory(room);
        },
        function (err) {
          var text = errorText(err);
          if (/already in this room/.test(text)) {
            ui.joined.add(room);
            selectRoom(room);
          } else {
            notice("Could not join " + room + ": " + text, "error");
          }
        },
      )
      .then(function () {
        ui.busy.delete(room);
        renderRooms();
        scheduleRoomsRefresh(300);
      });
  }

  function leaveRoom(room) {
    if (!client || ui.busy.has(room) || !ui.joined.has(room)) return Promise.resolve();
    ui.busy.add(room);
    renderRoomButtons();
    return client
      .roomLeave(room)
      .then(
        function () {
          ui.joined.delete(room);
        },
        function (err) {
          var text = errorText(err);
          if (/not in this room/.test(text)) ui.joined.delete(room);
          else notice("Could not leave " + room + ": " + text, "error");
        },
      )
      .then(function () {
        ui.busy.delete(room);
        if (!ui.joined.has(room) && ui.currentRoom === room) pickAnotherRoom();
        renderRooms();
        scheduleRoomsRefresh(300);
      });
  }

  // ---------------------------------------------------------------------------------------
  // Composer and random number

  function renderComposer() {
    var canSay = connected() && ui.currentRoom !== null && ui.joined.has(ui.currentRoom);
    dom.input.disabled = !canSay;
    dom.send.disabled = !canSay;
  }

  dom.composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = dom.input.value;
    var room = ui.currentRoom;
    if (!client || room === null || text.trim() === "") return;
    dom.input.value = "";
    client.say(room, text).catch(function (err) {
      notice("Not sent: " + errorText(err), "error");
      if (dom.input.value === "") dom.input.value = text;
    });
    dom.input.focus();
  });

  dom.random.addEventListener("click", function () {
    if (!client) return;
    dom.random.disabled = true;
    client
      .action("randomNumber", {})
      .then(
        function (res) {
          dom.randomResult.textContent =
            res && res.stringRandomNumber !== undefined ? String(res.stringRandomNumber) : safeJson(res);
        },
        function (err) {
          dom.randomResult.textContent = "Error: " + errorText(err);
        },
      )
      .then(function () {
        dom.random.disabled = false;
      });
  });

  dom.reconnect.addEventListener("click", function () {
    if (!client) return;
    ui.loading = true;
    renderState();
    client
      .connect()
      .then(afterConnect, connectFailed)
      .catch(function (err) {
        console.warn("connect failed:", err);
      });
  });

  // ---------------------------------------------------------------------------------------
  // Connecting

  function syncFromClient() {
    ui.joined = new Set(Array.isArray(client.rooms) ? client.rooms : []);
    if (ui.currentRoom !== null && !ui.joined.has(ui.currentRoom)) pickAnotherRoom();
    renderState();
    renderRooms();
  }

  var firstConnect = true;
  function afterConnect() {
    ui.loading = false;
    syncFromClient();
    var joining = Promise.resolve();
    if (firstConnect) {
      firstConnect = false;
      joining = ui.joined.has(DEFAULT_ROOM) ? Promise.resolve(selectRoom(DEFAULT_ROOM)) : joinRoom(DEFAULT_ROOM);
    } else if (ui.currentRoom === null) {
      pickAnotherRoom();
    }
    refreshRooms();
    return joining;
  }

  function connectFailed(err) {
    ui.loading = false;
    notice("Could not connect: " + errorText(err), "error");
    renderState();
    throw err;
  }

  function loadClientScript() {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = clientScript;
      script.onload = function () {
        resolve();
      };
      script.onerror = function () {
        reject(new Error("could not load " + clientScript));
      };
      document.head.append(script);
    });
  }

  function start() {
    if (typeof window.ActionheroWebsocketClient !== "function") {
      throw new Error(clientScript + " did not define ActionheroWebsocketClient");
    }
    client = new window.ActionheroWebsocketClient(forcePolling ? { websockets: false } : {});
    window.chatClient = client;

    client.on("welcome", function (frame) {
      dom.welcome.textContent = frame && frame.welcome !== undefined ? String(frame.welcome) : "";
    });
    client.on("say", onSay);
    client.on("connected", renderState);
    client.on("disconnected", function () {
      renderState();
      renderRoomButtons();
      // Signed out (here or in another tab)? The server ended our sockets: say so.
      whoAmI().then(function (user) {
        if (!user) showSignIn("You are signed out.");
      }, function () {});
    });
    client.on("reconnecting", function () {
      renderState();
    });
    client.on("reconnect", function () {
      // the client has re-joined its rooms and refreshed its id on the new connection
      var wasLoading = ui.loading;
      ui.loading = false;
      syncFromClient();
      if (!wasLoading) notice("Reconnected as " + shortId(client.id) + ".", "info");
      refreshRooms();
    });
    // After a reconnect the client delivered what this page missed as ordinary messages.
    client.on("recovered", function (room, count) {
      if (count > 0) addEntry(room, { kind: "notice", text: "Reconnected — " + count + " messages caught up.", level: "info", at: Date.now() });
    });
    // Missed messages the server no longer has: show the room's latest instead of a silent gap.
    client.on("resync", function (room) {
      ui.logs.set(keyOf(room), [{ kind: "notice", text: "Some messages were missed; showing the latest.", level: "info", at: Date.now() }]);
      if (keyOf(room) === keyOf(ui.currentRoom)) renderMessages();
      loadHistory(room);
    });
    client.on("timeout", renderState);
    client.on("error", function (err) {
      if (err && err.refused) {
        // The server refused the socket: this browser's session has ended.
        showSignIn("Your session has ended: sign in again.");
        return;
      }
      console.warn("actionhero-ws client error:", err);
      renderState();
    });
    client.on("alert", function (frame) {
      var text = frame && frame.message !== undefined ? frame.message : frame;
      notice("Alert: " + (typeof text === "string" ? text : safeJson(text)), "alert");
    });
    client.on("api", function (frame) {
      if (frame && frame.event === "resync") {
        // the server may have missed chat traffic; reload what we show about rooms
        refreshRooms();
        return;
      }
      if (frame && frame.message !== undefined) {
        notice(typeof frame.message === "string" ? frame.message : safeJson(frame.message), "info");
      }
    });

    renderState();
    return client.connect().then(afterConnect, connectFailed);
  }

  // ---------------------------------------------------------------------------------------
  // Signing in and out

  function whoAmI() {
    return fetch("/session", { credentials: "same-origin", cache: "no-store" })
      .then(function (res) {
        return res.json();
      })
      .then(function (body) {
        return body && typeof body.user === "string" ? body.user : null;
      });
  }

  function showSignIn(message) {
    dom.body.dataset.view = "signin";
    dom.signinError.textContent = message || "";
    dom.signinSubmit.disabled = false;
    dom.signinName.focus();
  }

  dom.signinForm.addEventListener("submit", function (event) {
    event.preventDefault();
    dom.signinSubmit.disabled = true;
    dom.signinError.textContent = "";
    fetch("/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: dom.signinName.value }),
    })
      .then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body && body.error ? body.error : "sign-in failed (" + res.status + ")");
          // A fresh page: its socket's handshake carries the new session.
          window.location.reload();
        });
      })
      .catch(function (err) {
        dom.signinError.textContent = err.message || String(err);
        dom.signinSubmit.disabled = false;
      });
  });

  dom.signout.addEventListener("click", function () {
    dom.signout.disabled = true;
    fetch("/logout", { method: "POST", credentials: "same-origin" }).then(
      function () {
        window.location.reload();
      },
      function (err) {
        dom.signout.disabled = false;
        notice("Could not sign out: " + (err.message || String(err)), "error");
      },
    );
  });

  var ready = whoAmI().then(function (user) {
    if (!user) {
      showSignIn("");
      // The page reloads once signed in; nothing more happens here.
      return new Promise(function () {});
    }
    dom.body.dataset.view = "chat";
    dom.myName.textContent = user;
    dom.myName.title = user;
    return loadClientScript()
      .then(start)
      .then(function () {
        dom.body.dataset.ready = "true";
      });
  });
  ready.catch(function (err) {
    ui.loading = false;
    console.error(err);
    if (!client) notice(err.message || String(err), "error");
    renderState();
  });
  window.chatReady = ready;

  setInterval(renderState, 500);
  setInterval(function () {
    if (!document.hidden) refreshRooms();
  }, ROOMS_REFRESH_MS);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refreshRooms();
  });

  renderState();
  selectRoom(null);
})();
