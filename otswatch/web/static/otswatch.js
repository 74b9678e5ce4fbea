// otswatch: a little progressive enhancement. Every page works without it.
// The watch editor asks for a live backtest preview while the user types (debounced).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const editor = document.querySelector("form.watch-editor");
  if (!editor) return;
  const text = editor.querySelector("textarea");
  const target = document.getElementById("preview");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let timer = null;
  let sequence = 0;
  const refresh = async () => {
    const mine = ++sequence;
    target.setAttribute("aria-busy", "true");
    const body = new URLSearchParams({ text: text.value, csrf });
    try {
      const answer = await fetch(editor.dataset.preview, {
        method: "POST", body, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin",
      });
      const html = await answer.text();
      if (mine !== sequence) return;  // a newer edit is already on its way
      // The server renders the fragment with autoescaping; it is our own markup only.
      const fragment = new DOMParser().parseFromString(html, "text/html");
      target.replaceChildren(...fragment.body.childNodes);
    } catch (error) {
      target.textContent = "Preview failed: " + error;
    } finally {
      if (mine === sequence) target.removeAttribute("aria-busy");
    }
  };
  text.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 600); });
});
