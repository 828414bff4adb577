/* Hotline pages: a live countdown to each acknowledgement deadline counted in minutes
   (danger to life or property; water, power, gas, heating), empty workbench filters left out
   of the address, and the petitioner inputs of the entry form switched off for an anonymous
   petitioner. */
(function () {
  "use strict";
  function two(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function format(ms) {
    var seconds = Math.floor(Math.abs(ms) / 1000);
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    return (hours ? hours + ":" + two(minutes) : String(minutes)) + ":" + two(rest);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (element) {
      var deadline = Date.parse(element.getAttribute("data-deadline"));
      if (isNaN(deadline)) {
        return;
      }
      var left = deadline - now;
      var prefix = element.getAttribute(left >= 0 ? "data-left" : "data-late") || "";
      element.textContent = prefix + " " + format(left);
      element.classList.toggle("countdown-late", left < 0);
    });
  }

  tick();
  window.setInterval(tick, 1000);

  // Empty filters of the workbench stay out of the request (and of the address bar).
  var filters = document.getElementById("filter-form");
  if (filters) {
    document.body.addEventListener("htmx:configRequest", function (event) {
      var data = event.detail.formData;
      if (!data || event.detail.elt !== filters) {
        return;
      }
      var empty = [];
      data.forEach(function (value, key) {
        if (value === "") {
          empty.push(key);
        }
      });
      empty.forEach(function (key) {
        data.delete(key);
      });
    });
  }

  var anonymous = document.getElementById("id_anonymous");
  if (anonymous) {
    var inputs = document.querySelectorAll(".petitioner-fields input");
    var sync = function () {
      inputs.forEach(function (input) {
        input.disabled = anonymous.checked;
      });
    };
    anonymous.addEventListener("change", sync);
    sync();
  }
})();
