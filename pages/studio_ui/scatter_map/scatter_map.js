// The studio's 2-D map: a Canvas 2D scatter for Streamlit components v2, with no dependencies.
//
// Python sends the coordinates once per map (`data.points`, an Arrow table with float32 columns
// x and y, plus optional hover lines) and, on every re-cluster, only the per-point style:
// `data.style` (Arrow: `code` uint16 index into `data.names`/`data.colours`, `alpha` uint8)
// and the marked rows (anchors as Arrow columns, suggestions, selection); the style and the
// anchors are omitted when unchanged (`data.style_version`). Coordinates are kept per map id
// in a page-wide cache, so a rerun that omits them redraws from the cache; a map missing from
// the cache (a page reload) asks Python for them with the trigger `need_points`.
//
// Zoom (Ctrl or Cmd + wheel, a trackpad pinch, or the wheel in Pan mode: a plain wheel scrolls
// the page, with a hint, so scrolling past a map never zooms it), pan (drag in pan mode, or
// with the middle button) and the view survive a
// re-cluster because this module keeps one instance per element. Lasso, box and click send the
// selected row ids with the trigger `selection` ({rows, additive}).
//
// After each draw the root element carries data-drawn="<data.version>" and data-view (the
// visible data range), which the end-to-end test and the latency benchmark read.

const POINT_CACHE = (window.__pfnScatterPoints = window.__pfnScatterPoints || new Map());
const INSTANCES = new WeakMap(); // parentElement -> instance state
const PICK_RADIUS_PX = 7;

function hexToRgb(hex) {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

function sameRows(a, b) {
  a = a || []; b = b || [];
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function column(table, name) {
  const child = table ? table.getChild(name) : null;
  return child ? child.toArray() : null;
}

function createInstance(parentElement) {
  const root = document.createElement("div");
  root.className = "pfn-map";
  root.innerHTML = `
    <div class="pfn-toolbar">
      <button data-mode="lasso" title="Lasso: drag around points (Shift adds)">Lasso</button>
      <button data-mode="box" title="Box: drag a rectangle (Shift adds)">Box</button>
      <button data-mode="pan" title="Pan: drag the map; the wheel zooms (elsewhere Ctrl + wheel)">Pan</button>
      <button data-action="reset" title="Show every point (double-click does the same)">Reset view</button>
      <button data-action="clear" title="Select nothing">Clear selection</button>
    </div>
    <div class="pfn-stage"><canvas class="pfn-points"></canvas><canvas class="pfn-overlay"></canvas>
      <div class="pfn-tooltip" hidden></div>
      <div class="pfn-hint" hidden>Ctrl + wheel (⌘ + wheel) zooms; so does the wheel in Pan mode</div></div>
    <div class="pfn-legend"></div>`;
  parentElement.appendChild(root);
  const state = {
    root,
    stage: root.querySelector(".pfn-stage"),
    canvas: root.querySelector(".pfn-points"),
    overlay: root.querySelector(".pfn-overlay"),
    tooltip: root.querySelector(".pfn-tooltip"),
    hint: root.querySelector(".pfn-hint"), hintTimer: null,
    legend: root.querySelector(".pfn-legend"),
    mapId: null, points: null, data: null, view: null, mode: "lasso", drag: null,
    sendTrigger: null, frame: 0, cssWidth: 0, cssHeight: 0,
  };
  wireEvents(state);
  new ResizeObserver(() => scheduleDraw(state)).observe(state.stage);
  return state;
}

// ------------------------------------------------------------------ view: data <-> pixels
function fitView(state) {
  const { x, y } = state.points;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < minX) minX = x[i];
    if (x[i] > maxX) maxX = x[i];
    if (y[i] < minY) minY = y[i];
    if (y[i] > maxY) maxY = y[i];
  }
  const padX = (maxX - minX || 1) * 0.04, padY = (maxY - minY || 1) * 0.04;
  state.view = { x0: minX - padX, x1: maxX + padX, y0: minY - padY, y1: maxY + padY };
}

