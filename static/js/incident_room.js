// The live incident room: keeps the incident page current without reloading.
//
// It opens /ws/incidents/<ref>/, says {"type": "hello", "after": <last seq on the page>},
// and the server replays what the page missed, then pushes every new event, the
// incident's state after each change, and who else is here. Writes still go over HTTP
// (the page's forms); the socket only listens. On a dropped connection it shows
// "Reconnecting…", retries with backoff, and the next hello fills the gap: events are
// placed by seq and never shown twice. When the person's access ends (signed out, removed
// from the team or the incident, made private …) the server says "access_ended" and closes
// with 4403: the page then shows "Access ended" with a way to reload or sign in, and stops
// reconnecting. A reconnect the server refuses is checked the same way, over HTTP.
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
    return root;
  }

  function seqOf(node) {
    return Number(node.dataset.seq);
  }

  // Insert an event in seq order; an event already on the page is left alone.
  function addEvent(event) {
    if (document.getElementById("event-" + event.seq)) return;
    const item = adapt(fromHTML(event.html)).firstElementChild;
    item.classList.add("event-new");
    let before = null;
    for (const existing of timeline.children) {
      if (seqOf(existing) > event.seq) {
        before = existing;
        break;
      }
    }
    timeline.insertBefore(item, before);
    seen.add(event.seq);
    while (seen.has(lastSeq + 1)) seen.delete(++lastSeq);
  }

  function replaceEvent(event) {
    const current = document.getElementById("event-" + event.seq);
    if (current) current.replaceWith(adapt(fromHTML(event.html)).firstElementChild);
  }

  function setHTML(id, html) {
    const el = document.getElementById(id);
    if (el) el.replaceChildren(adapt(fromHTML(html)));
  }

  function updateIncident(incident) {
    document.getElementById("incident-title").textContent = incident.title;
    document.title = `${incident.ref} ${incident.title} · Keel`;
    setHTML("incident-badges", incident.head_html);
    setHTML("roles", incident.roles_html);
    setHTML("facts", incident.facts_html);
    setHTML("summary", incident.summary_html);
    document.querySelectorAll("[data-statuses]").forEach((form) => {
      form.hidden = !form.dataset.statuses.split(" ").includes(incident.status);
    });
    updateStatusChoices(incident.allowed_moves.filter((move) => move !== "merged"));
    const severity = document.querySelector('select[name="severity"]');
    if (severity && document.activeElement !== severity) severity.value = incident.severity;
  }

  function updateStatusChoices(moves) {
    const card = document.getElementById("status-card");
    const select = card && card.querySelector('select[name="status"]');
    if (!select) return;
    const current = [...select.options].map((option) => option.value);
    if (current.join() !== moves.join()) {
      const labels = { triggered: "Triggered", investigating: "Investigating",
        identified: "Identified", monitoring: "Monitoring", resolved: "Resolved",
        declined: "Declined" };
      select.replaceChildren(...moves.map((move) => new Option(labels[move] || move, move)));
    }
    card.hidden = moves.length === 0;
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
