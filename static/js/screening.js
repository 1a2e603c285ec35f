/* Screening Interview Form enhancements. The form works without this file: every field is
   shown with a hint, and long lists are plain selects or checkbox lists. With it:
   - a field that applies only to some answers (data-show-if-field / data-show-if-value) is
     hidden and disabled while it does not apply, so a hidden answer is never sent;
   - long code lists (data-code-filter) get a text box that filters their options;
   - after an htmx save, the error summary takes the focus. */
(function () {
  "use strict";

  function selectedValues(form, name) {
    var values = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      if (input.tagName === "SELECT") {
        Array.prototype.forEach.call(input.selectedOptions, function (option) {
          values.push(option.value);
        });
      } else if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked) {
          values.push(input.value);
        }
      } else {
        values.push(input.value);
      }
    });
    return values;
  }

  function applyConditions(form) {
    var seen = new Set();
    form.querySelectorAll("[data-show-if-field]").forEach(function (input) {
      var wrapper = input.closest(".field");
      if (!wrapper || seen.has(wrapper)) {
        return;
      }
      seen.add(wrapper);
      var applies = selectedValues(form, input.dataset.showIfField).indexOf(
        input.dataset.showIfValue
      ) !== -1;
      wrapper.hidden = !applies;
      wrapper.querySelectorAll("input, select, textarea").forEach(function (control) {
        control.disabled = !applies;
      });
    });
  }

  function fieldLabel(control) {
    var label = control.id ? document.querySelector('label[for="' + control.id + '"]') : null;
    var fieldset = control.closest("fieldset");
    var source = label && !label.contains(control) ? label : fieldset && fieldset.querySelector("legend");
    /* The label's "required" star is decoration, not part of the name. */
    return source ? source.textContent.replace(/\s*\*\s*$/, "").trim() : "";
  }

  var filterCount = 0;

  function addFilterBox(before, labelText, items, isVisible) {
    filterCount += 1;
    var box = document.createElement("div");
    box.className = "code-filter";
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "search";
    input.id = "code-filter-" + filterCount;
    input.autocomplete = "off";
    label.htmlFor = input.id;
    label.textContent = labelText;
    box.appendChild(label);
    box.appendChild(input);
    before.parentNode.insertBefore(box, before);
    input.addEventListener("input", function () {
      var query = input.value.trim().toLowerCase();
      items().forEach(function (item) {
        item.element.hidden = !(query === "" || isVisible(item, query));
      });
    });
    /* Enter in the filter box must not submit the section. */
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
  }

  function enhanceSelect(select) {
    var text = select.dataset.codeFilter + ": " + fieldLabel(select);
    addFilterBox(
      select,
      text,
      function () {
        return Array.prototype.map.call(select.options, function (option) {
          return { element: option, text: option.textContent.toLowerCase(), option: option };
        });
      },
      function (item, query) {
        return item.option.selected || item.option.value === "" || item.text.indexOf(query) !== -1;
      }
    );
  }

  function enhanceCheckboxes(first) {
    var name = first.name;
    var group = first.closest(".field");
    var options = Array.prototype.map.call(
      group.querySelectorAll('input[type="checkbox"][name="' + name + '"]'),
      function (checkbox) {
        var row = checkbox.closest("label").parentNode;
        return { element: row, text: row.textContent.toLowerCase(), checkbox: checkbox };
      }
    );
    if (!options.length) {
      return;
    }
    addFilterBox(
      options[0].element.parentNode,
      first.dataset.codeFilter + ": " + fieldLabel(first),
      function () {
        return options;
      },
      function (item, query) {
        return item.checkbox.checked || item.text.indexOf(query) !== -1;
      }
    );
  }

  function enhance(root) {
    root.querySelectorAll("select[data-code-filter]").forEach(function (select) {
      if (!select.dataset.codeFilterReady) {
        select.dataset.codeFilterReady = "1";
        enhanceSelect(select);
      }
    });
    var groups = new Set();
    root.querySelectorAll('input[type="checkbox"][data-code-filter]').forEach(function (box) {
      var group = box.closest(".field");
      if (group && !groups.has(group) && !group.dataset.codeFilterReady) {
        groups.add(group);
        group.dataset.codeFilterReady = "1";
        enhanceCheckboxes(box);
      }
    });
    var forms = root.matches && root.matches("form") ? [root] : root.querySelectorAll("form");
    Array.prototype.forEach.call(forms, function (form) {
      if (!form.querySelector("[data-show-if-field]")) {
        return;
      }
      applyConditions(form);
      if (!form.dataset.conditionsReady) {
        form.dataset.conditionsReady = "1";
        form.addEventListener("change", function () {
          applyConditions(form);
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });

  document.addEventListener("htmx:load", function (event) {
    if (event.detail && event.detail.elt && event.detail.elt !== document.body) {
      enhance(event.detail.elt);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var summary = event.detail.target && document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  });
})();
