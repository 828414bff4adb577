// The menus of the navigation bar: one open at a time, closed by a click elsewhere or Escape.
(function () {
  "use strict";
  var menus = Array.from(document.querySelectorAll("nav.mainnav details[data-nav-group]"));
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open) {
        menus.forEach(function (other) {
          if (other !== menu) {
            other.open = false;
          }
        });
      }
    });
  });
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      menus.forEach(function (menu) {
        if (menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
    }
  });
})();
