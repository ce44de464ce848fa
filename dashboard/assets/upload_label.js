// dcc.Upload renders a file input without a label; give it one so screen readers can name it (WCAG 1.3.1, 4.1.2).
new MutationObserver(function () {
  document.querySelectorAll(".bms-upload input[type=file]:not([aria-label])").forEach(function (input) {
    input.setAttribute("aria-label", "Velg en fil å laste opp");
  });
}).observe(document.documentElement, { childList: true, subtree: true });