function toPixels(state) {
  const v = state.view, w = state.cssWidth, h = state.cssHeight;
  const sx = w / (v.x1 - v.x0), sy = h / (v.y1 - v.y0);
  return { sx, sy, ox: -v.x0 * sx, oy: v.y1 * sy }; // px = x*sx + ox; py = oy - y*sy
}

function zoomAt(state, px, py, factor) {
  const v = state.view, t = toPixels(state);
  const x = (px - t.ox) / t.sx, y = (t.oy - py) / t.sy;
  state.view = { x0: x - (x - v.x0) * factor, x1: x + (v.x1 - x) * factor,
                 y0: y - (y - v.y0) * factor, y1: y + (v.y1 - y) * factor };
}

// ------------------------------------------------------------------ drawing
function scheduleDraw(state) {
  if (state.frame) return;
  state.frame = requestAnimationFrame(() => { state.frame = 0; draw(state); });
}

function sizeCanvas(canvas, w, h) {
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

function markerPath(ctx, kind, x, y, r) {
  ctx.beginPath();
  if (kind === "diamond") {
    ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y);
    ctx.closePath();
  } else if (kind === "star") {
    for (let k = 0; k < 10; k++) {
      const radius = k % 2 ? r * 0.45 : r, angle = -Math.PI / 2 + (k * Math.PI) / 5;
      ctx.lineTo(x + radius * Math.cos(angle), y + radius * Math.sin(angle));
    }
    ctx.closePath();
  } else {
    ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
}

function draw(state) {
  const { points, data } = state;
  if (!points || !data) return;
  const w = state.stage.clientWidth, h = state.stage.clientHeight;
  if (!w || !h) return;
  state.cssWidth = w; state.cssHeight = h;
  if (!state.view) fitView(state);
  const ctx = sizeCanvas(state.canvas, w, h);
  ctx.clearRect(0, 0, w, h);
  const t = toPixels(state), x = points.x, y = points.y;
  const code = state.code, alpha = state.alpha, n = x.length;
  const size = n > 30000 ? 2.4 : n > 5000 ? 3.6 : 5;
  const half = size / 2;
  // Group by colour and a coarse opacity so fillStyle changes a few dozen times, not n times.
  const levels = 8, buckets = new Map();
  for (let i = 0; i < n; i++) {
    const level = alpha ? Math.min(levels - 1, (alpha[i] * levels) >> 8) : levels - 1;
    const bucket = (code ? code[i] : 0) * levels + level;
    let list = buckets.get(bucket);
    if (!list) buckets.set(bucket, (list = []));
    list.push(i);
  }
  const colours = data.colours || ["#4E79A7"];
  for (const [bucket, list] of buckets) {
    const [r, g, b] = hexToRgb(colours[Math.floor(bucket / levels)] || "#888888");
    ctx.fillStyle = `rgba(${r},${g},${b},${(((bucket % levels) + 0.5) / levels).toFixed(3)})`;
    if (n > 20000) {  // squares: several times cheaper than circles on a CPU canvas
      for (let k = 0; k < list.length; k++) {
        const i = list[k];
        ctx.fillRect(x[i] * t.sx + t.ox - half, t.oy - y[i] * t.sy - half, size, size);
      }
      continue;
    }
    ctx.beginPath();
    for (let k = 0; k < list.length; k++) {
      const i = list[k], px = x[i] * t.sx + t.ox, py = t.oy - y[i] * t.sy;
      ctx.moveTo(px + half, py);
      ctx.arc(px, py, half, 0, 2 * Math.PI);
    }
    ctx.fill();
  }
  drawMarks(state, ctx, t);
  drawOverlay(state);
  state.root.dataset.drawn = String(data.version);
  state.root.dataset.mapId = data.map_id;
  const v = state.view;
  state.root.dataset.view = [v.x0, v.x1, v.y0, v.y1].map((value) => value.toPrecision(6)).join(",");
}

function drawMarks(state, ctx, t) {
  const { x, y } = state.points, data = state.data;
  const selected = data.selection || [];
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = "#111111";
  for (const i of selected) {  // the selection: dark rings under the anchors
    markerPath(ctx, "circle", x[i] * t.sx + t.ox, t.oy - y[i] * t.sy, 3.5);
    ctx.stroke();
  }
  const rows = state.anchorRows || [], palette = data.anchor_palette || [];
  const scale = rows.length > 60 ? 0.65 : 1;
  for (let a = 0; a < rows.length; a++) {
    const i = rows[a], example = state.anchorExample[a];
    markerPath(ctx, example ? "star" : "diamond", x[i] * t.sx + t.ox, t.oy - y[i] * t.sy,
               (example ? 9 : 6.5) * scale);
    ctx.fillStyle = palette[state.anchorColour[a]];
    ctx.fill();
    ctx.stroke();
  }
  ctx.strokeStyle = "#d62728";
  ctx.lineWidth = 2;
  for (const i of data.suggested || []) {
    markerPath(ctx, "circle", x[i] * t.sx + t.ox, t.oy - y[i] * t.sy, 7.5);
    ctx.stroke();
  }
}

function drawOverlay(state) {
  const ctx = sizeCanvas(state.overlay, state.cssWidth, state.cssHeight);
  ctx.clearRect(0, 0, state.cssWidth, state.cssHeight);
  const drag = state.drag;
  if (!drag || drag.mode === "pan" || drag.path.length < 2) return;
  ctx.strokeStyle = "#333333";
  ctx.fillStyle = "rgba(0,114,178,0.08)";
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  const path = drag.mode === "box" ? boxPath(drag.path) : drag.path;
  path.forEach(([px, py], k) => (k ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
}

function boxPath(path) {
  const [ax, ay] = path[0], [bx, by] = path[path.length - 1];
  return [[ax, ay], [bx, ay], [bx, by], [ax, by]];
}

// Text from the table (label names, hover lines) reaches the page only as textContent, never
// as markup: a label "<img onerror=...>" is shown as typed.
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function legendKey(text, colour, className = "pfn-key") {
  const key = element("span", className);
  if (colour) {
    const swatch = element("i");
    swatch.style.background = colour;
    key.appendChild(swatch);
  }
  key.appendChild(document.createTextNode(String(text)));
  return key;
}

function renderLegend(state) {
  const data = state.data, names = data.names || [], colours = data.colours || [];
  const keys = [];
  if (data.legend_title) keys.push(element("b", "", data.legend_title), document.createTextNode(" "));
  names.forEach((name, k) => keys.push(legendKey(name, colours[k])));
  const example = state.anchorExample || [];
  if (example.some((e) => !e)) keys.push(legendKey("◆ anchors"));
  if (example.some((e) => e)) keys.push(legendKey("★ example anchors"));
  if ((data.suggested || []).length) keys.push(legendKey("○ label next?", null, "pfn-key pfn-next"));
  state.legend.replaceChildren(...keys);
}

// ------------------------------------------------------------------ picking
function nearestRow(state, px, py) {
  const { x, y } = state.points, t = toPixels(state);
  let best = -1, bestDistance = PICK_RADIUS_PX * PICK_RADIUS_PX;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i] * t.sx + t.ox - px, dy = t.oy - y[i] * t.sy - py;
    const distance = dx * dx + dy * dy;
    if (distance < bestDistance) { bestDistance = distance; best = i; }
  }
  return best;
}

function rowsInside(state, polygon) {
  const { x, y } = state.points, t = toPixels(state);
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const [px, py] of polygon) {
    minX = Math.min(minX, px); maxX = Math.max(maxX, px);
    minY = Math.min(minY, py); maxY = Math.max(maxY, py);
  }
  const rows = [];
  for (let i = 0; i < x.length; i++) {
    const px = x[i] * t.sx + t.ox, py = t.oy - y[i] * t.sy;
    if (px < minX || px > maxX || py < minY || py > maxY) continue;
    let inside = false;  // even-odd rule
    for (let a = 0, b = polygon.length - 1; a < polygon.length; b = a++) {
      const [ax, ay] = polygon[a], [bx, by] = polygon[b];
      if ((ay > py) !== (by > py) && px < ((bx - ax) * (py - ay)) / (by - ay) + ax) inside = !inside;
    }
    if (inside) rows.push(i);
  }
  return rows;
}

