// herald catalog: search on the index, version comparison on event pages. Plain DOM, no
// innerHTML: every text from the schemas goes through textContent.
(function () {
  "use strict";

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function setupSearch() {
    var box = document.getElementById("search-box");
    var list = document.getElementById("search-results");
    var count = document.getElementById("search-count");
    var entries = window.HERALD_SEARCH;
    if (!box || !list || !Array.isArray(entries)) return;
    function run() {
      var words = box.value.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
      while (list.firstChild) list.removeChild(list.firstChild);
      if (words.length === 0) { count.textContent = ""; return; }
      var found = entries.filter(function (e) {
        var name = e.name.toLowerCase();
        var fields = e.fields.join(" ").toLowerCase();
        var doc = e.doc.toLowerCase();
        return words.every(function (w) { return name.indexOf(w) >= 0 || fields.indexOf(w) >= 0 || doc.indexOf(w) >= 0; });
      });
      found.slice(0, 200).forEach(function (e) {
        var li = el("li");
        li.appendChild(el("a", e.name, { href: "events/" + e.href + ".html" }));
        li.appendChild(document.createTextNode(" (" + e.kind + ")"));
        var matched = e.fields.filter(function (f) {
          return words.some(function (w) { return f.toLowerCase().indexOf(w) >= 0; });
        });
        if (matched.length > 0) li.appendChild(el("span", " fields: " + matched.join(", "), { "class": "muted" }));
        list.appendChild(li);
      });
      count.textContent = found.length + (found.length === 1 ? " match" : " matches");
    }
    box.addEventListener("input", run);
    run();
  }

  function setupCompare() {
    var from = document.getElementById("compare-from");
    var to = document.getElementById("compare-to");
    var history = window.HERALD_HISTORY;
    if (!from || !to || !history || history.versions.length === 0) return;
    var versions = history.versions;
    versions.forEach(function (v, i) {
      from.appendChild(el("option", v.version, { value: String(i) }));
      to.appendChild(el("option", v.version, { value: String(i) }));
    });
    from.value = String(Math.max(0, versions.length - 2));
    to.value = String(versions.length - 1);
    function run() {
      var a = versions[Number(from.value)], b = versions[Number(to.value)];
      var body = document.querySelector("#compare-diff tbody");
      while (body.firstChild) body.removeChild(body.firstChild);
      var rows = [];
      Object.keys(a.fields).forEach(function (p) {
        if (!(p in b.fields)) rows.push(["removed", p, a.fields[p], ""]);
        else if (a.fields[p] !== b.fields[p]) rows.push(["changed", p, a.fields[p], b.fields[p]]);
      });
      Object.keys(b.fields).forEach(function (p) {
        if (!(p in a.fields)) rows.push(["added", p, "", b.fields[p]]);
      });
      rows.sort(function (x, y) { return x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0; });
      rows.forEach(function (r) {
        var tr = el("tr", null, { "class": r[0] });
        tr.appendChild(el("td", r[0]));
        [r[1], r[2], r[3]].forEach(function (t) { var td = el("td"); td.appendChild(el("code", t)); tr.appendChild(td); });
        body.appendChild(tr);
      });
      var verdict = document.getElementById("compare-verdict");
      var found = history.verdicts.filter(function (v) { return v.from === a.version && v.to === b.version; })[0];
      if (a === b) verdict.textContent = "The same version.";
      else if (found) {
        verdict.textContent = a.version + " → " + b.version + ": " + (found.compatible ? "compatible" : "breaking") + " (" + found.mode + ")" +
          (found.findings.length ? ": " + found.findings.join("; ") : "");
        verdict.className = "verdict " + (found.compatible ? "ok" : "breaking");
      } else {
        verdict.textContent = rows.length + " field changes. No verdict recorded for this pair: the catalog judges an older version against a newer one (every pair in a small repo, else each version against the one before it and against the latest).";
        verdict.className = "muted";
      }
    }
    from.addEventListener("change", run);
    to.addEventListener("change", run);
    run();
  }

  setupSearch();
  setupCompare();
})();
