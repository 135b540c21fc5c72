// Chiso, declaration page: save one item without reloading the page (the form still posts without
// JavaScript), show the points the typed figures give (computed by the server's engine), and ask before
// submitting. Nothing here decides anything: the server checks every save and every submission.
(function () {
  "use strict";
  var root = document.getElementById("declare");
  if (!root || !window.fetch || !window.FormData) return;
  var text = root.dataset;

  function note(container, message, severity) {
    var p = document.createElement("p");
    p.className = "note " + severity;
    p.textContent = message;
    container.appendChild(p);
  }

  function setNotes(form, problems) {
    form.querySelectorAll(".notes").forEach(function (box) { box.textContent = ""; });
    problems.forEach(function (problem) {
      var box = form.querySelector('.notes[data-for="' + CSS.escape(problem.column) + '"]');
      if (box) note(box, problem.message, problem.severity);
    });
  }

  function figures(form) {
    var query = new URLSearchParams({ period: root.dataset.period, unit: root.dataset.unit });
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && (name.indexOf("v:") === 0 || name === "indicator" || name === "self_score")) {
        query.set(name, value);  // the last value of a name wins, as on the server (switches)
      }
    });
    return query;
  }

  var timers = {};
  function preview(form) {
    var code = form.dataset.indicator;
    clearTimeout(timers[code]);
    timers[code] = setTimeout(function () {
      fetch("/declare/check?" + figures(form).toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          var points = form.querySelector("[data-points]");
          if (points) points.textContent = data.points_text;
          setNotes(form, data.problems);
        })
        .catch(function () { /* the preview is a help; the save says what matters */ });
    }, 350);
  }

  function alertTop(message, code) {
    var alerts = document.getElementById("alerts");
    if (!alerts) return;
    alerts.querySelectorAll(".js-alert").forEach(function (el) { el.remove(); });
    if (!message) return;
    var p = document.createElement("p");
    p.className = "error js-alert";
    p.setAttribute("role", "alert");
    var link = document.createElement("a");
    link.href = "#" + code;
    link.textContent = message;
    p.appendChild(link);
    alerts.appendChild(p);
  }

  function refresh(form, message) {
    var code = form.dataset.indicator;
    var query = new URLSearchParams({ period: root.dataset.period, unit: root.dataset.unit, indicator: code });
    return fetch("/declare/item?" + query.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var old = document.getElementById(code);
        var holder = document.createElement("div");
        holder.innerHTML = data.item;
        var fresh = holder.firstElementChild;
        fresh.open = true;
        old.replaceWith(fresh);
        var summary = document.getElementById("summary");
        holder.innerHTML = data.summary;
        if (summary && holder.firstElementChild) summary.replaceWith(holder.firstElementChild);
        var body = document.querySelector("#confirm-dialog .confirm-body");
        holder.innerHTML = data.confirm;
        if (body && holder.firstElementChild) body.replaceWith(holder.firstElementChild);
        bind(fresh.querySelector("form.declare-item"));
        fresh.querySelector(".status").textContent = message;
      });
  }

  function save(form) {
    var status = form.querySelector(".status");
    var errors = form.parentElement.querySelector(".item-errors");
    var code = form.dataset.indicator;
    status.textContent = text.saving;
    form.querySelectorAll("input.field-invalid").forEach(function (el) { el.classList.remove("field-invalid"); });
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        return r.json().catch(function () { return { ok: false, errors: [r.status + " " + r.statusText] }; });
      })
      .then(function (data) {
        if (data.ok) {
          alertTop("");
          return refresh(form, text.saved);
        }
        status.textContent = text.failed;
        errors.textContent = "";
        (data.errors || []).forEach(function (message) { note(errors, message, "error field-error"); });
        if (data.version) form.querySelector('input[name="version"]').value = data.version;
        if (data.field) {
          var box = form.querySelector('.notes[data-for="' + CSS.escape(data.field) + '"]');
          if (box) { box.textContent = ""; note(box, data.errors[0], "error"); }
          var input = form.querySelector('[name="v:' + CSS.escape(data.field) + '"], [name="' + CSS.escape(data.field) + '"]');
          if (input) input.classList.add("field-invalid");
        }
        var name = form.closest("details").querySelector(".number").textContent;
        alertTop(text.notSaved + " " + name + ": " + (data.errors || [""])[0], code);
      })
      .catch(function () { status.textContent = text.offline; });
  }

  function bind(form) {
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save(form);
    });
    form.addEventListener("input", function () { preview(form); });
    form.querySelectorAll('input[type="checkbox"][role="switch"]').forEach(function (box) {
      box.addEventListener("change", function () {
        // once touched, an unticked switch says "no" (0) rather than "not answered"
        box.closest(".field").querySelector("input.switch-off").value = "0";
        preview(form);
      });
    });
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () { preview(form); });
    });
  }

  document.querySelectorAll("form.declare-item").forEach(bind);

  var dialog = document.getElementById("confirm-dialog");
  var ask = document.getElementById("submit-all");
  if (dialog && ask && dialog.showModal) {
    ask.addEventListener("click", function (event) {
      event.preventDefault();
      dialog.showModal();
    });
    document.getElementById("confirm-no").addEventListener("click", function () { dialog.close(); });
  }
})();
