// Forms of the shell: the one-time key kept across the back button, and a live character count under every text input with a limit
// (data-maxlength). Text over the limit is never cut: the count turns red and the server
// refuses it with the count, so the writer decides what to shorten.
(function () {
  "use strict";
  function attach(input) {
    var limit = parseInt(input.getAttribute("data-maxlength"), 10);
    if (!limit || input.getAttribute("data-counted")) {
      return;
    }
    input.setAttribute("data-counted", "1");
    var counter = document.createElement("p");
    counter.className = "char-count muted";
    counter.setAttribute("aria-live", "polite");
    function draw() {
      var used = Array.from(input.value).length;
      counter.textContent = used + " / " + limit;
      counter.classList.toggle("over", used > limit);
      input.classList.toggle("over-limit", used > limit);
    }
    input.addEventListener("input", draw);
    input.insertAdjacentElement("afterend", counter);
    draw();
  }
  function scan(root) {
    root.querySelectorAll("textarea[data-maxlength], input[data-maxlength]").forEach(attach);
  }
  scan(document);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    scan(event.target);
  });

  // --- the one-time key across the back button ------------------------------------------
  // Every write form carries a one-time key (idempotency_key): the same key sent twice does
  // the write once. A browser that reloads the page on "back" renders a new key but puts the
  // typed values back; when they are exactly what this page sent last, the sent key is put
  // back too, so sending it again finds the first result instead of writing a second time.
  var KEY = "idempotency_key";
  function snapshot(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.name === KEY || field.type === "hidden" || field.type === "file") {
        return;
      }
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) {
        return;
      }
      if (field.type === "submit" || field.type === "button") {
        return;
      }
      parts.push(field.name + "=" + field.value);
    });
    return parts.join("&");
  }
  function storageKey(form, index) {
    return "gridgov-sent:" + location.pathname + ":" + (form.getAttribute("action") || "") + ":" + index;
  }
  function keyForms() {
    return Array.prototype.filter.call(document.forms, function (form) {
      return form.elements[KEY];
    });
  }
  function remember(form, index) {
    form.addEventListener("submit", function () {
      try {
        sessionStorage.setItem(storageKey(form, index), JSON.stringify({ key: form.elements[KEY].value, fields: snapshot(form) }));
      } catch (error) { /* private mode: no memory, the server still refuses a reused key */ }
    });
  }
  function restore() {
    keyForms().forEach(function (form, index) {
      var stored = null;
      try {
        stored = JSON.parse(sessionStorage.getItem(storageKey(form, index)) || "null");
      } catch (error) {
        stored = null;
      }
      var fields = snapshot(form);
      if (stored && stored.key && fields && stored.fields === fields) {
        form.elements[KEY].value = stored.key;
      }
    });
  }
  keyForms().forEach(remember);
  window.addEventListener("pageshow", restore);
})();