function showTooltip(state, row, px, py) {
  const tip = state.tooltip, data = state.data;
  if (row < 0) { tip.hidden = true; return; }
  const name = (data.names || [])[state.code ? state.code[row] : 0] ?? "";
  const confidence = state.confidence ? ` · confidence ${(state.confidence[row] / 255).toFixed(2)}` : "";
  const extra = state.points.hover ? state.points.hover[row] : "";
  const lines = [element("b", "", name), element("br"),
                 document.createTextNode(`row ${row}${confidence}`)];
  for (const line of extra ? String(extra).split("\n") : []) {
    lines.push(element("br"), document.createTextNode(line));
  }
  tip.replaceChildren(...lines);
  tip.style.left = `${Math.min(px + 12, state.cssWidth - 180)}px`;
  tip.style.top = `${Math.max(py - 10, 0)}px`;
  tip.hidden = false;
}

// ------------------------------------------------------------------ events
function localPoint(state, event) {
  const rect = state.overlay.getBoundingClientRect();
  return [event.clientX - rect.left, event.clientY - rect.top];
}

function setMode(state, mode) {
  state.mode = mode;
  state.root.querySelectorAll("[data-mode]").forEach((b) => b.classList.toggle("on", b.dataset.mode === mode));
  state.overlay.style.cursor = mode === "pan" ? "grab" : "crosshair";
}

