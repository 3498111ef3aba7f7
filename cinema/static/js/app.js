// The app's own JavaScript: small progressive enhancements. Every page works without it.
(function () {
  "use strict";

  // Keep the CSRF header fresh for htmx even if a fragment replaced the body attribute.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });

  // Hold countdown: <time data-countdown="ISO"> shows the expiry time without JS; with JS a
  // live "m:ss left" next to it, and the pay button is disabled once the hold has run out.
  function startCountdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      if (el.dataset.countdownStarted) { return; }
      el.dataset.countdownStarted = "1";
      var until = Date.parse(el.dataset.countdown);
      var left = el.parentElement.querySelector("[data-countdown-left]");
      function tick() {
        var seconds = Math.max(0, Math.round((until - Date.now()) / 1000));
        if (left) {
          left.hidden = false;
          left.textContent = seconds > 0
            ? Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0") + " left"
            : "The hold has expired.";
        }
        if (seconds === 0) {
          document.querySelectorAll("[data-disable-on-expiry]").forEach(function (b) { b.disabled = true; });
          return;
        }
        window.setTimeout(tick, 1000);
      }
      tick();
    });
  }
  document.addEventListener("DOMContentLoaded", startCountdowns);
  document.addEventListener("htmx:afterSettle", startCountdowns);

  // Box office: Enter in one of its fields sells. The seat form's first button (and so the
  // one Enter would press) holds the seats as the clerk's own booking.
  document.addEventListener("keydown", function (event) {
    var field = event.key === "Enter" && event.target.closest
      ? event.target.closest(".box-office input") : null;
    var sell = field && field.closest(".box-office").querySelector("button[formaction]");
    if (sell) {
      event.preventDefault();
      sell.click();
    }
  });

  // Section links scrolled sideways on a phone: the current one in view, the page left alone.
  document.addEventListener("DOMContentLoaded", function () {
    var current = document.querySelector('.sub-nav a[aria-current="page"]');
    var row = current && current.closest("ul");
    if (row && row.scrollWidth > row.clientWidth) {
      row.scrollLeft = current.offsetLeft - (row.clientWidth - current.offsetWidth) / 2;
    }
  });
})();
