{% load static %}// Keel's service worker (served at /sw.js by keel/pwa.py). It caches nothing: every page
// of Keel needs a login and is always fetched live. It shows the pages pushed to this device
// (incidents/paging/senders.py webpush_payload) with Acknowledge and Open, and acknowledges
// through the page's signed, single-use link, then says how that went.
"use strict";

const ICON = "{% static 'img/icon-192.png' %}";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function readPush(event) {
  if (!event.data) return {};
  try {
    return event.data.json();
  } catch (error) {
    return { title: "Keel", body: event.data.text() };
  }
}

self.addEventListener("push", (event) => {
  const page = readPush(event);
  const urgent = page.severity === "SEV1" || page.severity === "SEV2";
  const options = {
    body: page.body || "",
    icon: ICON,
    badge: ICON,
    // One notification per incident: a repeat page replaces it and rings again.
    tag: page.ref ? "keel-" + page.ref : "keel",
    renotify: true,
    requireInteraction: urgent,
    data: { url: page.url || "/", ackUrl: page.ack_url || "", ref: page.ref || "" },
    actions: page.ack_url
      ? [{ action: "acknowledge", title: "Acknowledge" }, { action: "open", title: "Open" }]
      : [{ action: "open", title: "Open" }],
  };
  event.waitUntil(self.registration.showNotification(page.title || "Keel", options));
});

async function acknowledge(data) {
  let said;
  try {
    // No cookies: the signed link is what authorizes it (incidents/paging/views.py).
    const response = await fetch(data.ackUrl, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: "action=acknowledge",
    });
    const answer = await response.json().catch(() => ({}));
    said = answer.message || answer.error || "Keel answered " + response.status + ".";
  } catch (error) {
    said = "Could not reach Keel. Open the incident to acknowledge.";
  }
  await self.registration.showNotification((data.ref ? data.ref + ": " : "") + said, {
    body: said,
    icon: ICON,
    tag: data.ref ? "keel-" + data.ref : "keel",
    data: { url: data.url, ackUrl: "", ref: data.ref },
    actions: [{ action: "open", title: "Open" }],
  });
}

async function open(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).pathname === new URL(url, self.location.origin).pathname) {
      return client.focus();
    }
  }
  return self.clients.openWindow(url);
}

self.addEventListener("notificationclick", (event) => {
  const data = event.notification.data || {};
  event.notification.close();
  if (event.action === "acknowledge" && data.ackUrl) {
    event.waitUntil(acknowledge(data));
  } else {
    event.waitUntil(open(data.url || "/"));
  }
});
