// Keeps the bell's unread count current without reloading the page: asks the server once a
// minute while the page is visible. These background requests do not count as activity, so
// the session still ends after the idle timeout; then the polling stops.
(function () {
  "use strict";
  var bell = document.querySelector("[data-bell-url]");
  if (!bell) {
    return;
  }
  var holder = document.getElementById("notify-bell-count");
  var url = bell.getAttribute("data-bell-url");
  var timer = null;

  function show(count) {
    var badge = holder.querySelector("[data-testid=notify-count]");
    if (!count) {
      if (badge) {
        badge.remove();
      }
      return;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge notify-count";
      badge.setAttribute("data-testid", "notify-count");
      holder.appendChild(badge);
    }
    badge.textContent = String(count);
  }

  function poll() {
    if (document.visibilityState !== "visible") {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { "X-GridGov-Background": "1", Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        show(data.unread);
      })
      .catch(function () {
        window.clearInterval(timer);
      });
  }

  timer = window.setInterval(poll, 60000);
})();
