// Keel as an installable app: registers the service worker (/sw.js, templates/pwa/sw.js)
// and runs the profile's "Enable notifications on this device": asks the browser for
// permission, subscribes with the server's VAPID public key and stores the subscription
// (POST /api/v1/push-subscriptions/) under the name given.
(function () {
  "use strict";

  const workers = "serviceWorker" in navigator;
  if (workers) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});

  function keyBytes(base64url) {
    const base64 = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4))
      .replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }

  function sameKey(buffer, bytes) {
    if (!buffer) return false;
    const have = new Uint8Array(buffer);
    return have.length === bytes.length && have.every((b, i) => b === bytes[i]);
  }

  function guessName() {
    const ua = navigator.userAgent;
    const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox"
      : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
    const system = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS"
      : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows"
      : /Linux/.test(ua) ? "Linux" : "";
    return system ? browser + " on " + system : browser;
  }

  function say(box, text, error) {
    const out = box.querySelector("[data-push-status]");
    out.textContent = text;
    out.classList.toggle("error", Boolean(error));
  }

  async function enable(box) {
    if (!workers || !("PushManager" in window) || !("Notification" in window)) {
      say(box, "This browser cannot receive push notifications here. On an iPhone or iPad, " +
        "add Keel to the Home Screen first (Share, then Add to Home Screen), open it from " +
        "there and enable notifications on its profile page.", true);
      return;
    }
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      say(box, "Notifications are blocked for Keel in this browser: allow them in the " +
        "site's settings, then try again.", true);
      return;
    }
    const key = keyBytes(box.dataset.vapidKey);
    const registration = await navigator.serviceWorker.ready;
    let subscription = await registration.pushManager.getSubscription();
    if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
      await subscription.unsubscribe(); // made for another server key: useless now
      subscription = null;
    }
    if (!subscription) {
      subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: key,
      });
    }
    const input = box.querySelector("[name=device_name]");
    const name = input.value.trim() || guessName();
    const csrf = document.querySelector("meta[name=csrf-token]").content;
    const response = await fetch("/api/v1/push-subscriptions/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(Object.assign(subscription.toJSON(), { name: name })),
    });
    if (response.status === 201) {
      say(box, "Notifications are on for " + name + ".");
      window.location.reload();
      return;
    }
    const answer = await response.json().catch(() => ({}));
    say(box, "Not saved: " + (answer.detail || "Keel answered " + response.status + "."), true);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-push-enable]");
    if (!button) return;
    event.preventDefault();
    const box = button.closest("[data-push-box]");
    say(box, "Asking this browser…");
    enable(box).catch((error) => say(box, "Could not enable notifications: " + error.message, true));
  });

  function prefill() {
    document.querySelectorAll("[data-push-box] [name=device_name]").forEach((input) => {
      if (!input.value) input.value = guessName();
    });
  }
  document.addEventListener("DOMContentLoaded", prefill);
  document.addEventListener("htmx:afterSettle", prefill);
})();
