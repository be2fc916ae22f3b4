// 联动 — a searchable picker with chips over a native <select multiple data-picker>: the select stays
// the form's field (hidden), the picker only sets its options. `data-exclude="primary_unit"` leaves
// out the unit chosen in that field of the same form (a primary unit is not also cooperating).
(function () {
  "use strict";

  function build(select) {
    var box = document.createElement("div");
    box.className = "picker";
    box.innerHTML = '<div class="chips" aria-live="polite"></div>' +
      '<input type="search" class="picker-search" autocomplete="off">' +
      '<ul class="picker-list" role="listbox"></ul><div class="picker-summary muted"></div>';
    var search = box.querySelector(".picker-search");
    search.placeholder = "输入单位名称筛选，点击加入";
    search.setAttribute("aria-label", (select.getAttribute("aria-label") || "单位") + "：筛选");
    select.insertAdjacentElement("afterend", box);
    select.classList.add("picker-native");
    select.tabIndex = -1;

    function excluded() {
      var name = select.dataset.exclude;
      var field = name && select.form ? select.form.elements[name] : null;
      return field ? field.value : "";
    }
    function render() {
      var chips = box.querySelector(".chips"), list = box.querySelector(".picker-list");
      var term = search.value.trim(), skip = excluded();
      chips.innerHTML = ""; list.innerHTML = "";
      box.classList.toggle("disabled", select.disabled);
      search.disabled = select.disabled;
      var chosen = 0;
      Array.prototype.forEach.call(select.options, function (o) {
        if (o.value === skip && o.selected) o.selected = false;
        if (o.selected) {
          chosen++;
          var chip = document.createElement("button");
          chip.type = "button"; chip.className = "chip"; chip.dataset.value = o.value;
          chip.textContent = o.textContent + " ×";
          chip.setAttribute("aria-label", "移除" + o.textContent);
          chip.disabled = select.disabled;
          chips.appendChild(chip);
        } else if (o.value && o.value !== skip && (!term || o.textContent.indexOf(term) >= 0)) {
          var li = document.createElement("li");
          li.tabIndex = 0; li.dataset.value = o.value; li.setAttribute("role", "option");
          li.textContent = o.textContent;
          list.appendChild(li);
        }
      });
      list.hidden = select.disabled;
      box.querySelector(".picker-summary").textContent = select.disabled
        ? "源头分流类不派协同单位"
        : "已选 " + chosen + " 个协同单位";
    }
    function set(value, on) {
      Array.prototype.forEach.call(select.options, function (o) { if (o.value === value) o.selected = on; });
      render();
    }
    box.addEventListener("click", function (ev) {
      var chip = ev.target.closest(".chip"), item = ev.target.closest(".picker-list li");
      if (chip) set(chip.dataset.value, false);
      if (item) { set(item.dataset.value, true); search.focus(); }
    });
    box.addEventListener("keydown", function (ev) {
      var item = ev.target.closest(".picker-list li");
      if (item && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); set(item.dataset.value, true); }
      if (ev.target === search && ev.key === "Enter") {
        ev.preventDefault();
        var first = box.querySelector(".picker-list li");
        if (first) { set(first.dataset.value, true); search.value = ""; render(); }
      }
    });
    search.addEventListener("input", render);
    select.addEventListener("picker:sync", render);
    if (select.form && select.dataset.exclude) {
      select.form.addEventListener("change", function (ev) {
        if (ev.target.name === select.dataset.exclude) render();
      });
    }
    render();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[multiple][data-picker]").forEach(build);
  });
})();
