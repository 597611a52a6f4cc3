// integrity web page: sign in (user name + password, or an API key), upload a paper or a batch, watch progress, read reports.
// Plain JS, no build step. Everything from the server is inserted with textContent (never innerHTML);
// reports are shown in a sandboxed iframe (no scripts, opaque origin).
"use strict";

const KEY_STORE = "integrity.api_key";
const TENANT_STORE = "integrity.tenant";
let csrfToken = "";  // of the signed-in session; kept in memory only, GET /v1/session returns it again
const POLL_MS = 500;
const $ = (id) => document.getElementById(id);

function apiKey() { return sessionStorage.getItem(KEY_STORE) || ""; }

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (apiKey()) headers.Authorization = "Bearer " + apiKey();
  else if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = csrfToken;
  const res = await fetch(path, Object.assign({ credentials: "same-origin" }, options, { headers }));
  if (!res.ok) {
    let message = "请求失败（HTTP " + res.status + "）";
    try {
      const body = await res.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (e) { /* not JSON */ }
    const err = new Error(message);
    err.status = res.status;
    throw err;
  }
  return res;
}

function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function splitList(text) { return text.split(/[\n,，;；、]+/).map((x) => x.trim()).filter(Boolean); }
function cell(text, cls) { return el("td", text, cls); }
function verdictText(v) {
  if (!v) return "";
  const label = v.accepted ? "认定通过" : v.recognised_level === "core" || v.recognised_level === "provincial"
    ? "不按申报级别认定" : "不予认定";
  const summary = (v.summary || "").replace(/^(认定通过|不予认定|不按申报级别认定)[：:]\s*/, "");
  return summary ? label + "：" + summary : label;
}
function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function download(path, fallbackName) {
  const res = await api(path);
  const blob = await res.blob();
  const cd = res.headers.get("Content-Disposition") || "";
  const m = /filename="([^"]+)"/.exec(cd);
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = m ? m[1] : fallbackName;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

async function showReport(checkId) {
  const res = await api("/v1/checks/" + encodeURIComponent(checkId) + "/report.html");
  const frame = $("report-frame");
  frame.srcdoc = await res.text();
  frame.dataset.checkId = checkId;
}

// ---------------------------------------------------------------- sign in
function showApp(who) {
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = who;
}

async function login(key) {
  sessionStorage.setItem(KEY_STORE, key);
  try {
    await api("/v1/checks?limit=1");
  } catch (e) {
    sessionStorage.removeItem(KEY_STORE);
    throw e;
  }
  showApp("已登录（密钥 " + key.slice(0, 8) + "…）");
}

function showUser(me) {
  csrfToken = me.csrf_token;
  showApp("已登录：" + (me.display_name || me.username) + "（" + me.tenant + "，" + me.role + "）");
}

