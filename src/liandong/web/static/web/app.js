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
      el.textContent = "已等待" + (m < 1 ? "不到1分钟" : m < 60 ? m + "分钟" : Math.floor(m / 60) + "小时" + (m % 60) + "分钟");
      // waiting grows warmer: 5 minutes a warning, 15 overdue (the urgent sign limit is 10)
      el.className = "age " + (m >= 15 ? "state-overdue" : m >= 5 ? "state-warning" : "state-running");
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);

  // Sound: one audio context, resumed on the first gesture (browsers start it suspended); a mute
  // switch in the header, remembered on this device.
  var audio = null;
  function muted() { try { return localStorage.getItem("liandong-muted") === "1"; } catch (e) { return false; } }
  function ensureAudio() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!audio && Ctx) audio = new Ctx();
      if (audio && audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  }
  document.addEventListener("pointerdown", ensureAudio, { once: true });
  document.addEventListener("keydown", ensureAudio, { once: true });
  // beep(2): something new; alarm(): a deadline breached (lower, longer, alternating).
  function beep(times, tones) {
    if (muted()) return;
    ensureAudio();
    if (!audio) return;
    try {
      for (var i = 0; i < (times || 2); i++) {
        var offset = i * 0.35, o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = tones ? tones[i % tones.length] : 880; o.connect(g); g.connect(audio.destination);
        g.gain.setValueAtTime(0.2, audio.currentTime + offset);
        g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + offset + 0.3);
        o.start(audio.currentTime + offset); o.stop(audio.currentTime + offset + 0.3);
      }
    } catch (e) { /* no audio device: the visible alert still shows */ }
  }
  function showMute() {
    var b = document.getElementById("mute");
    if (!b) return;
    b.textContent = muted() ? "提示音关" : "提示音开";
    b.setAttribute("aria-pressed", muted() ? "true" : "false");
  }
  document.addEventListener("click", function (ev) {
    if (!ev.target.closest("#mute")) return;
    try { localStorage.setItem("liandong-muted", muted() ? "0" : "1"); } catch (e) { /* private mode */ }
    showMute();
  });
  document.addEventListener("DOMContentLoaded", showMute);

  function alarm() { beep(6, [660, 440]); }

  // Alerts stay until seen (clicked away).
  function alertText(text, urgent) {
    var box = document.getElementById("alert");
    if (!box) return;
    var line = document.createElement("div");
    line.className = "alert-line" + (urgent ? " breach" : "");
    line.textContent = text;
    box.appendChild(line);
    box.classList.add("show");
  }
  document.addEventListener("click", function (ev) {
    var line = ev.target.closest(".alert-line");
    if (!line) return;
    var box = line.parentNode;
    line.remove();
    if (!box.querySelector(".alert-line")) box.classList.remove("show");
  });

  // A poll answered "session ended" (401 with X-Liandong-Session: expired, after the idle time
  // limit): reload, which lands on the login page with the reason, instead of going stale.
  function ended(r) {
    if (r.status === 401 && r.headers.get("X-Liandong-Session") === "expired") {
      window.location.reload();
      return true;
    }
    return false;
  }

  // The bell: every page polls what is new for this person (every 2 seconds).
  function bell() {
    var link = document.getElementById("bell");
    if (!link) return;
    var since = null;
    function poll() {
      var url = link.dataset.live + (since === null ? "" : "?since=" + since);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : (ended(r), null); })
        .then(function (data) {
          if (!data) return;
          var count = document.getElementById("bell-count");
          count.textContent = data.unread > 99 ? "99+" : data.unread;
          count.style.display = data.unread ? "" : "none";
          if (since !== null && data.new.length) {
            var breached = false;
            data.new.forEach(function (n) {
              var isBreach = n.kind === "overdue";
              breached = breached || isBreach;
              alertText((n.title ? n.title + "：" : "") + n.text, isBreach);
            });
            if (breached) alarm(); else beep(2);
            document.dispatchEvent(new CustomEvent("liandong:notified", { detail: data.new }));
          }
          since = data.latest;
        })
        .catch(function () { /* offline for a moment: try again */ });
    }
    poll();
    setInterval(poll, 2000);
  }
  document.addEventListener("DOMContentLoaded", bell);

  // A region that keeps itself current: <tbody data-refresh="/console/board?..."> is replaced by
  // the server's fragment every few seconds, and at once when a notification arrives.
  function refreshing() {
    document.querySelectorAll("[data-refresh]").forEach(function (region) {
      function load() {
        fetch(region.dataset.refresh, { credentials: "same-origin" })
          .then(function (r) {
            if (ended(r)) return null;
            var total = r.headers.get("X-Total"), shown = document.getElementById("board-total");
            if (total !== null && shown) shown.textContent = total;
            return r.ok ? r.text() : null;
          })
          .then(function (html) {
            if (html === null) return;
            region.innerHTML = html;
            tick();
          })
          .catch(function () { /* try again */ });
      }
      setInterval(load, parseFloat(region.dataset.every || "2") * 1000);
      document.addEventListener("liandong:notified", load);
    });
  }
  document.addEventListener("DOMContentLoaded", refreshing);

  // Live intake queue: <ul id="intake" data-live="/console/live">
  function live() {
    var list = document.getElementById("intake");
    if (!list) return;
    var known = null, drawn = null, version = null;
    function counters(data) {
      var count = document.getElementById("intake-count");
      if (count) count.textContent = data.intake.length;
      ["decisions", "parked"].forEach(function (k) {
        var el = document.getElementById("count-" + k);
        if (el) { el.textContent = data.counts[k]; el.style.display = data.counts[k] ? "" : "none"; }
      });
    }
    function poll() {
      // `since`: the version of the last answer; the server answers 204 while nothing changed.
      var url = list.dataset.live;
      if (version) url += (url.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(version);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.status === 204 ? null : r.ok ? r.json() : (ended(r), null); })
        .then(function (data) {
          if (!data) return;
          version = data.version;
          // Redrawn only when it changed: a click or a selection is never lost to a refresh.
          var signature = JSON.stringify(data.intake);
          if (signature === drawn) { counters(data); return; }
          var first = drawn === null;
          drawn = signature;
          var ids = data.intake.map(function (i) { return i.incident_id; });
          var rendered = Array.prototype.map.call(
            list.querySelectorAll("li[data-incident]"), function (li) { return li.dataset.incident; });
          if (first && rendered.join() === ids.join()) {
            known = ids;  // the page was rendered with this very queue: it stays as it is
            counters(data);
            return;
          }
          var fresh = known === null ? [] : ids.filter(function (id) { return known.indexOf(id) < 0; });
          known = ids;
          list.innerHTML = "";
          if (!data.intake.length) { list.innerHTML = '<li class="empty">暂无待研判警情</li>'; }
          data.intake.forEach(function (i) {
            var li = document.createElement("li");
            li.className = (fresh.indexOf(i.incident_id) >= 0 ? "fresh " : "") + (i.urgent ? "urgent" : "");
            li.dataset.incident = i.incident_id;
            var a = document.createElement("a");
            a.href = i.url;
            a.innerHTML = '<span class="age" data-age="' + i.accepted_epoch + '"></span>' +
              (i.claimed_by ? '<span class="claim"></span>' : "") +
              '<span class="addr"></span><br><span class="muted text"></span><span class="cues"></span>';
            if (i.claimed_by) a.querySelector(".claim").textContent = "正在研判 · " + i.claimed_by;
            a.querySelector(".addr").textContent = i.address;
            i.cues.forEach(function (c) {
              var cue = document.createElement("span");
              cue.className = "cue"; cue.textContent = c;
              a.querySelector(".cues").appendChild(cue);
            });
            var text = a.querySelector(".text");
            text.textContent = i.content;
            if (i.urgent) text.insertAdjacentHTML("afterbegin", '<b class="urgent-mark">【紧急】</b>');
            if (i.cues.length) a.querySelector(".cues").insertAdjacentHTML("beforebegin", "<br>");
            li.appendChild(a); list.appendChild(li);
          });
          counters(data);
          document.dispatchEvent(new CustomEvent("liandong:intake"));
          if (fresh.length) {
            alertText("新警情 " + fresh.length + " 起待研判");
            beep(2);
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
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        var target = document.getElementById(btn.dataset.target);
        target.textContent = d.caller_phone;
        var name = document.getElementById(btn.dataset.target + "-name");
        if (name && d.caller_name) name.textContent = d.caller_name;
        var tel = document.getElementById(btn.dataset.target + "-tel");
        if (tel) { tel.href = "tel:" + d.caller_phone; tel.hidden = false; tel.style.display = ""; }
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
        select.dispatchEvent(new CustomEvent("picker:sync"));
        if (p.street) form.elements.street.value = p.street.code;
        var hint = document.getElementById("escalates-when");
        if (hint) {
          hint.hidden = !p.escalates_when;
          hint.querySelector("span").textContent = p.escalates_when || "";
        }
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
    select.dispatchEvent(new CustomEvent("picker:sync"));
  });

  // The monthly bulletin: a candidate case is appended to the typical cases (a blank line apart).
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest("[data-append-case]");
    if (!button) return;
    var area = document.getElementById("typical_cases");
    var text = area.value.replace(/\s+$/, "");
    area.value = (text ? text + "\n\n" : "") + button.dataset.appendCase;
    button.disabled = true;
    area.focus();
  });

  // Textareas count against their limit; a required field of spaces only is refused here, in
  // Chinese, before anything is sent (the server refuses it too).
  function counters() {
    document.querySelectorAll("textarea[maxlength]").forEach(function (area) {
      if (area.dataset.counted) return;
      area.dataset.counted = "1";
      var out = document.createElement("div");
      out.className = "counter";
      area.insertAdjacentElement("afterend", out);
      function show() {
        var n = area.value.length, max = parseInt(area.getAttribute("maxlength"), 10);
        out.textContent = n + " / " + max;
        out.classList.toggle("near", n > max * 0.9);
      }
      area.addEventListener("input", show);
      show();
    });
  }
  document.addEventListener("DOMContentLoaded", counters);
  document.addEventListener("input", function (ev) {
    if (ev.target.matches && ev.target.matches("textarea, input")) ev.target.setCustomValidity("");
  });
  document.addEventListener("submit", function (ev) {
    var form = ev.target, bad = null;
    form.querySelectorAll("textarea[required], input[required]:not([type=file]):not([type=radio]):not([type=checkbox])").forEach(function (el) {
      if (!bad && el.value.length && !el.value.trim()) bad = el;
    });
    if (bad) {
      ev.preventDefault();
      bad.setCustomValidity("不能只填空格");
      bad.reportValidity();
    }
  }, true);

  // Photos chosen for a report are shown as thumbnails before sending.
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input.dataset || !input.dataset.thumbs) return;
    var box = document.getElementById(input.dataset.thumbs);
    box.innerHTML = "";
    Array.prototype.forEach.call(input.files || [], function (file) {
      if (!/^image\//.test(file.type)) return;
      var img = document.createElement("img");
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      box.appendChild(img);
    });
  });

  // Call-back: reopening is offered only with 不满意.
  function reopenChoice() {
    var form = document.getElementById("callback-form");
    if (!form) return;
    var choice = document.getElementById("reopen-choice");
    var picked = form.querySelector("input[name=satisfaction]:checked");
    var unhappy = picked && picked.value === "unsatisfied";
    choice.hidden = !unhappy;
    if (!unhappy) choice.querySelector("input").checked = false;
  }
  document.addEventListener("change", function (ev) {
    if (ev.target.name === "satisfaction") reopenChoice();
  });
  document.addEventListener("DOMContentLoaded", reopenChoice);
})();
