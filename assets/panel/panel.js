// Inside Telegram: load Telegram's Web App script, then trade the signed initData for a session.
// Outside Telegram nothing here is needed: pages are plain HTML and forms.
(function () {
  "use strict";
  var status = document.getElementById("webapp-status");
  var inTelegram = /tgWebAppData=/.test(location.hash) || /tgWebAppData=/.test(location.search);
  // Forms that move money ask once more before sending.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });
  if (!inTelegram) return;
  var s = document.createElement("script");
  s.src = "https://telegram.org/js/telegram-web-app.js";
  s.onload = function () {
    var app = window.Telegram && window.Telegram.WebApp;
    if (!app) return;
    app.ready();
    app.expand();
    if (!status || !app.initData) return;
    fetch("/admin/auth/webapp", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "init_data=" + encodeURIComponent(app.initData),
      credentials: "same-origin"
    }).then(function (r) {
      if (r.ok) location.replace("/admin/dashboard");
      else status.textContent = status.getAttribute("data-failed");
    });
  };
  document.head.appendChild(s);
})();
