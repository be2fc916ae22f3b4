// 联动 — countdowns, live intake queue with alert, caller-number reveal. No external resources.
(function () {
  "use strict";

  function fmt(seconds) {
    var s = Math.abs(Math.round(seconds));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var text = d ? d + "天" + h + "小时" : h ? h + "小时" + m + "分" : m + "分" + (r < 10 ? "0" : "") + r + "秒";
    return seconds < 0 ? "超时" + text : "剩余" + text;
  }

  // <span class="countdown" data-due="epoch" data-warn-at="epoch">
  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = parseFloat(el.dataset.due), warnAt = parseFloat(el.dataset.warnAt || "0");
      var left = due - now;
      el.textContent = fmt(left);
      var state = left < 0 ? "overdue" : (warnAt && now >= warnAt ? "warning" : "running");
      el.className = "countdown state-" + state;
      var row = el.closest("[data-row]");
      if (row) { row.classList.toggle("overdue", state === "overdue"); row.classList.toggle("warning", state === "warning"); }
    });
    document.querySelectorAll("[data-age]").forEach(function (el) {
      var s = now - parseFloat(el.dataset.age), m = Math.floor(s / 60);
      el.textContent = m < 1 ? "刚刚" : m < 60 ? m + "分钟前" : Math.floor(m / 60) + "小时" + (m % 60) + "分钟前";
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext, ctx = new Ctx();
      [0, 0.35].forEach(function (offset) {
        var o = ctx.createOscillator(), g = ctx.createGain();
        o.frequency.value = 880; o.connect(g); g.connect(ctx.destination);
        g.gain.setValueAtTime(0.2, ctx.currentTime + offset);
        g.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + offset + 0.3);
        o.start(ctx.currentTime + offset); o.stop(ctx.currentTime + offset + 0.3);
      });
    } catch (e) { /* no audio device: the visible alert still shows */ }
  }

  // Live intake queue: <ul id="intake" data-live="/console/live">
  function live() {
    var list = document.getElementById("intake");
    if (!list) return;
    var known = null;
    function poll() {
      fetch(list.dataset.live, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          var ids = data.intake.map(function (i) { return i.incident_id; });
          var fresh = known === null ? [] : ids.filter(function (id) { return known.indexOf(id) < 0; });
          known = ids;
          list.innerHTML = "";
          if (!data.intake.length) { list.innerHTML = '<li class="empty">暂无待研判警情</li>'; }
          data.intake.forEach(function (i) {
            var li = document.createElement("li");
            if (fresh.indexOf(i.incident_id) >= 0) li.className = "fresh";
            li.dataset.incident = i.incident_id;
            var a = document.createElement("a");
            a.href = i.url;
            a.innerHTML = '<span class="age" data-age="' + i.accepted_epoch + '"></span>' +
              '<span class="addr"></span><br><span class="muted text"></span>';
            a.querySelector(".addr").textContent = i.address;
            a.querySelector(".text").textContent = (i.urgency_label ? "【" + i.urgency_label + "】" : "") + i.content;
            li.appendChild(a); list.appendChild(li);
          });
          var count = document.getElementById("intake-count");
          if (count) count.textContent = data.intake.length;
          ["decisions", "parked"].forEach(function (k) {
            var el = document.getElementById("count-" + k);
            if (el) { el.textContent = data.counts[k]; el.style.display = data.counts[k] ? "" : "none"; }
          });
          if (fresh.length) {
            var alert = document.getElementById("alert");
            alert.textContent = "新警情 " + fresh.length + " 起待研判";
            alert.classList.add("show");
            setTimeout(function () { alert.classList.remove("show"); }, 6000);
            beep();
          }
          tick();
        })
        .catch(function () { /* offline for a moment: try again */ });
    }
    poll();
    setInterval(poll, 1000);
  }
  document.addEventListener("DOMContentLoaded", live);

  // Caller number: masked until revealed (the reveal is recorded).
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-reveal]");
    if (!btn) return;
    ev.preventDefault();
    var token = document.querySelector("[name=csrfmiddlewaretoken]");
    fetch(btn.dataset.reveal, { method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" } })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        var target = document.getElementById(btn.dataset.target);
        target.textContent = d.caller_phone;
        var tel = document.getElementById(btn.dataset.target + "-tel");
        if (tel) { tel.href = "tel:" + d.caller_phone; tel.style.display = ""; }
        btn.remove();
      });
  });

  // Triage: choosing a category fills in the catalogue's proposal.
  document.addEventListener("change", function (ev) {
    var sel = ev.target.closest("select[data-proposal]");
    if (!sel || !sel.value) return;
    fetch(sel.dataset.proposal + "?category=" + encodeURIComponent(sel.value), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) return;
        var form = sel.form;
        if (p.primary_unit) form.elements.primary_unit.value = p.primary_unit.code;
        var select = form.elements.cooperating_units;
        select.dataset.proposed = (p.cooperating_units || []).map(function (u) { return u.code; }).join(" ");
        if (!select.disabled) selectProposed(select);
        if (p.street) form.elements.street.value = p.street.code;
      });
  });

  // Cooperating units belong to linked disposal: the list follows the chosen class.
  function selectProposed(select) {
    var proposed = (select.dataset.proposed || "").split(" ");
    Array.prototype.forEach.call(select.options, function (o) { o.selected = proposed.indexOf(o.value) >= 0; });
    var first = select.querySelector("option:checked");
    if (first) select.scrollTop = first.offsetTop - select.offsetTop;
  }
  document.addEventListener("change", function (ev) {
    var radio = ev.target.closest("input[name=incident_class]");
    if (!radio) return;
    var select = radio.form.elements.cooperating_units;
    if (!select) return;
    var linked = radio.value === "linked_disposal";
    select.disabled = !linked;
    if (linked) { selectProposed(select); }
    else { Array.prototype.forEach.call(select.options, function (o) { o.selected = false; }); }
  });
})();
