// Quick exit (button, Escape twice, Shift three times) and address-bar cleaning.
// No cookie, no storage, no third-party request; the page works without this script.
(function () {
  "use strict";
  var exit = document.getElementById("quick-exit");
  var progress = document.getElementById("exit-progress");
  function leave(event) {
    if (event) { event.preventDefault(); }
    document.body.classList.add("exiting");
    document.title = "";
    window.location.replace(exit.href); // replaces this page in the history: "back" does not return here
  }
  if (exit) { exit.addEventListener("click", leave); }
  var presses = { Escape: [], Shift: [] };
  var needed = { Escape: 2, Shift: 3 };
  document.addEventListener("keydown", function (event) {
    if (!(event.key in presses)) { return; }
    var now = Date.now();
    var list = presses[event.key].filter(function (time) { return now - time < 5000; });
    list.push(now);
    presses[event.key] = list;
    var left = needed[event.key] - list.length;
    if (left <= 0) { leave(); } else if (progress) { progress.textContent = "Encore " + left + " fois pour quitter."; }
  });
  window.addEventListener("pageshow", function () { document.body.classList.remove("exiting"); });
  // UTM parameters and the link code stay out of the address bar, the history and screenshots
  if (window.location.search) { window.history.replaceState(null, "", window.location.pathname); }
  // count calls and SMS (tel:/sms: links cannot go through a redirect); nothing identifies the visitor
  document.querySelectorAll("a[data-count]").forEach(function (link) {
    link.addEventListener("click", function () {
      if (navigator.sendBeacon) { navigator.sendBeacon(link.getAttribute("data-count")); }
    });
  });
})();