function sendSelection(state, rows, additive) {
  if (!state.sendTrigger || !state.data.selectable) return;
  state.data = { ...state.data, selection: additive ? [...new Set([...(state.data.selection || []), ...rows])] : rows };
  scheduleDraw(state);
  state.sendTrigger("selection", { rows, additive });
}

function showHint(state) {
  state.hint.hidden = false;
  clearTimeout(state.hintTimer);
  state.hintTimer = setTimeout(() => { state.hint.hidden = true; }, 1500);
}

function wireEvents(state) {
  const overlay = state.overlay;
  state.root.querySelectorAll("[data-mode]").forEach((button) =>
    button.addEventListener("click", () => setMode(state, button.dataset.mode)));
  state.root.querySelector('[data-action="reset"]').addEventListener("click", () => {
    state.view = null; scheduleDraw(state);
  });
  state.root.querySelector('[data-action="clear"]').addEventListener("click", () => sendSelection(state, [], false));
  overlay.addEventListener("dblclick", () => { state.view = null; scheduleDraw(state); });
  overlay.addEventListener("wheel", (event) => {
    if (!state.points) return;
    // Chrome reports a trackpad pinch as a wheel event with ctrlKey set.
    if (!(event.ctrlKey || event.metaKey || state.mode === "pan")) {
      showHint(state);  // the page scrolls as usual
      return;
    }
    event.preventDefault();
    const [px, py] = localPoint(state, event);
    zoomAt(state, px, py, Math.exp(event.deltaY * 0.0015));
    scheduleDraw(state);
  }, { passive: false });
  overlay.addEventListener("pointerdown", (event) => {
    if (!state.points) return;
    overlay.setPointerCapture(event.pointerId);
    const start = localPoint(state, event);
    const pan = state.mode === "pan" || event.button === 1 || !state.data.selectable;
    state.drag = { mode: pan ? "pan" : state.mode, path: [start], additive: event.shiftKey,
                   view: { ...state.view } };
    state.tooltip.hidden = true;
  });
  overlay.addEventListener("pointermove", (event) => {
    const here = localPoint(state, event), drag = state.drag;
    if (!drag) {
      if (state.points) showTooltip(state, nearestRow(state, ...here), ...here);
      return;
    }
    if (drag.mode === "pan") {
      const t = toPixels(state), [sx, sy] = drag.path[0];
      const dx = (here[0] - sx) / t.sx, dy = (here[1] - sy) / t.sy, v = drag.view;
      state.view = { x0: v.x0 - dx, x1: v.x1 - dx, y0: v.y0 + dy, y1: v.y1 + dy };
      scheduleDraw(state);
      return;
    }
    drag.path.push(here);
    drawOverlay(state);
  });
  overlay.addEventListener("pointerleave", () => { state.tooltip.hidden = true; });
  overlay.addEventListener("pointerup", (event) => {
    const drag = state.drag;
    state.drag = null;
    if (!drag) return;
    const end = localPoint(state, event), [sx, sy] = drag.path[0];
    const moved = [...drag.path, end].some(([px, py]) => Math.hypot(px - sx, py - sy) > 4);
    if (drag.mode === "pan") { if (moved) return; }
    if (!moved) {  // a click: that one point, or nothing when the click missed
      const row = nearestRow(state, ...end);
      sendSelection(state, row < 0 ? [] : [row], drag.additive && row >= 0);
    } else {
      drag.path.push(end);
      const polygon = drag.mode === "box" ? boxPath(drag.path) : drag.path;
      sendSelection(state, rowsInside(state, polygon), drag.additive);
    }
    drawOverlay(state);
  });
}

