// Amends chat widget: one <script src="https://desk.example/widget.js" async></script> on a
// site's page. No third-party code; text is only ever set with textContent. It talks to the desk
// over a WebSocket and falls back to plain requests (a long poll) where WebSocket is blocked.
// Optional data- attributes on the script tag: data-desk (the desk's address, default: where
// this file came from), data-customer-id, data-customer-email, data-customer-name and
// data-signature (a signed-in customer; see the desk's docs/chat.md).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__amendsChat) return;
  window.__amendsChat = true;
  var data = script.dataset;
  var desk = (data.desk || new URL(script.src, location.href).origin).replace(/\/$/, "");
  var store = "amends-chat:" + desk + ":" + (data.customerId || "visitor");
  var key = null;
  var lastSeq = 0;
  var pending = {}; // client id -> text, until the desk has it
  var socket = null;
  var socketFailures = 0;
  var polling = false;
  var open = false;
  var typingSent = false;
  var typingTimer = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) node.textContent = text;
    return node;
  }

  var style = el("link", { rel: "stylesheet", href: desk + "/widget.css" });
  document.head.appendChild(style);
  var root = el("div", { class: "amends-chat" });
  var launcher = el("button", { type: "button", class: "amends-chat-launcher",
    "aria-expanded": "false", "aria-controls": "amends-chat-panel" }, "Chat with us");
  var panel = el("section", { id: "amends-chat-panel", class: "amends-chat-panel",
    "aria-label": "Chat with us", hidden: "" });
  var heading = el("h2", { class: "amends-chat-heading" }, "Chat with us");
  var close = el("button", { type: "button", class: "amends-chat-close", "aria-label": "Close the chat" }, "×");
  var status = el("p", { class: "amends-chat-status", role: "status" });
  var log = el("div", { class: "amends-chat-log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  var list = el("ol", { class: "amends-chat-list" });
  log.appendChild(list);
  var typing = el("p", { class: "amends-chat-typing", "aria-live": "polite" });
  var form = el("form", { class: "amends-chat-form" });
  var label = el("label", { for: "amends-chat-text", class: "amends-chat-label" }, "Your message");
  var text = el("textarea", { id: "amends-chat-text", rows: "2", maxlength: "4000", required: "" });
  var send = el("button", { type: "submit" }, "Send");
  var away = el("form", { class: "amends-chat-away", hidden: "" });
  var awayText = el("p", {}, "");
  var emailLabel = el("label", { for: "amends-chat-email" }, "Your email");
  var email = el("input", { id: "amends-chat-email", type: "email", autocomplete: "email", required: "" });
  var leave = el("button", { type: "submit" }, "Answer me by email");
  form.append(label, text, send);
  away.append(awayText, emailLabel, email, leave);
  panel.append(heading, close, status, log, typing, away, form);
  root.append(launcher, panel);
  document.body.appendChild(root);

  function say(message) { status.textContent = message; }

  function request(method, path, body) {
    var headers = { "content-type": "application/json" };
    if (key) headers["x-chat-key"] = key;
    return fetch(desk + path, { method: method, headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body) }).then(function (response) {
      return response.text().then(function (raw) {
        var json = raw ? JSON.parse(raw) : null;
        if (!response.ok) throw Object.assign(new Error((json && json.detail) || response.statusText), { status: response.status });
        return json;
      });
    });
  }

  function show(line) {
    if (line.seq <= lastSeq) return;
    lastSeq = line.seq;
    if (line.client_id && pending[line.client_id] !== undefined) {
      delete pending[line.client_id];
      var waiting = log.querySelector('[data-client="' + line.client_id + '"]');
      if (waiting) waiting.remove();
    }
    var item = el("li", { class: "amends-chat-line amends-chat-" + line.from, "data-seq": String(line.seq) });
    var who = line.from === "agent" ? (line.agent || "Support") : "You";
    item.append(el("span", { class: "amends-chat-who" }, who + ": "), el("span", {}, line.text));
    list.appendChild(item);
    log.scrollTop = log.scrollHeight;
    if (line.from === "agent") typing.textContent = "";
  }

  function desked(chat) {
    if (!chat) return;
    heading.textContent = chat.greeting;
    var answerable = chat.agents_at_work && !chat.by_email;
    away.hidden = answerable || chat.by_email;
    if (chat.by_email) {
      say("We will answer by email.");
    } else if (answerable) {
      say("We usually answer within " + chat.answer_within_minutes + " minutes.");
    } else if (chat.open === false && chat.hours) {
      awayText.textContent = "We are closed now; our hours are " + chat.hours +
        ". Leave your email and we will answer by mail; your messages here are kept.";
      say("");
    } else {
      awayText.textContent = "No one is available right now. Leave your email and we will answer within " +
        chat.answer_within_minutes + " minutes by mail; your messages here are kept.";
      say("");
    }
  }

  function clientId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function start() {
    key = localStorage.getItem(store);
    if (key) return request("GET", "/chat/v1/chat").then(desked).catch(function (error) {
      if (error.status !== 401) throw error;
      localStorage.removeItem(store);
      key = null;
      return start();
    });
    var body = {};
    if (data.signature) {
      body.identity = { id: data.customerId, email: data.customerEmail, signature: data.signature };
      if (data.customerName) body.identity.name = data.customerName;
    }
    return request("POST", "/chat/v1/chats", body).then(function (started) {
      key = started.key;
      localStorage.setItem(store, key);
      desked(started.chat);
    });
  }

  function connect() {
    if (socketFailures >= 2 || !window.WebSocket) return poll();
    var url = desk.replace(/^http/, "ws") + "/chat/v1/socket";
    var opened = false;
    socket = new WebSocket(url);
    socket.onopen = function () {
      opened = true;
      socketFailures = 0;
      socket.send(JSON.stringify({ type: "hello", key: key, after: lastSeq }));
    };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "ready") { desked(frame.chat); resend(); }
      else if (frame.type === "line") show(frame.line);
      else if (frame.type === "typing") typing.textContent = frame.on ? "Someone is typing…" : "";
      else if (frame.type === "error") refused(frame.message, frame.client_id);
    };
    socket.onclose = function () {
      socket = null;
      if (!opened) socketFailures += 1;
      setTimeout(connect, opened ? 500 : 1500);
    };
  }

  function poll() {
    if (polling) return;
    polling = true;
    say("Connected without live updates; messages may take a moment.");
    resend();
    (function next() {
      request("GET", "/chat/v1/lines?wait=25&after=" + lastSeq).then(function (answer) {
        answer.lines.forEach(show);
        typing.textContent = answer.agent_typing ? "Someone is typing…" : "";
        next();
      }).catch(function () { setTimeout(next, 3000); });
    })();
  }

  function refused(message, id) {
    say(message);
    if (id && pending[id] !== undefined) {
      var waiting = log.querySelector('[data-client="' + id + '"]');
      if (waiting) waiting.classList.add("amends-chat-failed");
      delete pending[id];
    }
  }

  function transmit(id, words) {
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify({ type: "say", client_id: id, text: words }));
    } else if (polling) {
      request("POST", "/chat/v1/lines", { client_id: id, text: words }).then(show)
        .catch(function (error) { if (error.status && error.status < 500) refused(error.message, id); });
    }
  }

  function resend() {
    Object.keys(pending).forEach(function (id) { transmit(id, pending[id]); });
  }

  function signalTyping(on) {
    if (on === typingSent) return;
    typingSent = on;
    if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "typing", on: on }));
    else if (polling) request("POST", "/chat/v1/typing", { on: on }).catch(function () {});
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var words = text.value.trim();
    if (!words) return;
    var id = clientId();
    pending[id] = words;
    var item = el("li", { class: "amends-chat-line amends-chat-customer amends-chat-pending", "data-client": id });
    item.append(el("span", { class: "amends-chat-who" }, "You: "), el("span", {}, words));
    list.appendChild(item);
    text.value = "";
    signalTyping(false);
    transmit(id, words);
  });

  text.addEventListener("input", function () {
    signalTyping(true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { signalTyping(false); }, 4000);
  });

  away.addEventListener("submit", function (event) {
    event.preventDefault();
    request("POST", "/chat/v1/address", { email: email.value }).then(desked)
      .catch(function (error) { say(error.message); });
  });

  function toggle(show) {
    open = show;
    panel.hidden = !show;
    launcher.setAttribute("aria-expanded", String(show));
    if (show) {
      text.focus();
      if (!key) start().then(connect).catch(function (error) { say("The chat is not available: " + error.message); });
    } else {
      launcher.focus();
    }
  }

  launcher.addEventListener("click", function () { toggle(!open); });
  close.addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") toggle(false); });
  // A visitor who chatted before gets their conversation back at once.
  if (localStorage.getItem(store)) toggle(true);
})();
