// The app's own JavaScript: small progressive enhancements. Every page works without it.
(function () {
  "use strict";
  // Keep the CSRF header fresh for htmx even if a fragment replaced the body attribute.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });
})();
