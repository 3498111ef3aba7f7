// Check-in: scan the ticket's QR code with the device camera where the browser offers a
// BarcodeDetector. Without it (or without JavaScript) the scanner stays hidden and staff type
// the code; the page works the same either way.
(function () {
  "use strict";
  var scanner = document.querySelector("[data-scanner]");
  var form = document.querySelector("[data-checkin-form]");
  if (!scanner || !form || !("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  var input = form.querySelector("input[name=code]");
  var video = scanner.querySelector("[data-scan-video]");
  var toggle = scanner.querySelector("[data-scan-toggle]");
  var status = scanner.querySelector("[data-scan-status]");
  var detector = null, stream = null, timer = null;

  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") === -1) { return; }
    detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    scanner.hidden = false;
  });

  function stop() {
    clearTimeout(timer);
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    toggle.textContent = "Scan QR code with the camera";
  }

  function scan() {
    detector.detect(video).then(function (codes) {
      if (codes.length && codes[0].rawValue) {
        input.value = codes[0].rawValue;
        status.textContent = "QR code read. Looking up the booking…";
        stop();
        form.submit();
      } else {
        timer = setTimeout(scan, 200);
      }
    }).catch(function () { timer = setTimeout(scan, 400); });  // video not ready yet
  }

  toggle.addEventListener("click", function () {
    if (stream) { stop(); status.textContent = ""; return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        video.play();
        toggle.textContent = "Stop scanning";
        status.textContent = "Point the camera at the ticket's QR code.";
        scan();
      })
      .catch(function (error) {
        status.textContent = "The camera could not be started (" + error.name + "). Type the code instead.";
      });
  });
  window.addEventListener("pagehide", stop);
})();
