// A form marked data-busy-message disables its submit button and shows the message while the server works
// (the inspection run takes a while). A file, not an inline script: the CSP allows scripts from the app only.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.dataset || !form.dataset.busyMessage) return;
  var button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
  var status = form.querySelector("[role=status]");
  if (status) status.textContent = form.dataset.busyMessage;
});

// A button with data-copy="<element id>" puts that element's text on the clipboard (a credential, a command).
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
  if (!button) return;
  var source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    button.textContent = document.documentElement.lang === "en" ? "Copied" : "已复制";
  });
});
