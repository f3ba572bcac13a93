// The postmortem editor: live preview (sanitised on the server), the blameless checker's
// underlines, autosave with optimistic concurrency, and a merge view when someone else
// saved first (409), so no edit is ever silently lost. No inline script: CSP-friendly.
(function () {
  "use strict";

  const printButton = document.getElementById("print-button");
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", () => window.print());
  }

  const editor = document.getElementById("pm-editor");
  if (!editor) return;

  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const statusEl = document.getElementById("pm-save-status");
  const versionLabel = document.getElementById("pm-version-label");
  const mergePanel = document.getElementById("pm-merge");
  const mergeSections = document.getElementById("pm-merge-sections");
  const areas = Array.from(editor.querySelectorAll("textarea[data-section]"));
  const byKey = new Map(areas.map((area) => [area.dataset.section, area]));

  let version = Number(editor.dataset.version);
  // The text each section had in the version we last loaded or saved.
  const base = new Map(areas.map((area) => [area.dataset.section, area.value]));
  const dirty = new Set();
  let saving = false;
  let merging = false;
  let saveTimer = null;
  const previewTimers = new Map();

  function setStatus(text, state) {
    statusEl.textContent = text;
    statusEl.dataset.state = state;
  }

  async function request(url, method, body) {
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = { detail: "Unexpected answer from the server (" + response.status + ")." };
    }
    return { status: response.status, data: data };
  }

  // --- Preview and checker --------------------------------------------------------------

  function showFindings(key, text, findings) {
    const box = editor.querySelector('[data-check-for="' + key + '"]');
    box.replaceChildren();
    if (!findings.length) return;
    const annotated = document.createElement("p");
    annotated.className = "pm-annotated";
    let at = 0;
    findings.forEach((finding) => {
      annotated.append(document.createTextNode(text.slice(at, finding.start)));
      const mark = document.createElement("mark");
      mark.className = "finding";
      mark.tabIndex = 0;
      mark.textContent = text.slice(finding.start, finding.end);
      mark.title = finding.reason + " Try: " + finding.suggestion;
      annotated.append(mark);
      at = finding.end;
    });
    annotated.append(document.createTextNode(text.slice(at)));
    const list = document.createElement("ul");
    list.className = "pm-finding-list";
    findings.forEach((finding) => {
      const item = document.createElement("li");
      const quote = document.createElement("strong");
      quote.textContent = "“" + finding.text + "”";
      item.append(quote, document.createTextNode(" " + finding.reason + " Try: " + finding.suggestion));
      list.append(item);
    });
    const heading = document.createElement("p");
    heading.className = "pm-check-heading";
    heading.textContent = "Blameless checker: " + findings.length + " finding" + (findings.length === 1 ? "" : "s");
    box.append(heading, annotated, list);
  }

  async function preview(key) {
    const area = byKey.get(key);
    const text = area.value;
    const result = await request(editor.dataset.preview, "POST", { text: text, incident: editor.dataset.ref });
    if (result.status !== 200 || area.value !== text) return;
    // The server sanitised this HTML (markdown-it-py + nh3): no raw HTML, script or
    // javascript: URL survives.
    const target = editor.querySelector('[data-preview-for="' + key + '"]');
    target.innerHTML = result.data.html;
    target.dataset.live = "true";
    showFindings(key, text, result.data.findings);
  }

  function schedulePreview(key) {
    clearTimeout(previewTimers.get(key));
    previewTimers.set(key, setTimeout(() => preview(key), 350));
  }

  // --- Saving -------------------------------------------------------------------------------

  function scheduleSave() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 1500);
  }

  async function save() {
    if (saving || merging || !dirty.size) return;
    saving = true;
    const sent = {};
    dirty.forEach((key) => { sent[key] = byKey.get(key).value; });
    setStatus("Saving…", "saving");
    let result;
    try {
      result = await request(editor.dataset.api, "PUT", { version: version, sections: sent });
    } catch (error) {
      saving = false;
      setStatus("Not saved: the server could not be reached. Retrying…", "error");
      scheduleSave();
      return;
    }
    saving = false;
    if (result.status === 200) {
      version = result.data.version;
      versionLabel.textContent = version;
      Object.entries(sent).forEach(([key, text]) => {
        base.set(key, text);
        if (byKey.get(key).value === text) dirty.delete(key);
      });
      if (dirty.size) {
        setStatus("Unsaved changes…", "dirty");
        scheduleSave();
      } else {
        setStatus("All changes saved (version " + version + ").", "saved");
      }
    } else if (result.status === 409 && result.data.sections) {
      startMerge(result.data);
    } else {
      setStatus("Not saved: " + (result.data.detail || "error " + result.status), "error");
    }
  }

  // --- Merging after a 409 --------------------------------------------------------------

  function column(label, text, readOnly, key) {
    const wrap = document.createElement("div");
    wrap.className = "pm-merge-col";
    const title = document.createElement("label");
    title.textContent = label;
    const area = document.createElement("textarea");
    area.rows = 8;
    area.value = text;
    area.readOnly = readOnly;
    area.id = "merge-" + key + "-" + label.split(" ")[0].toLowerCase();
    title.htmlFor = area.id;
    wrap.append(title, area);
    return { wrap: wrap, area: area };
  }

  function startMerge(current) {
    const theirs = current.sections;
    const conflicts = [];
    byKey.forEach((area, key) => {
      const their = theirs[key] === undefined ? "" : theirs[key];
      if (dirty.has(key)) {
        if (their !== base.get(key) && their !== area.value) conflicts.push(key);
      } else if (their !== area.value) {
        area.value = their;  // nobody is editing it here: take theirs
        schedulePreview(key);
      }
      base.set(key, their);
    });
    version = current.version;
    versionLabel.textContent = version;
    if (!conflicts.length) {
      scheduleSave();
      return;
    }
    merging = true;
    mergeSections.replaceChildren();
    conflicts.forEach((key) => {
      const block = document.createElement("fieldset");
      block.className = "pm-merge-block";
      block.dataset.section = key;
      const legend = document.createElement("legend");
      legend.textContent = document.getElementById("heading-" + key).textContent;
      const mine = column("Your text", byKey.get(key).value, true, key);
      const other = column("Their text" + (current.updated_by ? " (" + current.updated_by + ")" : ""), theirs[key] || "", true, key);
      const merged = column("Merged", byKey.get(key).value, false, key);
      merged.area.dataset.merged = key;
      const useTheirs = document.createElement("button");
      useTheirs.type = "button";
      useTheirs.className = "button button-small";
      useTheirs.textContent = "Use their text";
      useTheirs.addEventListener("click", () => { merged.area.value = other.area.value; });
      const useBoth = document.createElement("button");
      useBoth.type = "button";
      useBoth.className = "button button-small";
      useBoth.textContent = "Keep both";
      useBoth.addEventListener("click", () => { merged.area.value = mine.area.value + "\n\n" + other.area.value; });
      const row = document.createElement("div");
      row.className = "pm-merge-row";
      row.append(mine.wrap, other.wrap, merged.wrap);
      block.append(legend, row, useTheirs, useBoth);
      mergeSections.append(block);
    });
    document.getElementById("pm-merge-detail").textContent = current.detail;
    mergePanel.hidden = false;
    setStatus("Not saved yet: merge your text with theirs below.", "conflict");
    mergePanel.scrollIntoView();
  }

  document.getElementById("pm-merge-save").addEventListener("click", () => {
    mergeSections.querySelectorAll("textarea[data-merged]").forEach((area) => {
      const key = area.dataset.merged;
      byKey.get(key).value = area.value;
      dirty.add(key);
      schedulePreview(key);
    });
    merging = false;
    mergePanel.hidden = true;
    save();
  });

  // --- Wiring -------------------------------------------------------------------------------

  areas.forEach((area) => {
    const key = area.dataset.section;
    area.addEventListener("input", () => {
      dirty.add(key);
      setStatus("Unsaved changes…", "dirty");
      schedulePreview(key);
      scheduleSave();
    });
    if (area.value) schedulePreview(key);
  });
  document.getElementById("pm-save").addEventListener("click", () => {
    clearTimeout(saveTimer);
    save();
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty.size) event.preventDefault();
  });
})();
