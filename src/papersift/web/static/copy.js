// "Copy" buttons: <button data-copy="#id" hidden> copies the text of the element #id. The buttons
// stay hidden without JavaScript (the text itself is on the page to select by hand).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.querySelector(button.dataset.copy);
    if (!source) return;
    var label = button.textContent;
    var status = document.getElementById(button.getAttribute("aria-describedby") || "");
    var say = function (text) {
      button.textContent = text;
      if (status) status.textContent = text;
      setTimeout(function () { button.textContent = label; if (status) status.textContent = ""; }, 2000);
    };
    var fallback = function () {
      // not a secure context (plain http on a LAN address): select the text and use the old command
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      say(ok ? "Copied" : "Selected: press Ctrl+C");
    };
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.textContent).then(function () { say("Copied"); }, fallback);
      } else {
        fallback();
      }
    });
  });
});