// ------------------------------------------------------------------ entry point
export default function scatterMap(component) {
  const { data, parentElement, setTriggerValue } = component;
  let state = INSTANCES.get(parentElement);
  if (!state) {
    state = createInstance(parentElement);
    INSTANCES.set(parentElement, state);
    setMode(state, "lasso");
  }
  state.sendTrigger = setTriggerValue;
  state.stage.style.height = `${data.height || 480}px`;
  if (data.points) {
    POINT_CACHE.delete(data.map_id);
    while (POINT_CACHE.size >= 6) POINT_CACHE.delete(POINT_CACHE.keys().next().value);
    POINT_CACHE.set(data.map_id, {
      x: column(data.points, "x"), y: column(data.points, "y"), hover: data.hover || null,
    });
  }
  const points = POINT_CACHE.get(data.map_id);
  if (!points) {  // reloaded page: ask Python to send the coordinates again
    setTriggerValue("need_points", data.map_id);
    return;
  }
  if (state.mapId !== data.map_id) { state.view = null; state.mapId = data.map_id; }
  if (data.style) {
    state.code = column(data.style, "code");
    state.alpha = column(data.style, "alpha");
    state.confidence = column(data.style, "confidence");
    // Anchors come as columns: row ids, an index into data.anchor_palette, an example flag.
    state.anchorRows = column(data.anchors, "row") || [];
    state.anchorColour = column(data.anchors, "colour") || [];
    state.anchorExample = Array.from(column(data.anchors, "example") || []);
    state.styleVersion = data.style_version;
  } else if (state.styleVersion !== data.style_version) {
    setTriggerValue("need_points", data.map_id);  // a style this element never got: ask again
    return;
  }
  if (state.data && !data.points && state.points === points && state.mapId === data.map_id
      && state.data.style_version === data.style_version && state.data.height === data.height
      && state.data.selectable === data.selectable
      && sameRows(state.data.selection, data.selection)
      && sameRows(state.data.suggested, data.suggested)) {
    // The same map, style and marks as already drawn: the other map's selection changed, or
    // Python sends back the selection this element drew when the mouse was released. Nothing
    // to redraw (at 100,000 points a redraw is the slowest part of the page's update).
    state.data = data;
    state.root.dataset.drawn = String(data.version);
    return;
  }
  state.points = points;
  state.data = data;
  state.root.classList.toggle("pfn-static", !data.selectable);
  renderLegend(state);
  draw(state);
}
