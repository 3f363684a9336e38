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
