/* Harbour: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Move focus to the error summary after a failed submission, so screen readers start there.
  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  // A long <select multiple> (countries, languages) becomes a text box that narrows a list of
  // checkboxes, plus the chosen values as remove buttons. A native multiple select loses the
  // whole selection on a plain click or arrow key; checkboxes never do. The select stays in the
  // form, hidden, and is still what the form submits.
  function enhanceMultiSelect(select) {
    if (select.dataset.enhanced) {
      return;
    }
    select.dataset.enhanced = "1";
    var baseId = select.id;
    var describedBy = select.getAttribute("aria-describedby");

    // The filter box takes over the select's id, so its <label> and the error summary's
    // link land on something visible and focusable.
    select.id = baseId + "_native";
    select.hidden = true;

    var filter = document.createElement("input");
    filter.type = "search";
    filter.id = baseId;
    filter.className = "choice-filter";
    filter.placeholder = select.dataset.filterLabel || "";
    filter.setAttribute("autocomplete", "off");
    filter.setAttribute("aria-controls", baseId + "_options");
    if (describedBy) {
      filter.setAttribute("aria-describedby", describedBy);
    }
    if (select.getAttribute("aria-invalid")) {
      filter.setAttribute("aria-invalid", "true");
    }

    var chosen = document.createElement("ul");
    chosen.className = "chosen";
    chosen.setAttribute("aria-label", select.dataset.chosenLabel || "Selected");
    chosen.setAttribute("aria-live", "polite");

    var list = document.createElement("div");
    list.className = "choice-options";
    list.id = baseId + "_options";
    list.setAttribute("role", "group");
    list.setAttribute("aria-label", filter.placeholder);

    var boxes = [];
    Array.prototype.forEach.call(select.options, function (option, index) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.id = baseId + "_choice_" + index;
      box.checked = option.selected;
      box.addEventListener("change", function () {
        option.selected = box.checked;
        changed();
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + option.text));
      list.appendChild(label);
      boxes.push({ option: option, box: box, label: label });
    });

    select.parentNode.insertBefore(filter, select);
    select.parentNode.insertBefore(chosen, select);
    select.parentNode.insertBefore(list, select);

    function applyFilter() {
      var needle = filter.value.trim().toLowerCase();
      boxes.forEach(function (entry) {
        var haystack = (entry.option.text + " " + entry.option.value).toLowerCase();
        entry.label.hidden = needle !== "" && haystack.indexOf(needle) === -1;
      });
    }

    // The code typed in full, then a name starting with the text, then any visible match.
    function bestMatch(needle) {
      var visible = boxes.filter(function (entry) {
        return !entry.label.hidden;
      });
      return (
        visible.find(function (entry) {
          return entry.option.value.toLowerCase() === needle;
        }) ||
        visible.find(function (entry) {
          return entry.option.text.toLowerCase().indexOf(needle) === 0;
        }) ||
        visible[0]
      );
    }

    function renderChosen() {
      chosen.textContent = "";
      boxes.forEach(function (entry) {
        entry.box.checked = entry.option.selected;
        if (!entry.option.selected) {
          return;
        }
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = entry.option.text + " \u00d7";
        button.setAttribute(
          "aria-label",
          (select.dataset.removeLabel || "Remove") + " " + entry.option.text
        );
        button.addEventListener("click", function () {
          entry.option.selected = false;
          changed();
          filter.focus();
        });
        item.appendChild(button);
        chosen.appendChild(item);
      });
    }

    function changed() {
      renderChosen();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") {
        return;
      }
      // Enter ticks the first match rather than submitting the whole form.
      event.preventDefault();
      var best = bestMatch(filter.value.trim().toLowerCase());
      if (best) {
        best.option.selected = !best.option.selected;
        changed();
      }
    });

    renderChosen();
  }

  function enhance(root) {
    root.querySelectorAll("select[multiple][data-filterable]").forEach(enhanceMultiSelect);
  }

  // After htmx replaces a result list, say how many results there are now: the count inside
  // the new fragment is not a live region, the announcer outside it is.
  function announceResults(event) {
    var announcer = document.getElementById("results-announcer");
    var count = event.target.querySelector && event.target.querySelector(".result-count");
    if (announcer && count) {
      announcer.textContent = count.textContent.trim();
    }
  }

  // After a page link replaced the results, continue reading from the top of them.
  function focusResultsAfterPaging(event) {
    var trigger = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
    if (trigger && trigger.closest && trigger.closest(".pagination")) {
      event.target.setAttribute("tabindex", "-1");
      event.target.focus();
    }
  }

  // Filter forms send only the filters that are set, so the pushed URL stays short and
  // readable (and carries nothing the person did not choose).
  function dropEmptyParameters(event) {
    var formData = event.detail.formData;
    if (event.detail.verb !== "get" || !formData) {
      return;
    }
    var empty = [];
    formData.forEach(function (value, key) {
      if (value === "" && formData.getAll(key).every(function (v) { return v === ""; })) {
        empty.push(key);
      }
    });
    empty.forEach(function (key) {
      formData.delete(key);
    });
  }

  document.addEventListener("htmx:configRequest", dropEmptyParameters);
  // A passkey just registered (django-otp-webauthn's event): show it in the list of devices.
  document.addEventListener("otp_webauthn.register_complete", function () {
    window.location.reload();
  });
  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    enhance(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    enhance(event.target);
    announceResults(event);
    focusResultsAfterPaging(event);
  });
})();
