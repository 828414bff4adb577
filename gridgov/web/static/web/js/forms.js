// Forms of the shell: a live character count under every text input with a limit
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
})();
