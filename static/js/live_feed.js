// The live incident feed: pages that list incidents (the incident list, a service page)
// keep those lists current without a reload.
//
// While the page has an element marked data-live-feed (with an id), it keeps a socket open
// to /ws/feed/. The server says only {"type": "changed", "ref": …} when an incident this
// person may see changes (incidents/feed.py); the page then fetches itself again over
// HTTP and swaps in the marked elements, so they show exactly what a fresh load would. A
// reconnect fetches them once too, covering whatever was said while the socket was down.
// When the person's session ends the server says "access_ended" and closes with 4403:
// the feed stops (the next click leads to the login page).
(function () {
  "use strict";

  if (!("WebSocket" in window)) return;

  const HEARTBEAT_MS = 25000;
  const MAX_BACKOFF_MS = 15000;
  const SETTLE_MS = 500; // changes arriving together (an alert storm) are fetched once
  const ACCESS_ENDED = 4403;
  let socket = null;
  let state = "off";
  // Also on <html> (which boosted navigation keeps), for tests and the curious.
  function setState(value) {
    state = value;
    document.documentElement.dataset.feed = value;
  }
  let attempts = 0;
  let heartbeat = null;
  let retry = null;
  let pending = null;
  let ended = false;
  let caughtUp = true; // false after a drop: the next open fetches the lists again

  function regions() {
    return [...document.querySelectorAll("[data-live-feed][id]")];
  }

  function refresh() {
    pending = null;
    for (const region of regions()) {
      const selector = "#" + CSS.escape(region.id);
      window.htmx.ajax("GET", location.href, { target: selector, select: selector, swap: "outerHTML" });
    }
  }

  function soon() {
    if (!pending) pending = setTimeout(refresh, SETTLE_MS);
  }

  function connect() {
    retry = null;
    if (ended || socket || !regions().length) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const current = new WebSocket(`${scheme}://${location.host}/ws/feed/`);
    socket = current;
    setState("connecting");
    current.addEventListener("open", () => {
      attempts = 0;
      setState("live");
      if (!caughtUp) soon();
      caughtUp = true;
      heartbeat = setInterval(() => current.send(JSON.stringify({ type: "ping" })), HEARTBEAT_MS);
    });
    current.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "changed") soon();
      else if (data.type === "access_ended") ended = true;
    });
    current.addEventListener("close", (event) => {
      clearInterval(heartbeat);
      if (socket !== current) return; // closed on purpose (the page no longer lists any)
      socket = null;
      setState("off");
      if (event.code === ACCESS_ENDED) ended = true;
      if (ended) return;
      caughtUp = false;
      // Back off 0.5 s, 1 s, 2 s … up to 15 s, with jitter, as the room does.
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempts) * (0.75 + Math.random() / 2);
      attempts += 1;
      retry = setTimeout(connect, delay);
    });
  }

  // On every page, and after every boosted navigation: open the socket when the page
  // lists incidents, close it when it no longer does.
  function sync() {
    if (regions().length) {
      if (!socket && !retry) connect();
    } else if (socket) {
      const current = socket;
      socket = null;
      setState("off");
      current.close();
    }
  }

  // A fetch that comes back without the part (the session ended and the login page
  // answered) leaves the page as it was rather than emptying it.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (target && target.hasAttribute && target.hasAttribute("data-live-feed")) {
      const marker = `id="${target.id}"`;
      if (!(event.detail.serverResponse || "").includes(marker)) event.detail.shouldSwap = false;
    }
  });
  document.addEventListener("htmx:afterSettle", sync);
  window.addEventListener("pagehide", () => {
    if (socket) {
      const current = socket;
      socket = null;
      current.close();
    }
  });
  // "off", "connecting" or "live".
  window.keelFeed = { get state() { return state; } };
  sync();
})();
