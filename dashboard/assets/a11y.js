/* Heim BMS: keyboard focus for Dash 4's Dropdown without an aria-hidden focus target (WCAG 4.1.2).
 *
 * dcc.Dropdown puts an invisible, aria-hidden <input tabindex="0"> before its button and forwards focus from
 * it to the button (tabindex="-1"). axe-core reports that as `aria-hidden-focus`: a screen reader lands on
 * something it was told to ignore. The button itself opens the list with Enter, Space and the arrow keys, so
 * the button takes the tab stop and the hidden proxy leaves the tab order. */
(function () {
  "use strict";

  function fix(root) {
    root.querySelectorAll("input.dash-dropdown-focus-target").forEach(function (proxy) {
      if (proxy.tabIndex !== -1) {
        proxy.tabIndex = -1;
      }
      var button = proxy.parentElement && proxy.parentElement.querySelector("button.dash-dropdown");
      if (button && !button.disabled && button.tabIndex !== 0) {
        button.tabIndex = 0;
      }
    });
  }

  new MutationObserver(function () {
    fix(document);
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["tabindex"] });
  document.addEventListener("DOMContentLoaded", function () {
    fix(document);
  });
})();
