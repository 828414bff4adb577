// The department inbox: "tick all" for batch acknowledgement.
(function () {
  "use strict";
  const all = document.getElementById("batch-all");
  if (!all) return;
  all.addEventListener("change", () => {
    document.querySelectorAll('input[name="cases"][form="batch-form"]').forEach((box) => {
      box.checked = all.checked;
    });
  });
})();
