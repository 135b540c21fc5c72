// Chiso: a little JavaScript where it pays. Sortable tables; "select all" for bulk accept.
(function () {
  "use strict";
  function key(cell, numeric) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) raw = cell.textContent.trim();
    return numeric ? parseFloat(raw) || 0 : raw.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th").forEach(function (th, column) {
      th.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "num";
        var down = th.getAttribute("aria-sort") !== "ascending";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[column], numeric), y = key(b.cells[column], numeric);
          return (x < y ? -1 : x > y ? 1 : 0) * (down ? 1 : -1);
        });
        table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", down ? "ascending" : "descending");
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  document.querySelectorAll("input.select-all").forEach(function (box) {
    box.addEventListener("change", function () {
      var form = box.getAttribute("data-form");
      document.querySelectorAll('input[name="pick"][form="' + form + '"]').forEach(function (pick) {
        pick.checked = box.checked;
      });
    });
  });
  // The appraisal workspace: a decision is sent without leaving the page; the answer holds the parts of
  // the page it changed (the items, the unit's summary, the message), each an element with its id, put in
  // place here. Focus then moves to the next item waiting for a decision. Without this, forms post as usual.
  var workspace = document.querySelector("[data-appraise]");
  if (workspace && window.fetch && window.URLSearchParams) {
    var waitingAfter = function (id) {
      var items = Array.prototype.slice.call(document.querySelectorAll('.appraise-item[data-waiting="yes"]'));
      var all = Array.prototype.slice.call(document.querySelectorAll(".appraise-item"));
      var at = all.findIndex(function (el) { return el.id === id; });
      var later = items.filter(function (el) { return all.indexOf(el) > at; });
      return later[0] || items[0] || null;
    };
    workspace.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.classList.contains("js-decide")) return;
      event.preventDefault();
      var body = new URLSearchParams();
      new FormData(form).forEach(function (value, name) { body.append(name, value); });
      var submitter = event.submitter;
      if (submitter && submitter.name) body.append(submitter.name, submitter.value);
      var item = form.closest(".appraise-item");
      // a refused return wants its comment; a refused acceptance, its score
      var refusedField = submitter && submitter.value === "return" ? "textarea[name=comment]" : "input[name=score]";
      var itemId = item ? item.id : "";
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      workspace.setAttribute("aria-busy", "true");
      fetch(form.action, {method: "POST", body: body, credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
        .then(function (response) {
          return response.text().then(function (text) { return {status: response.status, text: text}; });
        })
        .then(function (answer) {
          workspace.removeAttribute("aria-busy");
          if (answer.status !== 200 && answer.status !== 422) {
            buttons.forEach(function (b) { b.disabled = false; });
            var general = document.getElementById("general-error");
            general.textContent = workspace.getAttribute("data-failed") + " (" + answer.status + ")";
            general.hidden = false;
            return;
          }
          var parts = document.createElement("template");
          parts.innerHTML = answer.text;
          Array.prototype.slice.call(parts.content.children).forEach(function (part) {
            var old = part.id && document.getElementById(part.id);
            if (old) old.replaceWith(part);
          });
          document.querySelectorAll("input.select-all").forEach(function (box) { box.checked = false; });
          var target;
          if (answer.status === 422) {
            target = itemId && document.querySelector("#" + itemId + " " + refusedField);
            target = target || document.getElementById("general-error");
          } else {
            var next = waitingAfter(itemId);
            target = next ? next.querySelector("input[name=score]") : document.getElementById("approve");
          }
          if (target) {
            if (!target.hasAttribute("tabindex") && !/INPUT|TEXTAREA|BUTTON/.test(target.tagName)) target.tabIndex = -1;
            target.focus();
            if (target.scrollIntoView) target.scrollIntoView({block: "center"});
          }
        })
        .catch(function () {
          workspace.removeAttribute("aria-busy");
          buttons.forEach(function (b) { b.disabled = false; });
          var general = document.getElementById("general-error");
          general.textContent = workspace.getAttribute("data-failed");
          general.hidden = false;
        });
    });
  }
})();
