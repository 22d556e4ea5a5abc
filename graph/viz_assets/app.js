/* ParkGraph explorer: draws the embedded graph with vis-network and explains every node and edge.
 *
 * Security rule for this file: names, sentences and IRIs come from untrusted documents, so they are
 * only ever written with textContent / createTextNode, and a link gets an href only when it is
 * http(s). Never use innerHTML (or insertAdjacentHTML, document.write) with data.
 */
(function () {
  "use strict";

  var t0 = performance.now();
  var data = JSON.parse(document.getElementById("pg-data").textContent);
  var api = (window.parkgraph = { ready: false, stable: false, data: data });

  /* ---------- small DOM helpers (text only) ---------- */
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function byId(id) { return document.getElementById(id); }
  function isWebLink(url) { return typeof url === "string" && /^https?:\/\/[^\s]+$/i.test(url); }
  function fmt(n) { return Number(n).toLocaleString("en"); }

  var classes = {}; data.classes.forEach(function (c) { classes[c.name] = c; });
  var predicates = {}; data.predicates.forEach(function (p) { predicates[p.name] = p; });

  function swatch(color, shape) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "16"); svg.setAttribute("height", "16"); svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("class", "swatch");
    var pts = {
      hexagon: "8,1 14,4.5 14,11.5 8,15 2,11.5 2,4.5", triangle: "8,1.5 15,14.5 1,14.5",
      triangleDown: "1,1.5 15,1.5 8,14.5", diamond: "8,1 15,8 8,15 1,8",
      star: "8,1 10,6 15,6 11,9.5 12.5,15 8,11.5 3.5,15 5,9.5 1,6 6,6"
    }[shape];
    var s;
    if (pts) { s = document.createElementNS(ns, "polygon"); s.setAttribute("points", pts); }
    else if (shape === "square") {
      s = document.createElementNS(ns, "rect");
      s.setAttribute("x", "2"); s.setAttribute("y", "2"); s.setAttribute("width", "12"); s.setAttribute("height", "12");
    } else if (shape === "line") {
      s = document.createElementNS(ns, "rect");
      s.setAttribute("x", "0"); s.setAttribute("y", "6.5"); s.setAttribute("width", "16"); s.setAttribute("height", "3");
    } else {
      s = document.createElementNS(ns, "circle");
      s.setAttribute("cx", "8"); s.setAttribute("cy", "8"); s.setAttribute("r", "6.5");
    }
    s.setAttribute("fill", color);
    svg.appendChild(s);
    return svg;
  }

  /* ---------- data sets, filters and views ---------- */
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var hiddenClasses = new Set();
  var selectedDocs = new Set(data.documents.map(function (d, i) { return i; }));
  var visibleIds = new Set();

  function nodeVisible(n) {
    if (hiddenClasses.has(n.group)) return false;
    for (var i = 0; i < n.docs.length; i++) if (selectedDocs.has(n.docs[i])) return true;
    return false;
  }
  function edgeVisible(e) {
    if (!visibleIds.has(e.from) || !visibleIds.has(e.to)) return false;
    for (var i = 0; i < e.docs.length; i++) if (selectedDocs.has(e.docs[i])) return true;
    return false;
  }
  function computeVisible() { visibleIds = new Set(nodes.getIds({ filter: nodeVisible })); }
  computeVisible();
  var nodeView = new vis.DataView(nodes, { filter: function (n) { return visibleIds.has(n.id); } });
  var edgeView = new vis.DataView(edges, { filter: edgeVisible });

  /* ---------- the network ---------- */
  var container = byId("network");
  var network = new vis.Network(container, { nodes: [], edges: [] }, data.options);
  api.network = network; api.nodes = nodes; api.edges = edges; api.nodeView = nodeView; api.edgeView = edgeView;

  function drawnCounts() {
    return { nodes: network.body.nodeIndices.length, edges: network.body.edgeIndices.length };
  }
  api.drawnCounts = drawnCounts;

  function persistPositions() {
    // Hidden nodes come back where they were: store the settled positions in the data set itself.
    var pos = network.getPositions();
    var updates = [];
    Object.keys(pos).forEach(function (id) { updates.push({ id: id, x: pos[id].x, y: pos[id].y }); });
    nodes.update(updates);
  }

  function settled(iterations) {
    if (api.stable) return;
    network.setOptions({ physics: { enabled: false } });
    persistPositions();
    api.stable = true;
    api.stabilizationIterations = iterations;
    api.layoutMs = performance.now() - tLayout;
    api.stableMs = performance.now();
    byId("overlay").hidden = true;
    byId("layout-status").textContent = "Layout settled in " + (api.layoutMs / 1000).toFixed(1) + " s";
    if (data.focus && data.focus.length) {
      var ids = data.focus.filter(function (id) { return visibleIds.has(id); });
      if (ids.length) { network.selectNodes(ids); showNode(ids[0]); }
    }
  }

  api.progress = [];
  network.on("stabilizationProgress", function (p) {
    api.progress.push([Math.round(performance.now() - tLayout), p.iterations, p.total]);
    var pct = p.total ? Math.round((100 * p.iterations) / p.total) : 100;
    byId("overlay-text").textContent = "Laying out " + fmt(nodes.length) + " entities… " + pct + "%";
  });
  network.once("stabilizationIterationsDone", function () { settled(null); });
  network.once("stabilized", function (p) { settled(p && p.iterations); });

  var tLayout = performance.now();
  network.setData({ nodes: nodeView, edges: edgeView });
  if (nodes.length === 0) {
    byId("overlay-text").textContent = "This graph has no entities to draw.";
    settled(0);
    byId("overlay").hidden = false;
  }

  /* ---------- counts, legend and filters ---------- */
  function updateCounts() {
    byId("counts").textContent = "Showing " + fmt(nodeView.length) + " of " + fmt(nodes.length) +
      " entities and " + fmt(edgeView.length) + " of " + fmt(edges.length) + " facts";
  }
  function refresh() {
    computeVisible();
    nodeView.refresh();
    edgeView.refresh();
    updateCounts();
  }
  api.refresh = refresh;

  function checkboxRow(labelText, count, checked, onChange, decorate, tooltip) {
    var row = el("label", null, "row");
    var box = el("input");
    box.type = "checkbox"; box.checked = checked;
    box.addEventListener("change", function () { onChange(box.checked); });
    row.appendChild(box);
    if (decorate) row.appendChild(decorate);
    row.appendChild(el("span", labelText, "name"));
    if (count !== null) row.appendChild(el("span", fmt(count), "count"));
    if (tooltip) row.title = tooltip;
    return { row: row, box: box };
  }

  var legend = byId("class-filter");
  data.classes.forEach(function (c) {
    var r = checkboxRow(c.label, c.count, true, function (on) {
      if (on) hiddenClasses.delete(c.name); else hiddenClasses.add(c.name);
      refresh();
    }, swatch(c.color, c.shape), c.description);
    r.row.dataset.cls = c.name; r.box.dataset.cls = c.name;
    legend.appendChild(r.row);
  });

  var predLegend = byId("predicate-legend");
  data.predicates.forEach(function (p) {
    var row = el("div", null, "row");
    row.appendChild(swatch(p.color, "line"));
    row.appendChild(el("span", p.name, "name"));
    row.appendChild(el("span", fmt(p.count), "count"));
    predLegend.appendChild(row);
  });

  var docFilter = byId("doc-filter");
  var docBoxes = [];
  data.documents.forEach(function (d, i) {
    var r = checkboxRow(d.name, d.entities, true, function (on) {
      if (on) selectedDocs.add(i); else selectedDocs.delete(i);
      refresh();
    }, null, d.title || d.name);
    r.row.dataset.doc = String(i); r.box.dataset.doc = String(i);
    docBoxes.push(r.box);
    docFilter.appendChild(r.row);
  });
  function setAllDocs(on) {
    docBoxes.forEach(function (b, i) { b.checked = on; if (on) selectedDocs.add(i); else selectedDocs.delete(i); });
    refresh();
  }
  byId("docs-all").addEventListener("click", function () { setAllDocs(true); });
  byId("docs-none").addEventListener("click", function () { setAllDocs(false); });

  /* ---------- info panel ---------- */
  var info = byId("info");

  function sentenceBlock(sentIdx, start, end, extra) {
    var s = data.sentences[sentIdx];
    var block = el("blockquote", null, "evidence");
    var text = s[0], sStart = s[2];
    var a = (start === null || sStart === null) ? -1 : start - sStart;
    var b = (end === null || sStart === null) ? -1 : end - sStart;
    if (a >= 0 && b > a && b <= text.length) {
      block.appendChild(document.createTextNode(text.slice(0, a)));
      block.appendChild(el("mark", text.slice(a, b)));
      block.appendChild(document.createTextNode(text.slice(b)));
    } else {
      block.appendChild(document.createTextNode(text));
    }
    var src = el("div", null, "source");
    var doc = data.documents[s[1]];
    src.appendChild(el("span", doc ? doc.name : "unknown document", "doc"));
    if (doc && doc.title) src.appendChild(el("span", " · " + doc.title, "doc-title"));
    if (extra) src.appendChild(el("span", " · " + extra, "meta"));
    block.appendChild(src);
    return block;
  }

  function section(title) {
    var sec = el("section");
    sec.appendChild(el("h3", title));
    info.appendChild(sec);
    return sec;
  }

  function nodeButton(id) {
    var n = nodes.get(id);
    var b = el("button", n ? n.name : id, "link-button");
    b.type = "button";
    b.addEventListener("click", function () { selectAndShow(id); });
    return b;
  }

  function showNode(id) {
    var n = nodes.get(id);
    if (!n) return;
    var d = data.details[id] || {};
    var c = classes[n.group];
    clear(info);
    info.dataset.kind = "node"; info.dataset.id = id;
    var h = el("h2");
    h.appendChild(swatch(c.color, c.shape));
    h.appendChild(document.createTextNode(" " + n.name));
    info.appendChild(h);
    var kinds = d.kinds && d.kinds.length ? " (" + d.kinds.join(", ") + ")" : "";
    info.appendChild(el("div", c.label + kinds, "class-line"));
    info.appendChild(el("div", id, "iri"));
    if (d.attrs) {
      Object.keys(d.attrs).forEach(function (k) {
        info.appendChild(el("div", k + ": " + d.attrs[k].join(", "), "attr"));
      });
    }
    if (d.aliases && d.aliases.length) {
      var sa = section("Also called");
      sa.appendChild(el("div", d.aliases.join(" · "), "aliases"));
    }
    if (d.links && d.links.length) {
      var sl = section("External identifiers");
      var ul = el("ul", null, "links");
      d.links.forEach(function (l) {
        var li = el("li");
        li.appendChild(el("span", l[0] + " ", "prop"));
        if (isWebLink(l[1])) {
          var a = el("a", l[1]);
          a.href = l[1]; a.target = "_blank"; a.rel = "noopener noreferrer external";
          li.appendChild(a);
        } else {
          li.appendChild(el("span", l[1]));
        }
        ul.appendChild(li);
      });
      sl.appendChild(ul);
    }
    var touching = visibleIds.has(id) ? network.getConnectedEdges(id) : [];
    var all = edges.get({ filter: function (e) { return e.from === id || e.to === id; } });
    if (all.length) {
      var sf = section("Facts (" + all.length + ")");
      var list = el("ul", null, "facts");
      all.forEach(function (e) {
        var li = el("li");
        if (e.from === id) {
          li.appendChild(el("span", e.label + " → ", "pred"));
          li.appendChild(nodeButton(e.to));
        } else {
          li.appendChild(nodeButton(e.from));
          li.appendChild(el("span", " → " + e.label, "pred"));
        }
        var ev = el("button", "evidence", "small-button");
        ev.type = "button";
        ev.addEventListener("click", function () { network.selectEdges([e.id]); showEdge(e.id); });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(ev);
        if (touching.indexOf(e.id) < 0) li.classList.add("hidden-fact");
        list.appendChild(li);
      });
      sf.appendChild(list);
    }
    var ss = section("Supporting sentences (" + (d.mentions ? d.mentions.length : 0) +
      (d.moreMentions ? " of " + (d.mentions.length + d.moreMentions) : "") + ")");
    (d.mentions || []).forEach(function (m) { ss.appendChild(sentenceBlock(m[0], m[1], m[2], null)); });
    var docs = section("Documents");
    n.docs.forEach(function (i) { docs.appendChild(el("div", data.documents[i].name, "doc-line")); });
  }

  function showEdge(id) {
    var e = edges.get(id);
    if (!e) return;
    var from = nodes.get(e.from), to = nodes.get(e.to);
    clear(info);
    info.dataset.kind = "edge"; info.dataset.id = String(id);
    var h = el("h2");
    h.appendChild(swatch(predicates[e.label].color, "line"));
    h.appendChild(document.createTextNode(" " + e.label));
    info.appendChild(h);
    var line = el("div", null, "fact-line");
    line.appendChild(nodeButton(e.from));
    line.appendChild(el("span", " " + e.label + " ", "pred"));
    line.appendChild(nodeButton(e.to));
    info.appendChild(line);
    info.appendChild(el("div", (from ? from.group : "") + " → " + (to ? to.group : ""), "class-line"));
    var evs = data.evidence[id] || [];
    var sec = section("Evidence (" + evs.length + ")");
    if (!evs.length) sec.appendChild(el("p", "No evidence sentence was recorded for this fact.", "muted"));
    evs.forEach(function (v) {
      var meta = [];
      if (v[3] !== null) meta.push("confidence " + Math.round(v[3] * 100) + "%");
      if (v[4]) meta.push("rule " + v[4]);
      if (v[5]) meta.push("role " + v[5]);
      if (v[0] === null) {
        var q = el("blockquote", "(sentence not stored)", "evidence");
        var doc = v[6] === null ? null : data.documents[v[6]];
        q.appendChild(el("div", (doc ? doc.name : "unknown document") + " · " + meta.join(" · "), "source"));
        sec.appendChild(q);
      } else {
        sec.appendChild(sentenceBlock(v[0], v[1], v[2], meta.join(" · ")));
      }
    });
  }
  api.showNode = showNode; api.showEdge = showEdge;

  function selectAndShow(id) {
    if (visibleIds.has(id)) {
      network.selectNodes([id]);
      network.focus(id, { scale: Math.max(network.getScale(), 1.0), animation: { duration: 400 } });
    }
    showNode(id);
  }

  network.on("click", function (p) {
    if (p.nodes.length) showNode(p.nodes[0]);
    else if (p.edges.length) showEdge(p.edges[0]);
  });

  /* ---------- search ---------- */
  var search = byId("search"), results = byId("search-results");
  var index = nodes.get().map(function (n) {
    var d = data.details[n.id] || {};
    return { id: n.id, label: n.name, hay: [n.name].concat(d.aliases || []).join("\n").toLowerCase() };
  });
  function runSearch() {
    var q = search.value.trim().toLowerCase();
    clear(results);
    if (!q) return [];
    var hits = index.filter(function (x) { return x.hay.indexOf(q) >= 0; });
    hits.sort(function (a, b) {
      var sa = a.label.toLowerCase().indexOf(q) === 0 ? 0 : 1, sb = b.label.toLowerCase().indexOf(q) === 0 ? 0 : 1;
      return sa - sb || a.label.localeCompare(b.label);
    });
    if (!hits.length) results.appendChild(el("li", "No entity matches.", "muted"));
    hits.slice(0, 30).forEach(function (x) {
      var li = el("li");
      var b = nodeButton(x.id);
      var n = nodes.get(x.id);
      b.insertBefore(swatch(classes[n.group].color, classes[n.group].shape), b.firstChild);
      if (!visibleIds.has(x.id)) li.appendChild(el("span", " (hidden by a filter)", "muted"));
      li.insertBefore(b, li.firstChild);
      results.appendChild(li);
    });
    if (hits.length > 30) results.appendChild(el("li", (hits.length - 30) + " more…", "muted"));
    return hits;
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      var hits = runSearch();
      if (hits.length) selectAndShow(hits[0].id);
    }
  });

  byId("fit").addEventListener("click", function () { network.fit({ animation: { duration: 400 } }); });

  updateCounts();
  api.ready = true;
  api.readyMs = performance.now() - t0;
})();
