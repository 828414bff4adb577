// The leader cockpit on a wall display: one button puts the page in full screen (the shell's
// header and menu are hidden there by the style sheet); Esc leaves it. The button shows only
// where the browser can do it.
(function () {
  "use strict";
  var button = document.querySelector("[data-fullscreen]");
  if (!button || !document.fullscreenEnabled) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else {
      document.documentElement.requestFullscreen();
    }
  });
})();
