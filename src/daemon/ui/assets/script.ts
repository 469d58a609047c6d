// Progressive enhancement, served as /static/mreg.js (never inline, so the CSP can forbid inline script):
// a Copy button beside each command. Every page works without it.
export const JS = `"use strict";
(function () {
  if (!navigator.clipboard || !document.querySelectorAll) return;
  var lines = document.querySelectorAll(".cmd .line");
  for (var i = 0; i < lines.length; i++) {
    (function (line) {
      var code = line.querySelector("code");
      if (!code) return;
      var b = document.createElement("button");
      b.type = "button";
      b.className = "copy";
      b.textContent = "Copy";
      b.setAttribute("aria-label", "Copy the command");
      b.addEventListener("click", function () {
        navigator.clipboard.writeText(code.textContent || "").then(function () {
          b.textContent = "Copied";
          setTimeout(function () { b.textContent = "Copy"; }, 1500);
        }, function () { b.textContent = "Select and copy"; });
      });
      line.appendChild(b);
    })(lines[i]);
  }
})();
`;
