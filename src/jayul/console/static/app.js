// The console's shell: login, navigation by URL hash, the status line, page dispatch.
import { api, ApiError, esc, when } from "./lib.js";
import { overviewPage, alertsPage, approvalsPage, autonomyPage, modelsPage, auditPage,
  kpiPage, usersPage } from "./pages.js";
import { machinePage } from "./machine.js";
import { planPage } from "./plan.js";
import { operateRoutes, addOperateNav } from "./operate.js";
import { deadLettersPage } from "./inputs.js";
import { devicesPage } from "./devices.js";
import { processPage } from "./process.js";

const main = document.getElementById("main");
let me = null;
let cleanup = null; // the current page's teardown (timers, streams, charts)

const routes = [
  [/^#?\/?$/, () => overviewPage],
  [/^#\/machine\/([\w.-]+)$/, (m) => (el, ctx) => machinePage(el, ctx, m[1])],
  [/^#\/alerts$/, () => alertsPage],
  [/^#\/plan$/, () => planPage],
  [/^#\/approvals$/, () => approvalsPage],
  [/^#\/autonomy$/, () => autonomyPage],
  [/^#\/models$/, () => modelsPage],
  [/^#\/audit$/, () => auditPage],
  [/^#\/kpis$/, () => kpiPage],
  [/^#\/users$/, () => usersPage],
  ...operateRoutes,
  [/^#\/deadletters$/, () => deadLettersPage],
  [/^#\/devices$/, () => devicesPage],
  [/^#\/process$/, () => processPage],
];

function showLogin(message = "") {
  document.getElementById("nav").hidden = true;
  document.getElementById("status").textContent = "";
  main.innerHTML = `
    <form class="card login" id="login">
      <h1>Sign in to jayul</h1>
      <label for="username">User</label><input id="username" autocomplete="username" required>
      <label for="password">Password</label>
      <input id="password" type="password" autocomplete="current-password" required>
      <p class="error" id="login-error">${esc(message)}</p>
      <button class="primary" type="submit">Sign in</button>
    </form>`;
  document.getElementById("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/api/login", {
        username: document.getElementById("username").value,
        password: document.getElementById("password").value,
      });
      await start();
    } catch (err) {
      document.getElementById("login-error").textContent = err.message;
    }
  });
}

async function refreshStatus() {
  try {
    const [plant, open] = await Promise.all([api("GET", "/api/plant"), api("GET", "/api/approvals")]);
    const g = plant.counters.gate;
    document.getElementById("nav-approvals").textContent = open.length ? `(${open.length})` : "";
    document.getElementById("status").innerHTML =
      `${esc(plant.name)} · <span title="${esc(plant.clock)}">` +
      `${plant.connected_equipment ? "plant time" : "simulated plant time"}</span> ` +
      `<span id="plant-time">${when(plant.now_ns)}</span> UTC ` +
      (plant.connected_equipment ? "" : `· ${plant.speed}× `) +
      `· ${esc(me.user)} (${esc(me.role)}) ` +
      `<button id="logout">Sign out</button>` + (g ? "" : " · gate off");
    document.getElementById("logout").onclick = async () => {
      await api("POST", "/api/logout").catch(() => {});
      me = null;
      showLogin();
    };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showLogin("Your session ended.");
  }
}

// Each render draws into a view of its own and counts itself: a page still waiting for its data
// when the user moves on finds a newer render under way and stops itself, instead of writing
// into (or clearing) the newer page.
let renderCount = 0;
async function render() {
  if (!me) return;
  const mine = ++renderCount;
  if (cleanup) { cleanup(); cleanup = null; }
  const hash = location.hash || "#/";
  for (const a of document.querySelectorAll("nav a")) {
    const target = a.getAttribute("href");
    a.classList.toggle("active", target === hash || (target !== "#/" && hash.startsWith(target)));
  }
  const view = document.createElement("div");
  main.replaceChildren(view);
  for (const [re, make] of routes) {
    const m = hash.match(re);
    if (m) {
      try {
        const stop = (await make(m)(view, { me, refreshStatus })) || null;
        if (mine === renderCount) cleanup = stop;
        else if (stop) stop();
      } catch (err) {
        if (mine !== renderCount) return;
        if (err instanceof ApiError && err.status === 401) return showLogin("Please sign in.");
        view.innerHTML = `<p class="error">${esc(err.message)}</p>`;
      }
      return;
    }
  }
  view.innerHTML = `<p>No such page. <a href="#/">Back to the plant</a>.</p>`;
}

let statusTimer = null;
async function start() {
  try {
    me = await api("GET", "/api/me");
  } catch {
    return showLogin();
  }
  addOperateNav(document.getElementById("nav"));
  document.getElementById("nav").hidden = false;
  document.getElementById("nav-users").hidden = me.role !== "admin";
  const proc = await api("GET", "/api/process").catch(() => null);
  document.getElementById("nav-process").hidden = !(proc && proc.available);
  await refreshStatus();
  clearInterval(statusTimer);
  statusTimer = setInterval(refreshStatus, 5000);
  await render();
}

window.addEventListener("hashchange", render);
start();
