// 联动 — the dispatcher's desk: claiming the incident being triaged, and keyboard shortcuts for the
// common path (next/previous in the queue, open, dispatch and go on, help).
(function () {
  "use strict";

  function csrf() {
    var token = document.querySelector("[name=csrfmiddlewaretoken]");
    return token ? token.value : "";
  }

  // Opening a waiting incident claims it (正在研判 · who), so other dispatchers see it is taken.
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("dispatch-form");
    if (!form || !form.dataset.claim) return;
    fetch(form.dataset.claim, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf() } })
      .catch(function () { /* the claim is a courtesy: triage goes on without it */ });
  });

  var HELP = [
    ["j / ↓", "待研判队列：下一条"],
    ["k / ↑", "待研判队列：上一条"],
    ["Enter / o", "打开选中的警情"],
    ["Ctrl+Enter", "警情页：派发并处理下一条"],
    ["g c", "回到调度台"],
    ["?", "显示或关闭本说明"],
    ["Esc", "关闭本说明"]
  ];

  function help(show) {
    var box = document.getElementById("shortcut-help");
    if (!box) {
      box = document.createElement("div");
      box.id = "shortcut-help";
      box.className = "overlay";
      box.hidden = true;
      box.setAttribute("role", "dialog");
      box.setAttribute("aria-label", "键盘快捷键");
      var rows = HELP.map(function (h) { return "<tr><th><kbd></kbd></th><td></td></tr>"; }).join("");
      box.innerHTML = '<div class="overlay-body"><h2>键盘快捷键</h2><table>' + rows + '</table><button type="button" class="secondary" data-close>关闭</button></div>';
      HELP.forEach(function (h, i) {
        box.querySelectorAll("kbd")[i].textContent = h[0];
        box.querySelectorAll("td")[i].textContent = h[1];
      });
      box.addEventListener("click", function (ev) { if (ev.target === box || ev.target.closest("[data-close]")) help(false); });
      document.body.appendChild(box);
    }
    box.hidden = show === undefined ? !box.hidden : !show;
  }

  function typing(ev) {
    var t = ev.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  function move(step) {
    var items = Array.prototype.slice.call(document.querySelectorAll("#intake li[data-incident]"));
    if (!items.length) return;
    var at = items.findIndex(function (li) { return li.classList.contains("selected"); });
    var next = Math.max(0, Math.min(items.length - 1, at < 0 ? 0 : at + step));
    items.forEach(function (li) { li.classList.remove("selected"); });
    items[next].classList.add("selected");
    items[next].scrollIntoView({ block: "nearest" });
    try { sessionStorage.setItem("liandong-selected", items[next].dataset.incident); } catch (e) { /* private mode */ }
  }

  var lastKey = "";
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      var next = document.getElementById("dispatch-next-button");
      if (next) { ev.preventDefault(); next.form.requestSubmit(next); }
      return;
    }
    if (ev.key === "Escape") { help(false); return; }
    if (typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "?") { ev.preventDefault(); help(); return; }
    if (ev.key === "j" || ev.key === "ArrowDown" && document.getElementById("intake")) { if (document.getElementById("intake")) { ev.preventDefault(); move(1); } }
    else if (ev.key === "k" || ev.key === "ArrowUp" && document.getElementById("intake")) { if (document.getElementById("intake")) { ev.preventDefault(); move(-1); } }
    else if (ev.key === "Enter" || ev.key === "o") {
      var chosen = document.querySelector("#intake li.selected a");
      if (chosen) { ev.preventDefault(); window.location.href = chosen.href; }
    } else if (ev.key === "c" && lastKey === "g") {
      window.location.href = "/console/";
    }
    lastKey = ev.key;
  });

  // The selection survives the queue's refresh (the list is redrawn every second).
  document.addEventListener("liandong:intake", function () {
    var id = null;
    try { id = sessionStorage.getItem("liandong-selected"); } catch (e) { /* private mode */ }
    if (!id) return;
    var li = document.querySelector('#intake li[data-incident="' + id + '"]');
    if (li) li.classList.add("selected");
  });
})();
