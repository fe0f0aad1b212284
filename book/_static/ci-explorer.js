/* State of Mentoring: the data explorer (book/explorer.md).

   The page holds <div class="ci-explorer" data-explorer="_static/explorer/explorer-<lang>.js">;
   that file (written when the book is built by ci_eval.report.chapters.explorer) sets
   window.ciEvalExplorer: the published cells of the public results tables, every word and
   number already formatted by the book. This script only chooses among them: it draws the
   controls, a chart with 95% confidence intervals (plain SVG), the table under it and a CSV
   of that table (a Blob: nothing is sent or fetched from another host). The address's hash
   holds the choice (#survey=…&indicator=…&by=…&waves=…), so a view can be shared. */
(() => {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    node.append(...children);
    return node;
  }

  function svg(tag, attrs = {}, text = null) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== null) node.textContent = text;
    return node;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : ""));
  }

  // A cell of the extract: [wave, domain, value, estimate, low, high, symbol, label,
  // table HTML, table text, CI, n]; a change: [domain, value, baseline wave, wave,
  // change, CI, arrow, trend, p]
  // (an equity gap: the difference and its CI, then the estimates in the group, text and
  // HTML, and in the comparison group)
  const C = { wave: 0, domain: 1, value: 2, est: 3, low: 4, high: 5, symbol: 6, label: 7,
              html: 8, text: 9, ci: 10, n: 11, group: 12, comparison: 13, groupHtml: 14 };
  const T = { domain: 0, value: 1, baseline: 2, wave: 3, change: 4, ci: 5, arrow: 6,
              trend: 7, p: 8 };

  class Explorer {
    constructor(root, data) {
      this.root = root;
      this.data = data;
      this.words = data.words;
      this.waveLabels = Object.fromEntries(data.waves);
      this.id = "ci-explorer";
      root.replaceChildren();
      this.form = el("form", { class: "ci-explorer-controls" });
      this.form.addEventListener("submit", (e) => e.preventDefault());
      this.survey = this.select("survey");
      this.indicator = this.select("indicator");
      this.by = this.select("breakdown");
      this.waves = el("fieldset", { class: "ci-explorer-waves" });
      this.form.append(this.waves);
      this.output = el("div", { class: "ci-explorer-output", "aria-live": "polite" });
      root.append(this.form, this.output);
      this.survey.addEventListener("change", () => this.choose({ survey: this.survey.value }));
      this.indicator.addEventListener("change", () =>
        this.choose({ indicator: this.indicator.value }));
      this.by.addEventListener("change", () => this.choose({ by: this.by.value }));
      this.waves.addEventListener("change", () => this.choose({ waves: this.checkedWaves() }));
      window.addEventListener("hashchange", () => this.choose(this.fromHash(), false));
      let width = root.clientWidth;
      window.addEventListener("resize", () => {
        if (root.clientWidth !== width) {
          width = root.clientWidth;
          this.draw();
        }
      });
      this.state = {};
      this.choose(this.fromHash(), false);
    }

    select(name) {
      const id = `${this.id}-${name}`;
      const select = el("select", { id, name });
      const label = el("label", { for: id }, this.words[name]);
      this.form.append(el("div", { class: "ci-explorer-field" }, label, select));
      return select;
    }

    fromHash() {
      const params = new URLSearchParams(window.location.hash.slice(1));
      const waves = params.get("waves");
      return {
        survey: params.get("survey") || undefined,
        indicator: params.get("indicator") || undefined,
        by: params.get("by") ?? undefined,
        waves: waves ? waves.split(",") : undefined,
      };
    }

    // A complete, valid choice from a partial one (unknown ids fall back to defaults).
    resolve(wanted) {
      const data = this.data;
      const state = { ...this.state };
      for (const [k, v] of Object.entries(wanted)) if (v !== undefined) state[k] = v;
      const fromIndicator = data.indicators[state.indicator];
      if (wanted.indicator && fromIndicator) state.survey = fromIndicator.survey;
      let survey = data.surveys.find((s) => s.id === state.survey) || data.surveys[0];
      if (!wanted.indicator && wanted.survey && survey.id !== this.state.survey) {
        state.indicator = undefined;  // a new survey: its first indicator
      }
      const ids = survey.outcomes.flatMap((o) => o.indicators);
      if (!ids.includes(state.indicator)) state.indicator = ids[0];
      const indicator = data.indicators[state.indicator];
      const gapIds = indicator.gaps.map((g) => `gap:${g.id}`);
      if (![...indicator.breakdowns, ...gapIds].includes(state.by)) state.by = "";
      const have = this.wavesOf(indicator, state.by);
      const waves = (state.waves || []).filter((w) => have.includes(w));
      state.waves = waves.length ? have.filter((w) => waves.includes(w)) : have;
      state.survey = survey.id;
      return state;
    }

    // The equity group chosen as breakdown ("gap:<variable>:<codes>"), or null.
    gapOf(indicator, by) {
      return (by || "").startsWith("gap:")
        ? indicator.gaps.find((g) => `gap:${g.id}` === by) || null : null;
    }

    wavesOf(indicator, by) {
      const gap = this.gapOf(indicator, by);
      return [...new Set((gap ? gap.cells : indicator.cells).map((c) => c[C.wave]))].sort();
    }

    choose(wanted, remember = true) {
      this.state = this.resolve(wanted);
      this.controls();
      if (remember) {
        const { survey, indicator, by, waves } = this.state;
        const params = new URLSearchParams({ survey, indicator, by, waves: waves.join(",") });
        history.replaceState(null, "", `#${params}`);
      }
      this.draw();
    }

    controls() {
      const data = this.data;
      const { survey, indicator, by, waves } = this.state;
      this.survey.replaceChildren(
        ...data.surveys.map((s) => new Option(s.label, s.id, false, s.id === survey)));
      const groups = data.surveys.find((s) => s.id === survey).outcomes.map((o) => {
        const group = el("optgroup", { label: o.label });
        group.append(...o.indicators.map(
          (i) => new Option(data.indicators[i].label, i, false, i === indicator)));
        return group;
      });
      this.indicator.replaceChildren(...groups);
      const mine = data.indicators[indicator];
      const heads = data.breakdowns[survey] || {};
      const domains = mine.breakdowns.map((d) => new Option(heads[d].label, d, false, d === by));
      const none = new Option(this.words.none, "", false, by === "");
      if (mine.gaps.length) {
        const characteristics = el("optgroup", { label: this.words.domains });
        characteristics.append(...domains);
        const equity = el("optgroup", { label: this.words.gaps });
        equity.append(...mine.gaps.map(
          (g) => new Option(g.label, `gap:${g.id}`, false, `gap:${g.id}` === by)));
        this.by.replaceChildren(none, characteristics, equity);
      } else this.by.replaceChildren(none, ...domains);
      const have = this.wavesOf(mine, by);
      const boxes = have.map((w) => {
        const id = `${this.id}-wave-${w}`;
        const box = el("input", { type: "checkbox", id, name: "waves", value: w });
        box.checked = waves.includes(w);
        return el("span", { class: "ci-explorer-wave" }, box,
                  el("label", { for: id }, this.waveLabels[w] || w));
      });
      this.waves.replaceChildren(el("legend", {}, this.words.waves), ...boxes);
    }

    checkedWaves() {
      return [...this.waves.querySelectorAll("input:checked")].map((b) => b.value);
    }

    // The rows shown: the overall row, then the breakdown's levels, each with its cells
    // by wave and its change since the baseline (when both waves are shown).
    rows() {
      const { survey, indicator, by, waves } = this.state;
      const mine = this.data.indicators[indicator];
      const gap = this.gapOf(mine, by);
      const source = gap ? gap.cells : mine.cells;
      const keys = [["overall", ""]];
      for (const c of source) {
        const wanted = gap ? c[C.domain] !== "overall" : c[C.domain] === by;
        if (by && wanted && !keys.some((k) => k[0] === c[C.domain] && k[1] === c[C.value])) {
          keys.push([c[C.domain], c[C.value]]);
        }
      }
      const heads = this.data.breakdowns[survey] || {};
      return keys.map(([domain, value]) => {
        const cells = waves.map((w) => source.find((c) =>
          c[C.wave] === w && c[C.domain] === domain && c[C.value] === value) || null);
        const changes = gap ? [] : mine.changes.filter((t) => t[T.domain] === domain &&
          t[T.value] === value && waves.includes(t[T.baseline]) && waves.includes(t[T.wave]));
        const change = changes.length ? changes[changes.length - 1] : null;
        const levels = (heads[domain] || { levels: {} }).levels;
        const overall = gap ? gap.group : mine.overall;
        const label = domain === "overall" ? overall : levels[value] || value;
        return { domain, label, cells, change };
      });
    }

    caption() {
      const { survey, indicator, by, waves } = this.state;
      const words = this.words;
      const mine = this.data.indicators[indicator];
      const gap = this.gapOf(mine, by);
      const heads = this.data.breakdowns[survey] || {};
      const values = {
        indicator: mine.label,
        waves: waves.map((w) => this.waveLabels[w] || w).join(", "),
        by: by && !gap ? heads[by].by : "",
      };
      if (gap) {
        const within = [...new Set(gap.cells.map((c) => c[C.domain]))]
          .filter((d) => d !== "overall").map((d) => (heads[d] || { by: d }).by);
        const more = { group: gap.group, comparison: gap.comparison, by: within.join(", ") };
        return fill(words.gap_caption, { ...values, ...more });
      }
      return fill(by ? words.caption : words.caption_all, values);
    }

    draw() {
      const rows = this.rows();
      const caption = this.caption();
      if (!rows.some((r) => r.cells.some((c) => c))) {
        this.output.replaceChildren(el("p", {}, this.words.empty));
        return;
      }
      this.output.replaceChildren(this.chart(rows, caption), this.table(rows, caption));
    }

    // ---------------------------------------------------------------- the chart
    chart(rows, caption) {
      const { indicator, waves } = this.state;
      const mine = this.data.indicators[indicator];
      const colours = this.data.colours;
      const width = Math.max(280, Math.floor(this.root.clientWidth || 600));
      const font = 13, bar = 14, gap = 5, waveWidth = 44, right = 92, left = 4;
      const shown = rows.flatMap((r) => r.cells).filter((c) => c && c[C.est] !== null);
      let low = Math.min(0, ...shown.map((c) => c[C.low] ?? c[C.est]));
      let high = Math.max(0, ...shown.map((c) => c[C.high] ?? c[C.est]));
      if (high === low) high = low + 1;
      const ticks = niceTicks(low, high);
      low = Math.min(low, ticks[0]);
      high = Math.max(high, ticks[ticks.length - 1]);
      const x0 = left + waveWidth, x1 = width - right;
      const x = (v) => x0 + ((v - low) / (high - low)) * (x1 - x0);
      const chars = Math.max(20, Math.floor((width - left) / (font * 0.55)));
      const root = svg("svg", { class: "ci-explorer-svg", width, role: "img",
                                "aria-label": fill(this.words.chart, { caption }) });
      const defs = svg("defs");
      colours.forEach((colour, i) => {
        const pattern = svg("pattern", { id: `ci-hatch-${i}`, width: 6, height: 6,
                                         patternUnits: "userSpaceOnUse",
                                         patternTransform: "rotate(45)" });
        pattern.append(svg("rect", { width: 6, height: 6, fill: "#fff" }),
                       svg("rect", { width: 3, height: 6, fill: colour }));
        defs.append(pattern);
      });
      root.append(defs);
      const body = svg("g");
      let y = 4;
      for (const row of rows) {
        for (const line of wrap(row.label, chars)) {
          y += font + 3;
          body.append(svg("text", { x: left, y, class: "ci-explorer-group" }, line));
        }
        y += 4;
        row.cells.forEach((cell, i) => {
          const top = y, mid = y + bar / 2;
          const colour = colours[i % colours.length];
          body.append(svg("text", { x: left, y: mid + 4, class: "ci-explorer-wave-label" },
                          this.waveLabels[waves[i]] || waves[i]));
          if (!cell) {
            body.append(svg("text", { x: x(0) + 4, y: mid + 4 }, "\u2014"));
          } else if (cell[C.est] === null) {
            // a withheld estimate by its symbol and meaning; a withheld gap as the
            // equity tables write it ("not published")
            const title = this.data.symbols[cell[C.symbol]] || this.words.suppressed;
            const words = cell[C.label] === cell[C.symbol]
              ? `${cell[C.symbol]} (${title})` : cell[C.label];
            const text = svg("text", { x: x(0) + 4, y: mid + 4, class: "ci-value ci-suppressed" },
                             words);
            body.append(text);
          } else {
            const est = cell[C.est];
            const caution = cell[C.symbol] === this.data.caution;
            body.append(svg("rect", {
              x: Math.min(x(0), x(est)), y: top, height: bar,
              width: Math.max(1, Math.abs(x(est) - x(0))),
              fill: caution ? `url(#ci-hatch-${i % colours.length})` : colour,
              stroke: colour,
            }));
            if (cell[C.low] !== null && cell[C.high] !== null) {
              const [a, b] = [x(cell[C.low]), x(cell[C.high])];
              body.append(
                svg("line", { x1: a, x2: b, y1: mid, y2: mid, class: "ci-whisker" }),
                svg("line", { x1: a, x2: a, y1: top + 2, y2: top + bar - 2, class: "ci-whisker" }),
                svg("line", { x1: b, x2: b, y1: top + 2, y2: top + bar - 2, class: "ci-whisker" }));
            }
            const end = Math.max(x(est), cell[C.high] === null ? 0 : x(cell[C.high]));
            body.append(svg("text", { x: end + 4, y: mid + 4, class: "ci-value" }, cell[C.label]));
          }
          y += bar + gap;
        });
        y += 6;
      }
      // the axis: gridlines behind the bars, ticks in the language's number format
      const axis = svg("g", { class: "ci-explorer-axis" });
      for (const t of ticks) {
        axis.append(svg("line", { x1: x(t), x2: x(t), y1: 4, y2: y, class: "ci-grid" }),
                    svg("text", { x: x(t), y: y + font + 2, "text-anchor": "middle" },
                        formatTick(t, ticks, this.data.lang)));
      }
      const unit = this.gapOf(mine, this.state.by) ? this.words.gap_axis
        : mine.unit === "percent" ? this.words.percent : this.words.value;
      axis.append(svg("text", { x: (x0 + x1) / 2, y: y + 2 * font + 8, "text-anchor": "middle",
                                class: "ci-explorer-axis-title" }, unit));
      root.append(axis, body);
      const height = y + 2 * font + 14;
      root.setAttribute("height", height);
      root.setAttribute("viewBox", `0 0 ${width} ${height}`);
      const note = `${mine.notes[0]} ${this.words.whiskers}`;
      return el("figure", { class: "ci-explorer-chart" }, root,
                el("figcaption", {}, el("span", { class: "ci-explorer-caption" }, caption), " ",
                   el("span", { class: "ci-notes" }, note)));
    }

    // ---------------------------------------------------------------- the table
    // The table as cells of {html, text}: what it shows and what its CSV holds.
    model(rows) {
      const { indicator, waves } = this.state;
      const mine = this.data.indicators[indicator];
      if (this.gapOf(mine, this.state.by)) return this.gapModel(rows);
      const words = this.words;
      const head = mine.unit === "percent" ? words.unit_percent : words.estimate;
      const withChange = rows.some((r) => r.change);
      const columns = [words.group];
      const groups = [];
      for (const w of waves) {
        columns.push(head, words.ci95, words.n);
        groups.push([this.waveLabels[w] || w, 3]);
      }
      if (withChange) {
        const baseline = rows.find((r) => r.change).change[T.baseline];
        columns.push(fill(words.change, { baseline: this.waveLabels[baseline] || baseline }),
                     words.significance);
      }
      const body = rows.map((row) => {
        const cells = [{ text: row.label, html: escapeHtml(row.label) }];
        for (const c of row.cells) {
          if (!c) cells.push(...[0, 1, 2].map(() => ({ text: "", html: "", num: true })));
          else cells.push({ text: c[C.text], html: c[C.html], num: true },
                          { text: c[C.ci], html: escapeHtml(c[C.ci]), num: true },
                          { text: c[C.n], html: escapeHtml(c[C.n]), num: true });
        }
        if (withChange) {
          const t = row.change;
          if (!t) cells.push({ text: "", html: "", num: true }, { text: "", html: "" });
          else {
            const both = (a, b) => (b ? `${a} (${b})` : a);
            const small = (a, b) => escapeHtml(a) +
              (b ? `<br><span class="ci-ci">${escapeHtml(b)}</span>` : "");
            const arrow = t[T.arrow] ? `<span aria-hidden="true">${t[T.arrow]}</span> ` : "";
            cells.push({ text: both(t[T.change], t[T.ci]), html: small(t[T.change], t[T.ci]),
                         num: true },
                       { text: both(t[T.trend], t[T.p]), html: arrow + small(t[T.trend], t[T.p]) });
          }
        }
        return { domain: row.domain, cells };
      });
      return { columns, groups, body, withChange };
    }

    // An equity group by region: per wave the group's and the comparison group's
    // estimates, the difference with its CI, and n in the group.
    gapModel(rows) {
      const words = this.words;
      const columns = [words.group];
      const groups = [];
      for (const w of this.state.waves) {
        columns.push(words.in_group, words.in_comparison, words.difference, words.n);
        groups.push([this.waveLabels[w] || w, 4]);
      }
      const body = rows.map((row) => {
        const cells = [{ text: row.label, html: escapeHtml(row.label) }];
        for (const c of row.cells) {
          if (!c) cells.push(...[0, 1, 2, 3].map(() => ({ text: "", html: "", num: true })));
          else {
            const ci = c[C.ci] ? `<br><span class="ci-ci">${escapeHtml(c[C.ci])}</span>` : "";
            cells.push({ text: c[C.group], html: c[C.groupHtml], num: true },
                       { text: c[C.comparison], html: escapeHtml(c[C.comparison]), num: true },
                       { text: c[C.ci] ? `${c[C.text]} (${c[C.ci]})` : c[C.text],
                         html: c[C.html] + ci, num: true },
                       { text: c[C.n], html: escapeHtml(c[C.n]), num: true });
          }
        }
        return { domain: row.domain, cells };
      });
      return { columns, groups, body, withChange: false, gap: true };
    }

    table(rows, caption) {
      const { survey } = this.state;
      const mine = this.data.indicators[this.state.indicator];
      const model = this.model(rows);
      const words = this.words;
      const id = `${this.id}-table`;
      const table = el("table", { class: "ci-table", id, "aria-describedby": `${id}-notes` });
      table.append(el("caption", {}, caption));
      const thead = el("thead");
      const top = el("tr", {}, el("td"));
      for (const [title, span] of model.groups) {
        top.append(el("th", { scope: "colgroup", colspan: span }, title));
      }
      if (model.withChange) top.append(el("td", { colspan: 2 }));
      const names = el("tr");
      const numeric = model.body.length ? model.body[0].cells.map((c) => c.num) : [];
      model.columns.forEach((name, j) => {
        names.append(el("th", numeric[j] ? { scope: "col", class: "num" } : { scope: "col" }, name));
      });
      thead.append(top, names);
      const tbody = el("tbody");
      model.body.forEach((row, k) => {
        if (row.domain !== "overall" && model.body[k - 1].domain !== row.domain) {
          const head = ((this.data.breakdowns[survey] || {})[row.domain] || {}).label || "";
          tbody.append(el("tr", { class: "ci-group" },
                          el("th", { scope: "rowgroup", colspan: model.columns.length }, head)));
        }
        const tr = el("tr");
        row.cells.forEach((cell, j) => {
          const td = j === 0 ? el("th", { scope: "row" }) : el("td", cell.num ? { class: "num" } : {});
          td.innerHTML = cell.html;
          tr.append(td);
        });
        tbody.append(tr);
      });
      table.append(thead, tbody);
      const notes = [...mine.notes];
      if (model.gap) notes.push(words.gap_note, words.equity_note);
      notes.push(words.legend, words.abbreviations);
      if (model.withChange) notes.push(words.note);
      const button = el("button", { type: "button", class: "ci-explorer-download" }, words.download);
      button.addEventListener("click", () => this.download(model));
      return el("figure", { class: "ci-table-figure ci-wide ci-explorer-table" }, table,
                el("p", { class: "ci-notes", id: `${id}-notes` }, notes.join(" ")),
                el("p", { class: "ci-download" }, button));
    }

    csv(model) {
      const quote = (s) => (/[",\n\r;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
      const header = model.columns.map((name, j) => {
        if (j === 0) return name;
        const wave = Math.floor((j - 1) / (model.gap ? 4 : 3));
        return wave < model.groups.length ? `${model.groups[wave][0]} ${name}` : name;
      });
      const lines = [header, ...model.body.map((r) => r.cells.map((c) => c.text))];
      return "\ufeff" + lines.map((l) => l.map(quote).join(",")).join("\r\n") + "\r\n";
    }

    download(model) {
      const blob = new Blob([this.csv(model)], { type: "text/csv;charset=utf-8" });
      const url = URL.createObjectURL(blob);
      const { indicator, by, waves } = this.state;
      const name = [this.words.file, indicator, by, ...waves].filter(Boolean).join("-");
      const link = el("a", { href: url, download: `${name}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    }
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"]/g, (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  }

  function wrap(text, width) {
    const lines = [];
    let line = "";
    for (const word of String(text).split(" ").filter(Boolean)) {
      if (line && line.length + word.length + 1 > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    return [...lines, line];
  }

  // About five round ticks from low to high (steps of 1, 2, 2.5 or 5 times a power of ten).
  function niceTicks(low, high) {
    const raw = (high - low) / 5;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
    const ticks = [];
    for (let t = Math.floor(low / step) * step; t <= high + step * 0.999; t += step) {
      ticks.push(Math.round(t * 1e6) / 1e6);
      if (t >= high) break;
    }
    return ticks;
  }

  // A tick as the book writes numbers: French decimal comma, narrow no-break space
  // between thousands; English comma between thousands.
  function formatTick(value, ticks, lang) {
    const digits = Math.max(0, ...ticks.map((t) => (String(t).split(".")[1] || "").length));
    const [whole, part] = Math.abs(value).toFixed(digits).split(".");
    const thousands = lang === "fr" ? "\u202f" : ",";
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, thousands);
    const sign = value < 0 ? "-" : "";
    return sign + grouped + (part ? (lang === "fr" ? "," : ".") + part : "");
  }

  function start() {
    const root = document.querySelector("div.ci-explorer[data-explorer]");
    if (!root) return;
    const script = document.createElement("script");
    script.src = root.dataset.explorer;
    script.addEventListener("load", () => new Explorer(root, window.ciEvalExplorer));
    document.head.append(script);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
