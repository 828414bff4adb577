// A part of the page that htmx could not load because the database was out of reach for a
// moment (503 from gridgov.core.pages.unavailable_page): htmx swaps nothing on an error status,
// so the server's short notice is shown at the top of the page instead, as text. The next part
// that loads takes it away; a timed refresh keeps running and recovers by itself.
(function () {
  "use strict";
  var NOTICE_ID = "unavailable-notice";
  function clear() {
    var old = document.getElementById(NOTICE_ID);
    if (old) {
      old.remove();
    }
  }
  document.body.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 503) {
      return;
    }
    var source = new DOMParser().parseFromString(xhr.responseText, "text/html").querySelector("[data-unavailable]");
    if (!source) {
      return;
    }
    clear();
    var notice = document.createElement("div");
    notice.id = NOTICE_ID;
    notice.className = "alert alert-error";
    notice.setAttribute("role", "alert");
    notice.setAttribute("data-testid", "unavailable-notice");
    notice.textContent = source.textContent.replace(/\s+/g, " ").trim();
    var main = document.getElementById("content") || document.body;
    main.insertBefore(notice, main.firstChild);
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) {
      clear();
    }
  });
})();
