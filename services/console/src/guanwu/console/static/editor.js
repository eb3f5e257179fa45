/* The declaration editor (报关单制单): the document held by Alpine.js and posted whole as JSON, goods lines
   added, copied, deleted and moved, searchable code-table selects, findings beside their fields.
   Loaded before Alpine (base.html) so its components exist when Alpine starts or htmx swaps a page in. */
(function () {
  "use strict";
  var names = {}; // table -> {code: Chinese name}: what the page came with and every search since
  var counter = 0;

  function newKey(block) { counter += 1; return block + "-n" + counter; }
  function tableNames(table) { return names[table] || (names[table] = {}); }
  function copyOf(value) { return JSON.parse(JSON.stringify(value)); }

  // Goods lines are numbered 1..n in their order (项号, g_no). Other blocks name lines by number: 集装箱's
  // 商品项号 and 随附单据's 关联商品项号 ("1,3" or "1-3"), a line's own 产品资质 商品序号 and 转关's 集装箱商品装配
  // 商品序号. After lines are added, copied, moved or deleted those numbers follow their lines: `moved` maps
  // each old number to its line's new one (absent: the line was deleted, and so is the reference to it).
  function renumberList(text, moved) {
    var numbers = [], others = [];
    String(text).split(/[,，、\s]+/).filter(Boolean).forEach(function (part) {
      var range = /^(\d+)[-~～](\d+)$/.exec(part);
      if (range) {
        for (var n = Number(range[1]); n <= Number(range[2]) && n - Number(range[1]) < 100; n += 1) { numbers.push(n); }
      } else if (/^\d+$/.test(part)) {
        numbers.push(Number(part));
      } else {
        others.push(part); // not a number: kept as typed, the logic checks judge it
      }
    });
    var renamed = numbers.map(function (n) { return moved[n]; }).filter(Boolean);
    renamed = renamed.filter(function (n, i) { return renamed.indexOf(n) === i; }).sort(function (a, b) { return a - b; });
    return renamed.map(String).concat(others).join(",");
  }

  function renumberGoods(doc, moved) {
    doc.goods.forEach(function (line, index) {
      line.g_no = index + 1;
      (line.goods_limits || []).forEach(function (limit) { limit.goods_no = index + 1; });
    });
    (doc.containers || []).forEach(function (row) {
      if (row.goods_no) { row.goods_no = renumberList(row.goods_no, moved); }
    });
    (doc.edocs || []).forEach(function (row) {
      if (row.g_no_str) { row.g_no_str = renumberList(row.g_no_str, moved); }
    });
    if (doc.transit && doc.transit.conta_goods) {
      doc.transit.conta_goods = doc.transit.conta_goods.filter(function (row) {
        return row.g_no === undefined || row.g_no === null || row.g_no === "" || moved[row.g_no];
      });
      doc.transit.conta_goods.forEach(function (row) { if (row.g_no) { row.g_no = moved[row.g_no]; } });
    }
  }

  // Each line's number before a change (its key → position + 1), then the map old number → new number.
  function numbersOf(goods) {
    var numbers = {};
    goods.forEach(function (line, index) { numbers[line._key] = index + 1; });
    return numbers;
  }
  function movedSince(before, goods) {
    var moved = {};
    goods.forEach(function (line, index) { if (before[line._key]) { moved[before[line._key]] = index + 1; } });
    return moved;
  }
  window.guanwuEditor = { renumberList: renumberList, renumberGoods: renumberGoods };

  function prepared(doc) {
    if (doc.kind === "transit_declaration" || doc.kind === "transit_record_list") {
      doc.transit = doc.transit || {};
      doc.transit.head = doc.transit.head || {};
      doc.transit.trn_list = doc.transit.trn_list || {};
    }
    ["containers", "licenses", "edocs"].forEach(function (block) { doc[block] = doc[block] || []; });
    return doc;
  }

  function editor() {
    var page = JSON.parse(document.getElementById("editor-state").textContent);
    Object.keys(page.names || {}).forEach(function (table) {
      Object.assign(tableNames(table), page.names[table]);
    });
    var doc = prepared(page.doc);
    return {
      keptKey: page.kept_key,
      restore: page.restore,
      doc: doc,
      notes: page.notes || {},
      meta: page.meta,
      dirty: page.dirty,
      templateFields: page.template_fields || [],
      maxLines: page.max_lines,
      sel: doc.goods.length ? 0 : -1,
      loaded: false,
      init: function () {
        var self = this;
        this.$watch("doc", function () { if (self.loaded) { self.dirty = true; } });
        this.$watch("doc.head.custom_master", function () { self.fetchMeta(); });
        this.$nextTick(function () { self.loaded = true; });
        // Leaving with unsaved changes asks first: a menu link (htmx) or closing/reloading the page.
        var form = this.$el;
        this.leaving = function (event) {
          if (!document.body.contains(form)) { self.destroy(); return; } // a page swapped away
          var own = event.target && event.target.closest && event.target.closest("form.editor");
          if (self.dirty && !own && !window.confirm("有未暂存的修改，离开后将丢失。确定离开吗？")) { event.preventDefault(); }
        };
        this.unloading = function (event) { if (self.dirty && document.body.contains(form)) { event.preventDefault(); event.returnValue = ""; } };
        document.body.addEventListener("htmx:confirm", this.leaving);
        window.addEventListener("beforeunload", this.unloading);
        this.$el.addEventListener("submit", function () {
          window.removeEventListener("beforeunload", self.unloading);
          self.keep(form);
        });
        this.offerKept();
      },
      // A save whose session has expired goes to the login page and comes back here with `restore`: the form as
      // it was posted is kept in this tab's sessionStorage on every submit, and offered back then.
      kept: null,
      keep: function (form) {
        if (!this.dirty) { return; }
        var version = form.querySelector("input[name=version]").value;
        try {
          window.sessionStorage.setItem(this.keptKey, JSON.stringify({ doc: this.doc, version: version, at: Date.now() }));
        } catch (full) { /* no storage: nothing kept */ }
      },
      offerKept: function () {
        var key = this.keptKey, found = null;
        try {
          found = JSON.parse(window.sessionStorage.getItem(key) || "null");
          if (!this.restore) { window.sessionStorage.removeItem(key); } // saved, or left: nothing to offer
        } catch (unavailable) { found = null; }
        if (this.restore && found && found.doc) { this.kept = found; }
      },
      restoreKept: function () {
        var found = this.kept;
        // Kept at the version the user had read: a save then meets any change since as a stale version (412).
        this.$root.querySelector("input[name=version]").value = found.version;
        this.doc = prepared(found.doc);
        this.sel = this.doc.goods.length ? 0 : -1;
        this.dirty = true;
        this.dropKept();
      },
      dropKept: function () {
        this.kept = null;
        try { window.sessionStorage.removeItem(this.keptKey); } catch (unavailable) { /* nothing kept */ }
      },
      destroy: function () {
        document.body.removeEventListener("htmx:confirm", this.leaving);
        window.removeEventListener("beforeunload", this.unloading);
      },
      get isTransit() { return this.doc.kind === "transit_declaration" || this.doc.kind === "transit_record_list"; },
      get serialized() { return JSON.stringify(this.doc); },
      line: function () { return this.doc.goods[this.sel] || {}; },
      msgs: function (key) { return this.notes[key] || []; },
      lineKey: function (block, item, field) { return block + "#" + (item && item._key) + (field ? "." + field : ""); },
      cls: function (key) {
        var shown = this.msgs(key);
        return {
          "has-error": shown.some(function (n) { return n.level === "error"; }),
          "has-warning": shown.some(function (n) { return n.level === "warning"; }),
          "has-review": shown.some(function (n) { return n.level === "review"; }),
          "from-template": this.templateFields.indexOf(key) >= 0,
        };
      },
      lineHasNotes: function (block, item) {
        var prefix = this.lineKey(block, item) + ".";
        return Object.keys(this.notes).some(function (key) { return key.indexOf(prefix) === 0; });
      },
      shows: function (path) {
        var rule = this.meta && this.meta.fields && this.meta.fields[path];
        if (!rule && path === "head.bill_type") { return /record_list$/.test(this.doc.kind); }
        return !rule || rule.presence !== "hidden";
      },
      demands: function (path) {
        var rule = this.meta && this.meta.fields && this.meta.fields[path];
        return Boolean(rule && rule.presence === "required");
      },
      hint: function (path) {
        var rule = this.meta && this.meta.fields && this.meta.fields[path];
        return (rule && rule.hint_zh) || "";
      },
      allows: function (path, code) {
        var rule = this.meta && this.meta.fields && this.meta.fields[path];
        return !rule || !rule.allowed || rule.allowed.indexOf(code) >= 0;
      },
      get mode() { return this.meta ? (this.meta.mode === "southern" ? "南方模式" : "北方模式") : ""; },
      fetchMeta: function () {
        var self = this;
        var code = (this.doc.head.custom_master || "").trim();
        if (code.length !== 4) { self.meta = null; return; }
        var url = "/console/editor/form-metadata?custom_master=" + encodeURIComponent(code) + "&kind=" + encodeURIComponent(this.doc.kind);
        fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : {}; }).then(function (meta) {
          self.meta = meta && meta.fields ? meta : null;
          var rule = self.meta && self.meta.fields["head.edi_id"];
          if (rule && rule.allowed && rule.allowed.indexOf(self.doc.head.edi_id) < 0) {
            self.doc.head.edi_id = rule.allowed[0];
          }
        });
      },
      chosen: function (detail) {
        // A 商品编号 from the tariff brings its 法定计量单位: filled in where the line has none yet.
        if (detail.table !== "hs_sample" || this.sel < 0) { return; }
        var line = this.doc.goods[this.sel];
        ["first_unit", "second_unit"].forEach(function (name) {
          if (detail.option[name] && !line[name]) { line[name] = detail.option[name]; }
        });
      },
      addLine: function () {
        if (this.doc.goods.length >= this.maxLines) { return; }
        this.doc.goods.push({ _key: newKey("goods"), g_no: this.doc.goods.length + 1 });
        this.sel = this.doc.goods.length - 1;
        this.focusLine();
      },
      copyLine: function () {
        if (this.sel < 0 || this.doc.goods.length >= this.maxLines) { return; }
        var before = numbersOf(this.doc.goods);
        var line = copyOf(this.doc.goods[this.sel]);
        line._key = newKey("goods");
        this.doc.goods.splice(this.sel + 1, 0, line);
        this.sel += 1;
        renumberGoods(this.doc, movedSince(before, this.doc.goods));
      },
      deleteLine: function () {
        if (this.sel < 0) { return; }
        var before = numbersOf(this.doc.goods);
        this.doc.goods.splice(this.sel, 1);
        this.sel = Math.min(this.sel, this.doc.goods.length - 1);
        renumberGoods(this.doc, movedSince(before, this.doc.goods));
      },
      moveLine: function (step) {
        var to = this.sel + step;
        if (this.sel < 0 || to < 0 || to >= this.doc.goods.length) { return; }
        var before = numbersOf(this.doc.goods);
        var line = this.doc.goods.splice(this.sel, 1)[0];
        this.doc.goods.splice(to, 0, line);
        this.sel = to;
        renumberGoods(this.doc, movedSince(before, this.doc.goods));
      },
      focusLine: function () {
        this.$nextTick(function () { var first = document.getElementById("f-goods-code_ts"); if (first) { first.focus(); } });
      },
      addRow: function (block) { this.doc[block].push({ _key: newKey(block) }); },
      deleteRow: function (block, index) { this.doc[block].splice(index, 1); },
      goTo: function (key) {
        var self = this;
        var line = /^goods#([^.]+)\.(.+)$/.exec(key);
        var id = "f-" + key.replace(/\./g, "-");
        if (line) {
          self.sel = self.doc.goods.findIndex(function (g) { return g._key === line[1]; });
          id = "f-goods-" + line[2];
        }
        self.$nextTick(function () {
          var target = document.getElementById(id);
          if (target) { target.scrollIntoView({ block: "center" }); target.focus(); }
        });
      },
    };
  }

  function codeSelect(table, label) {
    return {
      table: table,
      label: label,
      value: "",
      text: "",
      open: false,
      options: [],
      active: -1,
      typing: false,
      init: function () {
        var self = this;
        this.$watch("value", function () { if (!self.typing) { self.text = self.display(self.value); } });
        this.$nextTick(function () { self.text = self.display(self.value); });
      },
      display: function (code) {
        if (!code) { return ""; }
        var name = tableNames(this.table)[code];
        return name ? code + " " + name : code;
      },
      search: function () {
        var self = this;
        var query = this.text === this.display(this.value) ? "" : this.text.trim();
        var url = "/console/editor/codes/" + encodeURIComponent(this.table) + "?q=" + encodeURIComponent(query);
        fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : { items: [] }; }).then(function (body) {
          self.options = body.items || [];
          self.options.forEach(function (o) { tableNames(self.table)[o.code] = o.name; });
          self.active = self.options.length ? 0 : -1;
          self.open = self.typing || document.activeElement === self.$refs.input;
        });
      },
      move: function (step) {
        if (!this.open) { this.search(); return; }
        var count = this.options.length;
        if (count) { this.active = (this.active + step + count) % count; }
      },
      choose: function (index) {
        var option = this.options[index];
        if (!option) { return; }
        this.value = option.code;
        this.$dispatch("code-chosen", { table: this.table, option: option });
        this.typing = false;
        this.text = this.display(option.code);
        this.open = false;
      },
      enter: function (event) {
        if (this.open && this.active >= 0) { event.preventDefault(); this.choose(this.active); }
      },
      commit: function () {
        // Leaving the field: a typed code the table lacks is kept as typed (the logic checks judge it).
        if (this.typing) {
          var typed = this.text.trim();
          if (!typed) {
            this.value = "";
          } else {
            var first = typed.split(/\s+/)[0];
            var match = this.options.find(function (o) { return o.code.toUpperCase() === first.toUpperCase(); });
            this.value = match ? match.code : first;
          }
        }
        this.typing = false;
        this.open = false;
        this.text = this.display(this.value);
      },
    };
  }

  // The editor's form waits under x-ignore until these components exist: on a full page load this script
  // runs before Alpine starts; after an htmx swap, Alpine is running and the form is started here.
  function start(alpine, running) {
    alpine.data("editor", editor);
    alpine.data("codeSelect", codeSelect);
    document.querySelectorAll("form.editor[x-ignore]").forEach(function (form) {
      form.removeAttribute("x-ignore");
      if (running) {
        delete form._x_ignore; // Alpine met the swapped-in form first and marked it ignored
        alpine.destroyTree(form);
        alpine.initTree(form);
      }
    });
  }
  if (window.Alpine) {
    start(window.Alpine, true);
  } else {
    document.addEventListener("alpine:init", function () { start(window.Alpine, false); });
  }
})();
