// Starts ReDoc on /redoc from a file of the app (the CSP allows no inline script).
window.addEventListener("load", function () {
  var el = document.getElementById("redoc");
  Redoc.init(el.dataset.openapi, {}, el);
});