async function userLogin(tenant, username, password) {
  const res = await fetch("/v1/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ tenant, username, password }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((body.error && body.error.message) || "登录失败（HTTP " + res.status + "）");
  localStorage.setItem(TENANT_STORE, tenant);
  showUser(body);
}

async function resumeSession() {
  const res = await fetch("/v1/session", { credentials: "same-origin" });
  if (!res.ok) return;
  const me = await res.json();
  if (me.kind === "user") showUser(me);
}

async function logout() {
  if (apiKey()) sessionStorage.removeItem(KEY_STORE);
  else await api("/v1/session", { method: "DELETE" }).catch(() => {});
  location.reload();
}

// ---------------------------------------------------------------- single paper
async function submitSingle(ev) {
  ev.preventDefault();
  const status = $("single-status");
  const btn = $("single-submit");
  $("single-result").hidden = true;
  const file = $("single-file").files[0];
  if (!file) return;
  const meta = {};
  if ($("single-applicant").value.trim()) meta.applicant = $("single-applicant").value.trim();
  if ($("single-level").value) meta.claimed_level = $("single-level").value;
  if ($("single-journal").value.trim()) meta.journal = $("single-journal").value.trim();
  if ($("single-year").value) meta.year = parseInt($("single-year").value, 10);
  const issn = $("single-issn").value.trim();
  if (issn) meta.issn = issn;
  const cn = $("single-cn").value.trim();
  if (cn) meta.cn = cn;
  let issue = $("single-issue").value.trim();
  if ($("single-supplement").checked && !/增刊|专刊|特刊|专辑|副刊|S\d/i.test(issue)) {
    issue = issue ? issue + "（增刊）" : "增刊";
  }
  if (issue) meta.issue = issue;
  if ($("single-published-on").value) meta.published_on = $("single-published-on").value;
  const selfAuthors = splitList($("single-self-authors").value);
  if (selfAuthors.length) meta.self_authors = selfAuthors;
  else if (meta.applicant) meta.self_authors = [meta.applicant];
  const exclude = splitList($("single-exclude").value);
  if (exclude.length) meta.exclude_doc_ids = exclude;
  const form = new FormData();
  form.append("file", file);
  form.append("metadata", JSON.stringify(meta));
  btn.disabled = true;
  status.className = "status";
  status.textContent = "正在上传…";
  try {
    const sub = await (await api("/v1/checks", { method: "POST", body: form })).json();
    status.textContent = "已提交，排队中…（检测编号 " + sub.id + "）";
    let job;
    for (;;) {
      job = await (await api("/v1/checks/" + sub.id)).json();
      if (job.status === "done" || job.status === "failed") break;
      status.textContent = (job.status === "running" ? "检测中…" : "排队中…") + "（检测编号 " + sub.id + "）";
      await sleep(POLL_MS);
    }
    if (job.status === "failed") {
      status.className = "status error";
      status.textContent = "检测失败：" + ((job.error && job.error.message) || "未知错误");
      return;
    }
    status.textContent = "检测完成（检测编号 " + sub.id + "）";
    renderSingle(job);
    await showReport(sub.id);
  } catch (e) {
    status.className = "status error";
    status.textContent = e.message;
  } finally {
    btn.disabled = false;
  }
}

function renderSingle(job) {
  const sim = job.result.similarity;
  const box = $("single-ratios");
  box.replaceChildren();
  [["总文字复制比", sim.total_copy_ratio], ["去除引用文献复制比", sim.copy_ratio_excluding_references],
   ["去除本人文献复制比", sim.copy_ratio_excluding_self], ["单篇最大文字复制比", sim.max_single_source_ratio]]
    .forEach(([label, v]) => {
      const d = el("div", null, "ratio");
      d.appendChild(el("b", pct(v)));
      d.appendChild(el("span", label));
      box.appendChild(d);
    });
  const v = job.result.verdict;
  const p = $("single-verdict");
  p.textContent = v ? v.summary || "" : "";  // the summary opens with the verdict itself, printed once
  p.className = v ? (v.accepted ? "good" : "bad") : "";
  $("single-result").hidden = false;
  $("single-result").dataset.checkId = job.id;
}

// ---------------------------------------------------------------- batch
async function submitBatch(ev) {
  ev.preventDefault();
  const status = $("batch-status");
  const bar = $("batch-progress");
  const btn = $("batch-submit");
  $("batch-result").hidden = true;
  $("batch-manifest-errors").replaceChildren();
  const form = new FormData();
  form.append("file", $("batch-zip").files[0]);
  form.append("manifest", $("batch-manifest").files[0]);
  btn.disabled = true;
  status.className = "status";
  status.textContent = "正在上传…";
  try {
    const sub = await (await api("/v1/batches", { method: "POST", body: form })).json();
    renderManifestErrors(sub.manifest.errors);
    bar.hidden = false;
    bar.value = 0;
    let p;
    for (;;) {
      p = await (await api("/v1/batches/" + sub.id + "/progress")).json();
      bar.value = p.percent;
      status.textContent = p.stage + "：已检测 " + Math.min(p.done, p.papers) + " / " + p.papers + " 篇（编号 " + sub.id + "）";
      if (p.status === "done" || p.status === "failed") break;
      await sleep(POLL_MS);
    }
    if (p.status === "failed") {
      status.className = "status error";
      status.textContent = "批量筛查失败：" + ((p.error && p.error.message) || "未知错误");
      return;
    }
    const batch = await (await api("/v1/batches/" + sub.id)).json();
    renderBatch(batch);
    status.textContent = "批量筛查完成（编号 " + sub.id + "）";  // after the table: "done" means readable
  } catch (e) {
    status.className = "status error";
    status.textContent = e.message;
  } finally {
    btn.disabled = false;
  }
}

function renderManifestErrors(errors) {
  const box = $("batch-manifest-errors");
  box.replaceChildren();
  if (!errors || !errors.length) return;
  box.appendChild(el("p", "清单中有 " + errors.length + " 行无法检测：", "error"));
  const ul = el("ul");
  errors.forEach((e) => ul.appendChild(el("li", e.message)));
  box.appendChild(ul);
}

function renderBatch(batch) {
  const r = batch.result;
  const c = r.counts;
  $("batch-counts").textContent = "共 " + c.rows + " 行：通过 " + c.accepted + "，不予认定 " + c.rejected +
    "，需核实 " + c.review + "，已检测 " + c.checked + "，出错 " + c.errors + "；交叉比对标记 " + c.cross_flags + " 条";
  const unlisted = r.unlisted_files || [];
  const note = $("batch-unlisted");
  note.textContent = unlisted.length
    ? "压缩包中有 " + unlisted.length + " 个文件不在清单中，未检测：" + unlisted.join("、") : "";
  const tbody = $("batch-table").querySelector("tbody");
  tbody.replaceChildren();
  const rows = r.outcomes.map((o) => ({ row: o.row.row, o }))
    .concat(r.manifest_errors.map((e) => ({ row: e.row, e })));
  rows.sort((a, b) => a.row - b.row);
  rows.forEach(({ row, o, e }) => {
    const tr = el("tr");
    tr.appendChild(cell(row, "nowrap"));
    if (o) {
      tr.appendChild(cell(o.row.applicant, "nowrap"));
      tr.appendChild(cell(o.row.title || o.row.file_name, "long"));
      tr.appendChild(cell(o.status_label, "nowrap" + (o.status === "rejected" || o.status === "error" ? " bad" : "")));
      tr.appendChild(cell(pct(o.total_copy_ratio), "nowrap"));
      const notes = cell(null, "long");
      const items = [];
      if (o.error) items.push(o.error);
      (o.findings || []).filter((f) => f.severity === "reject" || f.severity === "warning")
        .forEach((f) => items.push(f.message));
      (o.cross_flags || []).forEach((f) => items.push("交叉比对：" + f));
      if (items.length) {
        const ul = el("ul", null, "flags");
        items.forEach((t) => ul.appendChild(el("li", t)));
        notes.appendChild(ul);
      }
      tr.appendChild(notes);
      const td = cell(null, "nowrap");
      if (o.check_id) {
        const a = el("a", "查看报告", "link");
        a.addEventListener("click", () => { switchTab("single"); openReport(o.check_id); });
        td.appendChild(a);
      }
      tr.appendChild(td);
    } else {
      tr.appendChild(cell("", "nowrap"));
      tr.appendChild(cell("", "long"));
      tr.appendChild(cell("清单错误", "nowrap bad"));
      tr.appendChild(cell("", "nowrap"));
      tr.appendChild(cell(e.message, "long"));
      tr.appendChild(cell("", "nowrap"));
    }
    tbody.appendChild(tr);
  });
  $("batch-result").hidden = false;
  $("batch-result").dataset.batchId = batch.id;
}

async function openReport(checkId) {
  const job = await (await api("/v1/checks/" + encodeURIComponent(checkId))).json();
  $("single-status").textContent = "检测编号 " + checkId;
  renderSingle(job);
  await showReport(checkId);
}

// ---------------------------------------------------------------- history
// Times in the zone the server is configured for (INTEGRITY_TIMEZONE, default Asia/Shanghai), not UTC.
function localTime(iso) {
  if (!iso) return "";
  const zone = document.body.dataset.timezone || "Asia/Shanghai";
  const parts = new Intl.DateTimeFormat("zh-CN", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z"));
  const v = Object.fromEntries(parts.map((p) => [p.type, p.value]));
  return `${v.year}-${v.month}-${v.day} ${v.hour}:${v.minute}:${v.second}`;
}

async function loadHistory() {
  const body = await (await api("/v1/checks?limit=50")).json();
  const tbody = $("history-table").querySelector("tbody");
  tbody.replaceChildren();
  body.items.forEach((j) => {
    const tr = el("tr");
    tr.appendChild(cell(localTime(j.created_at), "nowrap"));
    tr.appendChild(cell(j.applicant || "", "nowrap"));
    tr.appendChild(cell(j.file_name, "long"));
    tr.appendChild(cell(j.status === "done" ? pct(j.total_copy_ratio) : "", "nowrap"));
    const state = { queued: "排队中", running: "检测中", failed: "失败" }[j.status];
    tr.appendChild(cell(state || verdictText(j.verdict) || "已完成", "long" + (j.verdict && !j.verdict.accepted ? " bad" : "")));
    tr.appendChild(cell(j.batch_id ? j.batch_id + " 第 " + j.batch_row + " 行" : "", "nowrap"));
    const td = cell(null, "nowrap");
    if (j.status === "done") {
      const a = el("a", "查看报告", "link");
      a.addEventListener("click", () => { switchTab("single"); openReport(j.id); });
      td.appendChild(a);
    }
    tr.appendChild(td);
    tbody.appendChild(tr);
  });
}

function switchTab(name) {
  document.querySelectorAll(".tab").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab-panel").forEach((p) => { p.hidden = p.id !== "tab-" + name; });
  if (name === "history") loadHistory().catch((e) => { $("single-status").textContent = e.message; });
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    try {
      await login($("api-key").value.trim());
    } catch (e) {
      $("login-error").textContent = e.status === 401 ? "API 密钥无效或已吊销" : e.message;
    }
  });
  $("user-login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("user-login-error").textContent = "";
    const btn = $("user-login-btn");
    btn.disabled = true;
    try {
      await userLogin($("login-tenant").value.trim(), $("login-username").value.trim(), $("login-password").value);
    } catch (e) {
      $("user-login-error").textContent = e.message;
    } finally {
      btn.disabled = false;
      $("login-password").value = "";
    }
  });
  $("login-tenant").value = localStorage.getItem(TENANT_STORE) || "";
  $("logout").addEventListener("click", logout);
  document.querySelectorAll(".tab").forEach((b) => b.addEventListener("click", () => switchTab(b.dataset.tab)));
  $("single-form").addEventListener("submit", submitSingle);
  $("batch-form").addEventListener("submit", submitBatch);
  $("single-download-pdf").addEventListener("click", () => {
    const id = $("single-result").dataset.checkId;
    download("/v1/checks/" + encodeURIComponent(id) + "/report.pdf", "report.pdf")
      .catch((e) => { $("single-status").textContent = e.message; });
  });
  $("batch-download").addEventListener("click", () => {
    const id = $("batch-result").dataset.batchId;
    download("/v1/batches/" + encodeURIComponent(id) + "/summary.xlsx", "summary.xlsx")
      .catch((e) => { $("batch-status").textContent = e.message; });
  });
  $("history-refresh").addEventListener("click", () => loadHistory());
  if (apiKey()) login(apiKey()).catch(() => {});
  else resumeSession().catch(() => {});
});
