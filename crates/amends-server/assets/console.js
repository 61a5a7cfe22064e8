// Amends console: the little script behind the live parts. Forms marked data-api are sent as
// JSON to the API with the session's CSRF token; the reply composer is coached as the agent
// types; the queue refreshes itself; the call assistant walks its steps. Text from the server
// is only ever set as text (textContent), never parsed as HTML, except the queue rows, which
// the server renders and escapes.
"use strict";
(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : "";

  function signIn() {
    location.href = "/signin?next=" + encodeURIComponent(location.pathname + location.search);
  }

  async function api(method, url, body) {
    const headers = { "X-CSRF-Token": csrf, Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    if (response.status === 401) {
      // Never navigate away here: the agent may be halfway through a reply.
      throw new Error("Your session has ended. Sign in again in a new tab, then try again: this page keeps what you wrote.");
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : null;
    if (!response.ok) {
      const detail = data && (data.detail || data.title);
      const error = new Error(detail || response.status + " " + response.statusText);
      error.field = data && data.field;
      throw error;
    }
    return data;
  }

  // ---- An export with its progress ----------------------------------------------------
  // The file is read as it streams: rows are counted against X-Total-Count, then saved. A
  // row ends at a line break outside quotes (a cell may hold line breaks).
  document.addEventListener("click", async (event) => {
    const link = event.target.closest("a[data-export]");
    if (!link || !window.ReadableStream || link.getAttribute("aria-busy") === "true") return;
    event.preventDefault();
    const holder = link.parentElement;
    const bar = holder.querySelector("progress");
    const said = holder.querySelector("[role=status]");
    const say = (text) => { if (said) said.textContent = text; };
    const cases = (n) => n + (n === 1 ? " case" : " cases");
    link.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(link.href, { credentials: "same-origin" });
      if (!response.ok) throw new Error(response.status + " " + response.statusText);
      const total = parseInt(response.headers.get("x-total-count") || "", 10);
      if (bar) {
        bar.hidden = false;
        bar.value = 0;
        if (total > 0) bar.max = total; else bar.removeAttribute("value");
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      const parts = [];
      let lines = 0;
      let quoted = false;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        for (const ch of decoder.decode(value, { stream: true })) {
          if (ch === '"') quoted = !quoted;
          else if (ch === "\n" && !quoted) lines += 1;
        }
        const rows = Math.max(lines - 1, 0);
        if (bar && total > 0) bar.value = Math.min(rows, total);
        say("Exported " + (total > 0 ? rows + " of " + cases(total) : cases(rows)) + "…");
      }
      const rows = Math.max(lines - 1, 0);
      const url = URL.createObjectURL(new Blob(parts, { type: "text/csv" }));
      const save = document.createElement("a");
      save.href = url;
      save.download = link.getAttribute("download") || "export.csv";
      document.body.appendChild(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      if (bar) { bar.max = 1; bar.value = 1; }
      say("Exported " + cases(rows) + ".");
    } catch (error) {
      say("The export failed: " + error.message);
    } finally {
      link.removeAttribute("aria-busy");
    }
  });

  // ---- A list uploaded with its progress ----------------------------------------------
  // A form marked data-upload sends its file as text/csv to the API, showing the upload's
  // progress; the answer (or every problem, by line) is said in the form's status.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload")) return;
    event.preventDefault();
    const file = form.querySelector("input[type=file]").files[0];
    if (!file) return;
    const bar = form.querySelector("progress");
    const request = new XMLHttpRequest();
    request.open("POST", form.dataset.upload);
    request.setRequestHeader("X-CSRF-Token", csrf);
    request.setRequestHeader("Content-Type", "text/csv");
    request.setRequestHeader("Accept", "application/json");
    if (bar) { bar.hidden = false; bar.value = 0; bar.max = file.size || 1; }
    request.upload.addEventListener("progress", (e) => {
      if (bar && e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
    });
    status(form, "Uploading…", "");
    request.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(request.responseText); } catch (_) { data = null; }
      if (request.status >= 200 && request.status < 300) {
        status(form, "Added " + data.added + "; " + data.affected + " affected in all.", "ok");
        setTimeout(reloadKeepingPlace, 800);
      } else {
        status(form, (data && (data.detail || data.title)) || request.statusText, "error");
      }
    });
    request.addEventListener("error", () => status(form, "The upload failed.", "error"));
    request.send(file);
  });

  // ---- Linking a case to the incident chosen ------------------------------------------
  for (const choice of document.querySelectorAll("[data-incident-choice]")) {
    const form = choice.closest("form");
    const aim = () => { form.dataset.api = "/api/v1/incidents/" + choice.value + "/cases"; };
    choice.addEventListener("change", aim);
    aim();
  }

  // ---- Times in the reader's own zone -------------------------------------------------
  for (const t of document.querySelectorAll("time[data-local]")) {
    const d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) {
      t.textContent = d.toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    }
  }

  function localInputValue(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }
  for (const input of document.querySelectorAll("input[data-default-minutes]")) {
    if (!input.value) {
      const minutes = parseInt(input.dataset.defaultMinutes, 10) || 60;
      input.value = localInputValue(new Date(Date.now() + minutes * 60000));
    }
  }

  // ---- Forms sent to the API -----------------------------------------------------------
  function valueOf(el) {
    if (el.type === "checkbox") return el.checked;
    const v = el.value;
    // A comma-separated list (tags); empty is an empty list, not a missing field.
    if (el.dataset.type === "list") return v.split(",").map((t) => t.trim()).filter((t) => t !== "");
    // A field that may be cleared (a custom field): empty is null.
    if (v === "" && el.hasAttribute("data-nullable")) return null;
    if (v === "") return undefined;
    switch (el.dataset.type) {
      case "int": return parseInt(v, 10);
      case "bool": return v === "true";
      case "money": return Math.round(parseFloat(v) * 100);
      case "datetime": {
        const d = new Date(v);
        return isNaN(d) ? v : d.toISOString();
      }
      default: return v;
    }
  }

  function collect(scope, skipRows) {
    const out = {};
    for (const el of scope.querySelectorAll("input[name], select[name], textarea[name]")) {
      if (el.disabled || (skipRows && el.closest("[data-row]"))) continue;
      if (el.type === "radio" && !el.checked) continue;
      const v = valueOf(el);
      if (v === undefined) continue;
      // "fields.order_number" goes into {fields: {order_number: …}}.
      const dot = el.name.indexOf(".");
      if (dot > 0) {
        const group = el.name.slice(0, dot);
        out[group] = out[group] || {};
        out[group][el.name.slice(dot + 1)] = v;
      } else {
        out[el.name] = v;
      }
    }
    return out;
  }

  function formBody(form, submitter) {
    const body = collect(form, true);
    // Checkboxes elsewhere on the page that belong to this form (form="id") and say
    // data-many give a list of the checked values: the rows picked for a bulk change.
    if (form.id) {
      const picked = document.querySelectorAll('input[data-many][form="' + form.id + '"]');
      if (picked.length) {
        const name = picked[0].name;
        body[name] = Array.from(picked).filter((el) => el.checked).map((el) => parseInt(el.value, 10));
      }
    }
    for (const group of form.querySelectorAll("[data-rows]")) {
      body[group.dataset.rows] = Array.from(group.querySelectorAll("[data-row]"))
        .map((row) => collect(row, false))
        .filter((row) => Object.keys(row).length > 0);
    }
    if (submitter && submitter.name) {
      const v = valueOf(submitter);
      if (v !== undefined) body[submitter.name] = v;
    }
    return body;
  }

  function status(form, text, kind) {
    const out = form.querySelector(".form-status");
    if (!out) return;
    out.textContent = text;
    out.classList.toggle("error", kind === "error");
    out.classList.toggle("ok", kind === "ok");
  }

  const dialog = document.getElementById("confirm");
  // Asks in the page's dialog; `words` names the question and its two answers.
  function confirmFirst(text, words) {
    if (!dialog || typeof dialog.showModal !== "function") return Promise.resolve(window.confirm(text));
    const w = Object.assign({ title: "Are you sure?", ok: "Yes, go ahead", cancel: "Not now" }, words || {});
    dialog.querySelector("#confirm-title").textContent = w.title;
    dialog.querySelector("button[value=ok]").textContent = w.ok;
    dialog.querySelector("button[value=cancel]").textContent = w.cancel;
    dialog.querySelector("#confirm-text").textContent = text;
    return new Promise((resolve) => {
      const done = (event) => {
        const button = event.target.closest("button");
        if (!button) return;
        dialog.removeEventListener("click", done);
        dialog.close();
        resolve(button.value === "ok");
      };
      dialog.addEventListener("click", done);
      dialog.addEventListener("cancel", () => resolve(false), { once: true });
      dialog.showModal();
      dialog.querySelector("button.primary").focus();
    });
  }

  function reloadKeepingPlace() {
    sessionStorage.setItem("amends-scroll", String(window.scrollY));
    location.reload();
  }
  const scroll = sessionStorage.getItem("amends-scroll");
  if (scroll !== null) {
    sessionStorage.removeItem("amends-scroll");
    window.scrollTo(0, parseInt(scroll, 10) || 0);
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-api")) return;
    event.preventDefault();
    const submitter = event.submitter;
    // The button pressed may ask its own question (merging the selected cases).
    const ask = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (ask && !(await confirmFirst(ask))) return;
    if (form.dataset.guard === "coaching" && !(await coachingAllowsSending(form))) return;
    const body = form.hasAttribute("data-nobody") ? undefined : formBody(form, submitter);
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => b.setAttribute("aria-busy", "true"));
    status(form, "Saving…", "");
    try {
      const answer = await api(form.dataset.method || "POST", form.dataset.api, body);
      const then = form.dataset.then || "reload";
      if (then === "codes") {
        // Recovery codes are shown this once: in the page, never reloaded away.
        const list = document.querySelector("[data-codes]");
        list.replaceChildren(...(answer.recovery_codes || []).map((code) => {
          const li = document.createElement("li");
          li.textContent = code;
          return li;
        }));
        list.closest("[hidden]")?.removeAttribute("hidden");
        form.hidden = true;
        list.closest("section")?.querySelector("h2")?.focus();
      } else if (then.startsWith("go:")) {
        location.href = then.slice(3);
      } else if (then === "keep") {
        const noted = document.querySelector("[data-noted]");
        const text = form.querySelector("[name=text]");
        if (noted && text) {
          const li = document.createElement("li");
          li.textContent = text.value;
          noted.appendChild(li);
        }
        form.reset();
        status(form, "Noted.", "ok");
        if (text) text.focus();
      } else {
        reloadKeepingPlace();
      }
    } catch (error) {
      // The customer wrote again while this reply was written: read it, or send anyway.
      if (error.field === "answers_message_id" && body &&
          (await confirmFirst("The customer wrote again since you started this reply. Send it anyway?"))) {
        delete body.answers_message_id;
        try {
          await api(form.dataset.method || "POST", form.dataset.api, body);
          reloadKeepingPlace();
          return;
        } catch (again) {
          status(form, again.message, "error");
          return;
        }
      }
      status(form, error.message, "error");
    } finally {
      buttons.forEach((b) => b.removeAttribute("aria-busy"));
    }
  });

  // A select marked data-autosend sends its form when changed; filters submit on change.
  document.addEventListener("change", (event) => {
    const el = event.target;
    if (el.matches("select[data-autosend]") || el.closest("form[data-autosubmit]")) {
      el.form.requestSubmit();
    }
  });

  // ---- The plan editor: a new empty row on demand ----------------------------------------
  for (const group of document.querySelectorAll("[data-rows]")) {
    const add = document.createElement("button");
    add.type = "button";
    add.textContent = "Add a step";
    add.addEventListener("click", () => {
      const rows = group.querySelectorAll("[data-row]");
      const copy = rows[rows.length - 1].cloneNode(true);
      const n = rows.length;
      for (const el of copy.querySelectorAll("input")) {
        el.value = "";
        el.id = el.id.replace(/\d+$/, String(n));
      }
      for (const l of copy.querySelectorAll("label")) {
        l.htmlFor = l.htmlFor.replace(/\d+$/, String(n));
        if (/^Step \d+$/.test(l.textContent)) l.textContent = "Step " + (n + 1);
      }
      group.appendChild(copy);
      copy.querySelector("input").focus();
    });
    group.after(add);
  }

  // ---- The reply composer with live coaching --------------------------------------------
  const composer = document.querySelector("[data-composer]");
  let coachingState = null;
  let coachingRun = null;
  if (composer) {
    const area = composer.querySelector("textarea");
    const backdrop = composer.querySelector(".backdrop");
    const findingsList = composer.querySelector(".findings");
    const strengthsList = composer.querySelector(".strengths");
    const score = composer.querySelector(".score");
    const caseId = parseInt(composer.dataset.caseId, 10);
    let sequence = 0;
    let timer = null;

    const isNote = () => {
      const checked = composer.querySelector('input[name="direction"]:checked');
      return checked && checked.value === "note";
    };

    function paintBackdrop(text, findings) {
      backdrop.replaceChildren();
      let at = 0;
      const spans = findings
        .filter((f) => f.to > f.from)
        .sort((a, b) => a.from - b.from);
      for (const f of spans) {
        if (f.from < at) continue;
        backdrop.append(document.createTextNode(text.slice(at, f.from)));
        const mark = document.createElement("mark");
        mark.className = "finding-" + f.kind + " sev-" + f.severity;
        mark.textContent = text.slice(f.from, f.to);
        backdrop.append(mark);
        at = f.to;
      }
      backdrop.append(document.createTextNode(text.slice(at) + "\n"));
      backdrop.scrollTop = area.scrollTop;
    }

    function render() {
      const text = area.value;
      const result = coachingState && coachingState.text === text ? coachingState.result : null;
      const findings = result ? result.findings : [];
      paintBackdrop(text, findings);
      findingsList.replaceChildren();
      strengthsList.replaceChildren();
      score.textContent = result ? "Draft score " + result.score + " / 100" : "";
      if (!result) return;
      findings.forEach((f, index) => {
        const li = document.createElement("li");
        li.className = "finding sev-" + f.severity;
        li.dataset.kind = f.kind;
        const why = document.createElement("span");
        why.className = "why";
        why.textContent = f.message;
        li.append(why);
        if (f.suggestion) {
          const suggestion = document.createElement("span");
          suggestion.append(document.createTextNode(f.to > f.from ? "Instead: " : "Add: "));
          const q = document.createElement("q");
          q.textContent = f.suggestion.trim();
          suggestion.append(q);
          li.append(suggestion);
          const apply = document.createElement("button");
          apply.type = "button";
          apply.className = "apply";
          apply.dataset.index = String(index);
          apply.textContent = "Apply";
          apply.setAttribute("aria-label", "Apply the suggestion: " + f.suggestion.trim());
          li.append(" ", apply);
        }
        findingsList.append(li);
      });
      for (const s of result.strengths) {
        const li = document.createElement("li");
        li.className = "badge calm";
        li.textContent = "✓ " + s.kind.replace(/_/g, " ");
        strengthsList.append(li);
      }
    }

    async function check() {
      const text = area.value;
      const mine = ++sequence;
      if (!text.trim() || isNote()) {
        coachingState = null;
        render();
        return;
      }
      try {
        const result = await api("POST", "/api/v1/coach", { text, case_id: caseId });
        if (mine !== sequence) return;
        coachingState = { text, result };
        render();
      } catch (error) {
        score.textContent = "Coaching is unavailable: " + error.message;
      }
    }
    coachingRun = check;

    area.addEventListener("input", () => {
      render();
      clearTimeout(timer);
      timer = setTimeout(check, 150);
    });
    area.addEventListener("scroll", () => { backdrop.scrollTop = area.scrollTop; });

    // Who else has this case open, and who is typing: said and heard every 5 seconds.
    const presence = composer.querySelector("#presence");
    let lastTyped = 0;
    area.addEventListener("input", () => { lastTyped = Date.now(); });
    const beat = async () => {
      try {
        const heard = await api("PUT", "/api/v1/cases/" + caseId + "/presence", { typing: Date.now() - lastTyped < 6000 });
        presence.textContent = heard.others
          .map((o) => o.name + (o.typing ? " is typing a reply to this case." : " is also looking at this case."))
          .join(" ");
      } catch (_) { /* the next beat tries again */ }
    };
    if (presence) {
      beat();
      setInterval(beat, 5000);
    }

    // A canned reply goes in at the cursor with this case's values filled; its actions (status,
    // tags, taking the case) are taken by the desk, and the draft is coached as if typed.
    const canned = composer.querySelector("#canned");
    if (canned) {
      const cannedStatus = composer.querySelector(".canned-status");
      const insertCanned = async () => {
        if (!canned.value) return;
        try {
          const used = await api("POST", "/api/v1/cases/" + caseId + "/canned-replies/" + canned.value);
          const start = area.selectionStart ?? area.value.length;
          const end = area.selectionEnd ?? start;
          area.value = area.value.slice(0, start) + used.body + area.value.slice(end);
          area.dispatchEvent(new Event("input"));
          area.focus();
          cannedStatus.textContent = "Inserted “" + canned.selectedOptions[0].textContent + "”.";
          canned.value = "";
        } catch (error) {
          cannedStatus.textContent = error.message;
        }
      };
      composer.querySelector("#canned-insert").addEventListener("click", insertCanned);
      canned.addEventListener("keydown", (event) => {
        if (event.key === "Enter") { event.preventDefault(); insertCanned(); }
      });
    }
    // A suggested article's link goes in at the cursor: its button, or Alt+1, Alt+2, Alt+3
    // while writing.
    const insertArticle = (button) => {
      const text = button.dataset.title + ": " + button.dataset.link;
      const start = area.selectionStart ?? area.value.length;
      area.setRangeText(text, start, area.selectionEnd ?? start, "end");
      area.focus();
      area.dispatchEvent(new Event("input", { bubbles: true }));
    };
    const articleButtons = composer.querySelectorAll(".article-insert");
    articleButtons.forEach((button) => button.addEventListener("click", () => insertArticle(button)));
    area.addEventListener("keydown", (event) => {
      const n = parseInt(event.key, 10);
      if (!event.altKey || !(n >= 1 && n <= articleButtons.length)) return;
      event.preventDefault();
      insertArticle(articleButtons[n - 1]);
    });
    composer.addEventListener("change", (event) => {
      if (event.target.name === "direction") check();
    });
    findingsList.addEventListener("click", (event) => {
      const button = event.target.closest("button.apply");
      if (!button || !coachingState || coachingState.text !== area.value) return;
      const f = coachingState.result.findings[parseInt(button.dataset.index, 10)];
      area.setRangeText(f.suggestion, f.from, f.to, "end");
      area.focus();
      area.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  async function coachingAllowsSending(form) {
    const area = form.querySelector("textarea");
    const note = form.querySelector('input[name="direction"]:checked');
    if (!area || !coachingRun || (note && note.value === "note")) return true;
    if (!coachingState || coachingState.text !== area.value) await coachingRun();
    if (!coachingState || coachingState.text !== area.value) return true;
    const result = coachingState.result;
    const serious = result.findings.filter((f) => f.severity === "high");
    if (!result.needs_confirmation && serious.length === 0) return true;
    const first = serious[0] || result.findings[0];
    return confirmFirst("This draft still has a serious problem: " + (first ? first.message : "check the suggestions") + ".",
      { title: "Send it as it is?", ok: "Send anyway", cancel: "Keep editing" });
  }

  // ---- Keyboard -------------------------------------------------------------------------
  const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const rows = Array.from(document.querySelectorAll("tr.queue-row"));
    if (rows.length && (event.key === "j" || event.key === "k")) {
      const current = rows.findIndex((r) => r.contains(document.activeElement));
      const next = event.key === "j" ? Math.min(current + 1, rows.length - 1) : Math.max(current - 1, 0);
      rows.forEach((r) => r.classList.remove("selected"));
      rows[next].classList.add("selected");
      rows[next].querySelector("a.case-link").focus();
      event.preventDefault();
    } else if (event.key === "/" && document.querySelector("form.filters")) {
      document.querySelector("form.filters select").focus();
      event.preventDefault();
    } else if (event.key === "f" && document.querySelector("#quick-fact")) {
      document.querySelector("#quick-fact").focus();
      event.preventDefault();
    } else if (event.key === "c" && document.querySelector("#canned")) {
      document.querySelector("#canned").focus();
      event.preventDefault();
    } else if (event.key === "r" && document.querySelector("#reply")) {
      document.querySelector("#reply").focus();
      event.preventDefault();
    }
  });

  // ---- The queue keeps itself fresh -----------------------------------------------------
  const liveRows = document.querySelector("[data-live-rows]");
  let refreshRows = null;
  if (liveRows) {
    let last = liveRows.innerHTML;
    refreshRows = async () => {
      try {
        const response = await fetch(liveRows.dataset.liveRows, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (response.status === 401) return signIn();
        if (!response.ok) return;
        const html = await response.text();
        if (html === last) return;
        const focused = document.activeElement && document.activeElement.closest("tr.queue-row");
        const focusedId = focused ? focused.dataset.caseId : null;
        const picked = Array.from(liveRows.querySelectorAll("input[data-many]:checked")).map((el) => el.value);
        liveRows.innerHTML = html;
        last = liveRows.innerHTML;
        for (const value of picked) {
          const again = liveRows.querySelector('input[data-many][value="' + value + '"]');
          if (again) again.checked = true;
        }
        if (focusedId) {
          const again = liveRows.querySelector('tr[data-case-id="' + focusedId + '"] a.case-link');
          if (again) again.focus();
        }
      } catch (_) { /* offline for a moment: try again next time */ }
    };
    // The desk says when the queue changes (the live stream below); a slow read guards against
    // a stream that is down, and a browser without one reads every few seconds.
    const every = window.EventSource ? 60000 : parseInt(liveRows.dataset.interval || "3000", 10);
    setInterval(refreshRows, every);
  }

  // ---- Chats live: a line or the customer typing, told by the desk as it happens ---------
  const liveChat = document.querySelector("[data-live-chat]");
  const customerTyping = liveChat && document.querySelector("#presence")
    ? document.querySelector("#presence").insertAdjacentElement("afterend",
      Object.assign(document.createElement("p"), { id: "customer-typing", className: "presence" }))
    : null;
  if (customerTyping) customerTyping.setAttribute("aria-live", "polite");
  // The case page's timeline read again; on a chat the reply answers the latest line shown.
  const refreshTimeline = async () => {
    try {
      const response = await fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector("#timeline");
      if (fresh) liveChat.replaceChildren(...Array.from(fresh.childNodes).map((n) => document.adoptNode(n)));
      const latest = page.querySelector('input[name="answers_message_id"]');
      const form = document.querySelector("#reply-form");
      const mine = form && form.querySelector('input[name="answers_message_id"]');
      if (latest && mine) mine.value = latest.value;
      else if (latest && form) form.prepend(document.adoptNode(latest));
      if (customerTyping) customerTyping.textContent = "";
    } catch (_) { /* the next line tries again */ }
  };
  if ((liveRows || liveChat || document.querySelector("[data-live-page]")) && window.EventSource) {
    const events = new EventSource("/live");
    const ours = (data) => liveChat && String(data.chat) === liveChat.dataset.liveChat;
    const livePage = document.querySelector("[data-live-page]");
    let reloading = null;
    events.addEventListener("line", (event) => {
      const data = JSON.parse(event.data);
      if (livePage && !reloading) reloading = setTimeout(reloadKeepingPlace, 300);
      if (refreshRows) refreshRows();
      if (ours(data)) refreshTimeline();
    });
    events.addEventListener("typing", (event) => {
      const data = JSON.parse(event.data);
      if (customerTyping && ours(data) && data.from === "customer") {
        customerTyping.textContent = data.on ? "The customer is typing…" : "";
      }
    });
    // Many changes at once (a bulk action, a batch of jobs) read the queue once.
    let soon = null;
    events.addEventListener("desk", () => {
      if (livePage && !reloading) reloading = setTimeout(reloadKeepingPlace, 300);
      if (refreshRows && !soon) soon = setTimeout(() => { soon = null; refreshRows(); }, 200);
    });
    events.addEventListener("resync", () => {
      if (refreshRows) refreshRows();
      if (liveChat) refreshTimeline();
    });
  }

  // ---- The call assistant ---------------------------------------------------------------
  const timer = document.querySelector("[data-timer]");
  if (timer) {
    const started = Date.now();
    setInterval(() => {
      const s = Math.floor((Date.now() - started) / 1000);
      timer.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    }, 1000);
  }
  const steps = document.querySelector("[data-steps]");
  if (steps) {
    const sections = Array.from(steps.querySelectorAll("[data-step]"));
    const show = (id) => {
      const target = sections.find((s) => s.id === id) || sections[0];
      sections.forEach((s) => { s.hidden = s !== target; });
      for (const link of document.querySelectorAll(".steps-nav a")) {
        if (link.getAttribute("href") === "#" + target.id) link.setAttribute("aria-current", "step");
        else link.removeAttribute("aria-current");
      }
      return target;
    };
    show(location.hash.slice(1));
    window.addEventListener("hashchange", () => {
      const id = location.hash.slice(1);
      if (sections.some((s) => s.id === id)) show(id).querySelector("h2").focus();
    });
    for (const s of sections) s.querySelector("h2").tabIndex = -1;
  }
})();
