// The seat map, enhanced. Without this file the map is a plain form of checkboxes; with it:
// - one tab stop (a roving tabindex): arrow keys move across seats and rows, Home/End to the
//   row's ends (Ctrl: the map's), Page Up/Down to the first/last row, Space or Enter ticks;
// - seats that cannot be chosen stay focusable (aria-disabled) so they are heard, not skipped;
// - a live refresh that patches only the seats whose state changed, never replacing the map,
//   so focus, ticks and scroll stay where they are; a polite message says how many changed, and
//   a ticked seat someone else took is unticked with a visible message;
// - on a narrow screen, a written cue when rows pan sideways.
(function () {
  "use strict";

  var REFRESH_MS = 5000;

  function seatInputs(scope) { return Array.prototype.slice.call(scope.querySelectorAll(".seat input")); }
  function labelOf(input) { return input.closest(".seat"); }
  function seatName(label) { return label.title.split(" · ")[0]; }

  function setAvailable(input, available) {
    // Unavailable seats stay in the tab order of the map (for their announced state) but never tick.
    input.disabled = false;
    if (available) { input.removeAttribute("aria-disabled"); } else { input.setAttribute("aria-disabled", "true"); }
  }

  function isAvailable(input) { return input.getAttribute("aria-disabled") !== "true"; }

  function Grid(map) {
    this.map = map;
    this.rows = Array.prototype.slice.call(map.querySelectorAll(".seat-row")).map(function (row) {
      return seatInputs(row);
    }).filter(function (row) { return row.length > 0; });
  }

  Grid.prototype.position = function (input) {
    for (var r = 0; r < this.rows.length; r++) {
      var c = this.rows[r].indexOf(input);
      if (c !== -1) { return { row: r, index: c }; }
    }
    return null;
  };

  // The seat of row ``r`` nearest (by layout column) to ``input``'s column.
  Grid.prototype.nearest = function (r, input) {
    var col = Number(labelOf(input).dataset.col);
    var best = null, bestDistance = Infinity;
    this.rows[r].forEach(function (candidate) {
      var distance = Math.abs(Number(labelOf(candidate).dataset.col) - col);
      if (distance < bestDistance) { best = candidate; bestDistance = distance; }
    });
    return best;
  };

  Grid.prototype.target = function (input, event) {
    var at = this.position(input);
    if (!at) { return null; }
    var row = this.rows[at.row], last = this.rows.length - 1;
    switch (event.key) {
      case "ArrowRight": return row[Math.min(at.index + 1, row.length - 1)];
      case "ArrowLeft": return row[Math.max(at.index - 1, 0)];
      case "ArrowDown": return this.nearest(Math.min(at.row + 1, last), input);
      case "ArrowUp": return this.nearest(Math.max(at.row - 1, 0), input);
      case "Home": return event.ctrlKey ? this.rows[0][0] : row[0];
      case "End": return event.ctrlKey ? this.rows[last][this.rows[last].length - 1] : row[row.length - 1];
      case "PageUp": return this.nearest(0, input);
      case "PageDown": return this.nearest(last, input);
      default: return null;
    }
  };

  // The seat that holds the map's one tab stop at first: a ticked seat, else the free seat
  // nearest the middle of the middle row, else the first seat.
  function initialStop(grid, inputs) {
    var ticked = inputs.filter(function (i) { return i.checked; })[0];
    if (ticked) { return ticked; }
    var free = inputs.filter(isAvailable);
    if (!free.length) { return inputs[0]; }
    var middle = grid.rows[Math.floor(grid.rows.length / 2)];
    var probe = middle[Math.floor(middle.length / 2)];
    var probeAt = grid.position(probe);
    var best = free[0], bestDistance = Infinity;
    free.forEach(function (input) {
      var at = grid.position(input);
      var distance = Math.abs(at.row - probeAt.row) * 100 +
        Math.abs(Number(labelOf(input).dataset.col) - Number(labelOf(probe).dataset.col));
      if (distance < bestDistance) { best = input; bestDistance = distance; }
    });
    return best;
  }

  // Seats sold together (booking/seat_pairs.py): both halves of a couple seat tick together; a
  // companion seat brings its wheelchair space, and unticking the space drops its companion.
  // The server refuses a split pair whatever this does; this only saves the patron a refusal.
  function tickPartner(map, input) {
    var label = labelOf(input), kind = label.dataset.pair;
    var partnerLabel = kind && map.querySelector('.seat[data-seat="' + label.dataset.partner + '"]');
    if (!partnerLabel) { return; }
    var partner = partnerLabel.querySelector("input");
    if (partner.checked === input.checked || !isAvailable(partner)) { return; }
    if (kind === "couple" || (kind === "companion" && input.checked) || (kind === "space" && !input.checked)) {
      partner.checked = input.checked;
      announce(seatName(partnerLabel) + (input.checked ? " ticked too." : " unticked too."));
    }
  }

  function rove(map, input) {
    seatInputs(map).forEach(function (other) { other.tabIndex = other === input ? 0 : -1; });
  }

  function announce(text) {
    var region = document.getElementById("seat-map-announce");
    if (!region) { return; }
    region.textContent = "";
    // A fresh text node after a tick makes screen readers announce a repeated message too.
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function notice(text) {
    var box = document.getElementById("seat-map-notice");
    if (!box) { return; }
    box.textContent = text;
    box.hidden = !text;
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function describe(taken, freed) {
    var parts = [];
    if (taken) { parts.push(plural(taken, "seat was", "seats were") + " just taken"); }
    if (freed) { parts.push(plural(freed, "seat", "seats") + " just became free"); }
    return parts.join("; ") + ".";
  }

  // Copy the state of every seat that changed from a freshly rendered map into the live one.
  function patch(map, fresh) {
    var taken = 0, freed = 0, lost = [];
    var labels = fresh.querySelectorAll(".seat[data-seat]");
    if (labels.length !== map.querySelectorAll(".seat[data-seat]").length) { return null; }
    for (var i = 0; i < labels.length; i++) {
      var next = labels[i];
      var label = map.querySelector('.seat[data-seat="' + next.dataset.seat + '"]');
      if (!label) { return null; }
      if (label.className === next.className && label.dataset.available === next.dataset.available) { continue; }
      var input = label.querySelector("input");
      var was = label.dataset.available === "1", now = next.dataset.available === "1";
      label.className = next.className;
      label.title = next.title;
      label.dataset.available = next.dataset.available;
      label.querySelector(".seat-name").textContent = next.querySelector(".seat-name").textContent;
      setAvailable(input, now);
      if (was && !now) {
        taken += 1;
        if (input.checked) { input.checked = false; lost.push(seatName(label)); }
      } else if (!was && now) {
        freed += 1;
      }
    }
    var count = fresh.querySelector("[data-seat-count]");
    var liveCount = map.querySelector("[data-seat-count]");
    if (count && liveCount) { liveCount.textContent = count.textContent; }
    map.dataset.version = fresh.dataset.version;
    return { taken: taken, freed: freed, lost: lost };
  }

  function report(map, result) {
    if (result.taken || result.freed) { announce(describe(result.taken, result.freed)); }
    if (result.lost.length) {
      notice((result.lost.length === 1 ? "Seat " + result.lost[0] + " was" : "Seats " + result.lost.join(", ") + " were") +
        " just taken by someone else and " + (result.lost.length === 1 ? "is" : "are") + " no longer ticked.");
      // The summary (and its total) follows the ticks: the form listens for "change".
      map.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function refreshUrl(map) {
    var params = new URLSearchParams({ v: map.dataset.version || "", sel: "1" });
    seatInputs(map).forEach(function (input) { if (input.checked) { params.append("seat_ids", input.value); } });
    return map.dataset.refresh + "?" + params.toString();
  }

  function startRefresh(map) {
    if (!map.dataset.refresh) { return; }
    function schedule() { window.setTimeout(tick, REFRESH_MS); }
    function tick() {
      if (!document.body.contains(map)) { return; }
      if (document.hidden) { schedule(); return; }
      fetch(refreshUrl(map), { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) { return response.status === 200 ? response.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("seat-map");
          if (!fresh) { return; }
          var result = patch(map, fresh);
          if (result) { report(map, result); } else { window.location.reload(); }
        })
        .catch(function () { /* offline for a moment: the next tick tries again */ })
        .then(schedule);
    }
    schedule();
  }

  function enhance(map) {
    var inputs = seatInputs(map);
    if (!inputs.length) { return; }
    inputs.forEach(function (input) { setAvailable(input, labelOf(input).dataset.available === "1"); });
    var grid = new Grid(map);
    rove(map, initialStop(grid, inputs));
    // The help read with the map: its arrow keys, now that they work.
    map.querySelectorAll("[data-keys-plain]").forEach(function (el) { el.hidden = true; });
    map.querySelectorAll("[data-keys-enhanced]").forEach(function (el) { el.hidden = false; });

    map.addEventListener("focusin", function (event) {
      if (event.target.matches(".seat input")) { rove(map, event.target); }
    });
    map.addEventListener("click", function (event) {
      if (event.target.matches(".seat input") && !isAvailable(event.target)) { event.preventDefault(); }
    });
    map.addEventListener("change", function (event) {
      if (event.target.matches(".seat input")) { tickPartner(map, event.target); }
    });
    map.addEventListener("keydown", function (event) {
      var input = event.target;
      if (!input.matches(".seat input")) { return; }
      if (event.key === "Enter") {
        event.preventDefault();  // Enter ticks the seat here rather than submitting the form
        input.click();
        return;
      }
      var next = grid.target(input, event);
      if (!next) { return; }
      event.preventDefault();
      rove(map, next);
      next.focus();
    });
    startRefresh(map);
    watchPanning(map);
  }

  // The written "swipe sideways" cue shows only while a row is wider than the map.
  function watchPanning(map) {
    var grid = map.querySelector(".seat-grid");
    if (!grid) { return; }
    function check() { map.classList.toggle("is-panning", grid.scrollWidth > grid.clientWidth + 1); }
    check();
    window.addEventListener("resize", check);
    // A row wider than the map starts at its middle, under the centre of the screen where the
    // best seats are (or at a seat already chosen), not at seat 1.
    if (grid.scrollWidth > grid.clientWidth + 1) {
      var chosen = grid.querySelector("input:checked");
      var box = grid.getBoundingClientRect();
      grid.scrollLeft = chosen
        ? grid.scrollLeft + chosen.getBoundingClientRect().left - box.left - grid.clientWidth / 2
        : (grid.scrollWidth - grid.clientWidth) / 2;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var map = document.getElementById("seat-map");
    if (map) { enhance(map); }
  });
})();
