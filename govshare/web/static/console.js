/* GovShare console: upload progress. Without this script the upload form posts normally.
   A form marked data-upload is sent with XMLHttpRequest so the browser reports upload progress;
   the page the server answers (the entry page with the load report, or an error page) then
   replaces the current one. Messages come translated from data-msg-* attributes. */
(function () {
  "use strict";

  function bindUploads() {
    var forms = document.querySelectorAll("form[data-upload]");
    Array.prototype.forEach.call(forms, function (form) {
      if (form.getAttribute("data-bound")) { return; }
      form.setAttribute("data-bound", "1");
      form.addEventListener("submit", function (event) { send(form, event); });
    });
  }

  function send(form, event) {
    if (!window.FormData || !window.XMLHttpRequest || !window.DOMParser) { return; }  // plain post
    var fileInput = form.querySelector("input[type=file]");
    if (fileInput && fileInput.files && fileInput.files.length === 0) { return; }  // let the server say why
    event.preventDefault();
    var box = form.querySelector(".upload-progress");
    var bar = form.querySelector("progress");
    var status = form.querySelector("[data-upload-status]");
    var button = form.querySelector("button[type=submit]");
    var pageUrl = window.location.href;

    function say(text) { if (status) { status.textContent = text; } }

    if (box) { box.hidden = false; }
    if (bar) { bar.value = 0; }
    if (button) { button.disabled = true; }
    say(form.getAttribute("data-msg-uploading"));

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable || !bar) { return; }
      var pct = Math.floor(e.loaded / e.total * 100);
      bar.value = pct;
      say(form.getAttribute("data-msg-uploading") + " " + pct + "%");
    });
    xhr.upload.addEventListener("load", function () {
      if (bar) { bar.removeAttribute("value"); }  // indeterminate while the server loads the data
      say(form.getAttribute("data-msg-processing"));
    });
    xhr.addEventListener("load", function () {
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (type.indexOf("text/html") !== 0) { failed(); return; }
      swap(xhr.responseText, xhr.responseURL, pageUrl, form.action);
    });
    xhr.addEventListener("error", failed);
    xhr.addEventListener("abort", failed);
    xhr.send(new FormData(form));

    function failed() {
      if (button) { button.disabled = false; }
      if (bar) { bar.value = 0; }
      say(form.getAttribute("data-msg-failed"));
    }
  }

  function swap(html, responseUrl, pageUrl, postUrl) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    document.title = doc.title;
    document.documentElement.lang = doc.documentElement.lang;
    document.body.replaceWith(document.adoptNode(doc.body));
    // The upload answer belongs to the entry page; a redirect (e.g. to sign in) moves the address.
    if (responseUrl && responseUrl !== postUrl && responseUrl !== pageUrl && window.history.replaceState) {
      window.history.replaceState(null, "", responseUrl);
    }
    bindUploads();
    var target = document.getElementById("load-result") || document.getElementById("main");
    if (target) { target.focus(); target.scrollIntoView(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bindUploads);
  } else {
    bindUploads();
  }
})();
