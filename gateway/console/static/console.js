// The console works without this script; it only adds conveniences.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Ask before a form that changes something (replay) is sent.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
  // Filter forms marked data-autosubmit apply a choice at once.
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    for (const field of form.querySelectorAll("select")) {
      field.addEventListener("change", () => form.submit());
    }
  }
  // Empty filter fields stay out of the address, so links to a filtered log stay short.
  const filters = document.getElementById("filters");
  if (filters) {
    filters.addEventListener("submit", () => {
      for (const field of filters.querySelectorAll("input, select")) {
        field.disabled = field.value === "";
      }
    });
  }
});

// Coming back to the page (history), the disabled empty fields are usable again.
window.addEventListener("pageshow", () => {
  for (const field of document.querySelectorAll("#filters [disabled]")) {
    field.disabled = false;
  }
});
