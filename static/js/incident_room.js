// The live incident room: keeps the incident page current without reloading.
//
// It opens /ws/incidents/<ref>/, says {"type": "hello", "after": <last seq on the page>},
// and the server replays what the page missed, then pushes every new event, the
// incident's state after each change, and who else is here. Writes still go over HTTP
// (the page's forms); the socket only listens. On a dropped connection it shows
// "Reconnecting…", retries with backoff, and the next hello fills the gap: events are
// placed in the order they happened and never shown twice. When the person's access ends
// (signed out, removed from the team or the incident, made private …) the server says
// "access_ended" and closes with 4403: the page then shows "Access ended" with a way to
// reload or sign in, and stops reconnecting. A reconnect the server refuses is checked the
// same way, over HTTP.
(function () {
  "use strict";

  const timeline = document.getElementById("timeline");
  if (!timeline || !("WebSocket" in window)) return;

  const ref = timeline.dataset.ref;
  const me = Number(timeline.dataset.userId);
  const canEdit = timeline.dataset.canEdit === "true";
  const isAdmin = timeline.dataset.isAdmin === "true";
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById("live-status");
  const presence = document.getElementById("presence");
  const HEARTBEAT_MS = 25000;
  const MAX_BACKOFF_MS = 15000;

  // lastSeq: every event up to it is on the page. Events from different server processes
  // can arrive out of order, so a later one may already be here (seen) while an earlier
  // one is still on its way; a reconnect asks again from lastSeq and skips what it has.
  let lastSeq = Number(timeline.dataset.lastSeq) || 0;
  const seen = new Set();
  let socket = null;
  let attempts = 0;
  let heartbeat = null;
  let closing = false;
  let ended = false;
  const ACCESS_ENDED = 4403;

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  // The room has stopped for good: say so, and offer the way back in.
  function endAccess(detail) {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    if (socket) socket.close();
    setStatus("ended", "Access ended");
    status.title = detail;
    const note = document.createElement("span");
    note.className = "live-ended";
    note.id = "live-ended";
    const reload = document.createElement("a");
    reload.href = location.pathname;
    reload.textContent = "Reload";
    const signIn = document.createElement("a");
    signIn.href = "/accounts/login/?next=" + encodeURIComponent(location.pathname);
    signIn.textContent = "sign in";
    note.append(`${detail} `, reload, " or ", signIn, ".");
    status.after(note);
    // Nothing on the page works for this person any more: say so by disabling it, rather
    // than leave buttons that would only answer with an error.
    presence.replaceChildren();
    document.querySelectorAll("main form").forEach((form) => {
      form.inert = true;
      form.classList.add("access-ended");
    });
  }

  // A connection the server refused before opening: is the page itself still ours to
  // see? A 404 or a redirect to the login page means access ended; anything else
  // (a server restarting) is worth another try.
  async function stillAllowed() {
    try {
      const response = await fetch(location.pathname, {
        method: "HEAD", credentials: "same-origin", redirect: "manual", cache: "no-store",
      });
      return !(response.type === "opaqueredirect" || [401, 403, 404].includes(response.status));
    } catch (error) {
      return true;
    }
  }

  function fromHTML(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }

  // Fragments from the server are rendered for no one in particular: fill in this
  // page's CSRF token and drop the controls this person may not use.
  function adapt(root) {
    root.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach((input) => {
      input.value = csrfToken;
    });
    root.querySelectorAll('[data-requires="edit"]').forEach((el) => {
      if (!canEdit) el.remove();
    });
    root.querySelectorAll('[data-requires="strike"]').forEach((el) => {
      const mine = Number(el.dataset.author) === me;
      if (!(canEdit && (isAdmin || mine))) el.remove();
    });
    // Read-only stand-ins for controls this person has.
    root.querySelectorAll('[data-unless="edit"]').forEach((el) => {
      if (canEdit) el.remove();
    });
    localizeTimes(root);
    return root;
  }

  // Times: fragments come rendered in UTC; show them as the server shows this person's
  // page: "15:12 CET" today, "Nov 21, 15:12 CET" this year, "Nov 21 2025, 15:12 CET".
  const timeZone = timeline.dataset.timeZone || "UTC";
  const zoneNames = JSON.parse(timeline.dataset.zoneNames || "{}");
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function zoneParts(date) {
    const parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone, year: "numeric", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "longOffset",
    }).formatToParts(date).forEach((part) => { parts[part.type] = part.value; });
    return parts;
  }

  function formatWhen(date) {
    const at = zoneParts(date);
    const today = zoneParts(new Date());
    const offset = at.timeZoneName === "GMT" ? "+00:00" : at.timeZoneName.replace("GMT", "");
    const clock = `${at.hour}:${at.minute} ${zoneNames[offset] || at.timeZoneName}`;
    if (at.year === today.year && at.month === today.month && at.day === today.day) return clock;
    const year = at.year === today.year ? "" : ` ${at.year}`;
    return `${MONTHS[Number(at.month) - 1]} ${at.day}${year}, ${clock}`;
  }

  function localizeTimes(root) {
    root.querySelectorAll("time[data-when]").forEach((time) => {
      const date = new Date(time.getAttribute("datetime"));
      if (!Number.isNaN(date.getTime())) time.textContent = formatWhen(date);
    });
  }

  function seqOf(node) {
    return Number(node.dataset.seq);
  }

  // The timeline is in the order things happened (occurred_at, as UTC text that sorts),
  // seq breaking ties: a back-dated note lands where it belongs, not at the end.
  function comesBefore(node, occurred, seq) {
    const theirs = node.dataset.occurred || "";
    return theirs < occurred || (theirs === occurred && seqOf(node) < seq);
  }

  // Insert an event in time order; an event already on the page is left alone.
  function addEvent(event) {
    if (document.getElementById("event-" + event.seq)) return;
    const item = adapt(fromHTML(event.html)).firstElementChild;
    item.classList.add("event-new");
    const occurred = item.dataset.occurred || "";
    let before = null;
    for (const existing of timeline.children) {
      if (!comesBefore(existing, occurred, event.seq)) {
        before = existing;
        break;
      }
    }
    timeline.insertBefore(item, before);
    seen.add(event.seq);
    while (seen.has(lastSeq + 1)) seen.delete(++lastSeq);
    // Say what happened, for the panels capabilities add to the page (paging's refreshes
    // itself on room:page): the room itself knows nothing of them.
    timeline.dispatchEvent(
      new CustomEvent(`room:${event.kind}`, { bubbles: true, detail: { seq: event.seq } }),
    );
  }

  function replaceEvent(event) {
    const current = document.getElementById("event-" + event.seq);
    if (current) current.replaceWith(adapt(fromHTML(event.html)).firstElementChild);
  }

  // The last fragment swapped into each element: an unchanged one is left alone, so a
  // note from someone else does not wipe what this person is typing beside the buttons.
  const swapped = {};

  function setHTML(id, html) {
    const el = document.getElementById(id);
    if (!el || html === undefined || swapped[id] === html) return;
    swapped[id] = html;
    // Keep what the person is doing there: typed text, an opened card, the focus.
    const typed = {};
    el.querySelectorAll("input[type=text], textarea").forEach((input) => {
      if (input.name && input.value !== input.defaultValue) typed[input.name] = input.value;
    });
    const opened = [...el.querySelectorAll("details[open] > summary")].map((s) => s.textContent);
    const focused = el.contains(document.activeElement) ? document.activeElement.id : "";
    el.replaceChildren(adapt(fromHTML(html)));
    el.querySelectorAll("input[type=text], textarea").forEach((input) => {
      if (input.name in typed) input.value = typed[input.name];
    });
    el.querySelectorAll("details > summary").forEach((summary) => {
      if (opened.includes(summary.textContent)) summary.parentElement.open = true;
    });
    const refocus = focused && document.getElementById(focused);
    if (refocus && el.contains(refocus)) refocus.focus();
  }

  // Page element id -> fragment in the live `incident` message (incidents/display.py).
  const FRAGMENTS = {
    "incident-badges": "head_html",
    "incident-actions": "actions_html",
    severity: "severity_html",
    roles: "roles_html",
    facts: "facts_html",
    summary: "summary_html",
    merge: "merge_html",
    edit: "edit_html",
  };

  function updateIncident(incident) {
    document.getElementById("incident-title").textContent = incident.title;
    document.title = `${incident.ref} ${incident.title} · Keel`;
    for (const [id, key] of Object.entries(FRAGMENTS)) setHTML(id, incident[key]);
    // Controls that are not fragments (their content depends on who is looking).
    document.querySelectorAll("[data-statuses]").forEach((form) => {
      form.hidden = !form.dataset.statuses.split(" ").includes(incident.status);
    });
    document.body.dataset.status = incident.status;
  }

  function showPresence(users) {
    presence.replaceChildren(
      ...users.map((user) => {
        const badge = document.createElement("span");
        badge.className = "presence-person" + (user.id === me ? " presence-me" : "");
        badge.textContent = user.name;
        badge.title = user.id === me ? "You" : `${user.name} is looking at this incident`;
        return badge;
      }),
    );
    presence.dataset.count = String(users.length);
  }

  const handlers = {
    event: (message) => addEvent(message.event),
    event_update: (message) => replaceEvent(message.event),
    incident: (message) => {
      updateIncident(message.incident);
      setStatus("live", "Live");
    },
    presence: (message) => showPresence(message.users),
    error: (message) => console.warn("incident room:", message.detail),
    access_ended: (message) => endAccess(message.detail),
  };

  function connect() {
    if (ended) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/incidents/${encodeURIComponent(ref)}/`);
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      attempts = 0;
      socket.send(JSON.stringify({ type: "hello", after: lastSeq }));
      heartbeat = setInterval(() => socket.send(JSON.stringify({ type: "ping" })), HEARTBEAT_MS);
    });
    socket.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      const handle = handlers[data.type];
      if (handle) handle(data);
    });
    socket.addEventListener("close", async (event) => {
      clearInterval(heartbeat);
      if (closing || ended) return;
      if (event.code === ACCESS_ENDED) {
        endAccess("You can no longer see this incident here.");
        return;
      }
      setStatus("reconnecting", "Reconnecting…");
      if (!opened && !(await stillAllowed())) {
        endAccess("You can no longer see this incident here.");
        return;
      }
      // Back off 0.5 s, 1 s, 2 s … up to 15 s, with jitter so a restarted server is not
      // hit by every browser at the same instant.
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempts) * (0.75 + Math.random() / 2);
      attempts += 1;
      setTimeout(connect, delay);
    });
  }

  window.addEventListener("pagehide", () => {
    closing = true;
    if (socket) socket.close();
  });
  // Exposed for tests and the curious: the seq this page has caught up to.
  window.keelRoom = { get lastSeq() { return lastSeq; }, get socket() { return socket; } };
  connect();
})();
