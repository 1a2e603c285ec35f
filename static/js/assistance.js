/* Direct assistance form enhancements. The forms work without this file: every field is shown
   with a hint and the service refuses what does not fit. With it:
   - a field that applies only to one answer (data-show-if-field / data-show-if-value) is
     hidden and disabled while it does not apply, so a hidden answer is never sent;
   - the sub-type list (data-sub-type-of) offers only the sub-types of the chosen category. */
(function () {
  "use strict";

  function valueOf(form, name) {
    var value = "";
    form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      if ((input.type !== "radio" && input.type !== "checkbox") || input.checked) {
        value = input.value;
      }
    });
    return value;
  }

  function applyConditions(form) {
    form.querySelectorAll("[data-show-if-field]").forEach(function (input) {
      var wrapper = input.closest(".field");
      if (!wrapper) {
        return;
      }
      var applies = valueOf(form, input.dataset.showIfField) === input.dataset.showIfValue;
      wrapper.hidden = !applies;
      input.disabled = !applies;
    });
  }

  function applySubTypes(form) {
    form.querySelectorAll("select[data-sub-type-of]").forEach(function (select) {
      var category = form.querySelector('select[name="' + select.dataset.subTypeOf + '"]');
      if (!category) {
        return;
      }
      var chosen = category.selectedOptions.length ? category.selectedOptions[0].text : "";
      var any = false;
      select.querySelectorAll("optgroup").forEach(function (group) {
        var applies = group.label === chosen;
        group.hidden = !applies;
        group.disabled = !applies;
        any = any || applies;
        if (!applies && group.contains(select.selectedOptions[0])) {
          select.value = "";
        }
      });
      var wrapper = select.closest(".field");
      if (wrapper) {
        wrapper.hidden = !any;
      }
    });
  }

  function enhance(form) {
    if (!form.querySelector("[data-show-if-field], select[data-sub-type-of]")) {
      return;
    }
    var apply = function () {
      applyConditions(form);
      applySubTypes(form);
    };
    apply();
    form.addEventListener("change", apply);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(enhance);
  });
})();
