// +/- buttons of the resource table; the form's live quote listens for "stepped".
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.step");
  if (!button) return;
  var input = button.parentElement.querySelector("input[type=number]");
  if (!input) return;
  if (button.dataset.step === "1") input.stepUp(); else input.stepDown();
  input.form.dispatchEvent(new Event("stepped", { bubbles: true }));
});
// A submitted form cannot be sent twice by a second click (the server also refuses replays).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
});
