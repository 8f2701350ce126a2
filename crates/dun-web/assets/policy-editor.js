// Dun: line numbers beside the policy editor's text (/policy/edit).
//
// The page works without this script: the text is a plain textarea, and a
// refused policy names each problem's line ("Line 12"). With it, a gutter
// of line numbers scrolls with the text, and a problem's "Line 12" link
// puts the cursor on that line.
(function () {
  "use strict";
  var text = document.getElementById("policy-text");
  if (!text) return;
  var wrap = document.createElement("div");
  wrap.className = "numbered";
  var gutter = document.createElement("pre");
  gutter.className = "gutter";
  gutter.setAttribute("aria-hidden", "true");
  text.parentNode.insertBefore(wrap, text);
  wrap.appendChild(gutter);
  wrap.appendChild(text);
  var shown = 0;
  function number() {
    var lines = text.value.split("\n").length;
    if (lines === shown) return;
    var out = [];
    for (var i = 1; i <= lines; i++) out.push(i);
    gutter.textContent = out.join("\n") + "\n";
    shown = lines;
    follow();
  }
  function follow() {
    gutter.scrollTop = text.scrollTop;
  }
  text.addEventListener("input", number);
  text.addEventListener("scroll", follow);
  number();
  // "Line 12" in the list of problems: the cursor to that line.
  document.querySelectorAll("a[data-line]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var line = parseInt(link.getAttribute("data-line"), 10);
      if (!(line > 0)) return;
      event.preventDefault();
      var lines = text.value.split("\n");
      var start = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
      var end = start + (lines[line - 1] || "").length;
      text.focus();
      text.setSelectionRange(start, end);
      var height = text.scrollHeight / Math.max(lines.length, 1);
      text.scrollTop = Math.max(0, (line - 3) * height);
      follow();
    });
  });
})();
