"""The fleet console: `/api/fleet/sites` (JSON) and one page that shows it as a table, both
for logged-in users only (the operator console's login, users and sessions: fleet.auth)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

from jayul.fleet.auth import FleetAuth
from jayul.fleet.centre import Centre
from jayul.fleet.view import FleetView
from jayul.server.auth import COOKIE, current_session
from jayul.server.routes_users import router as users_router

# Shown instead of the fleet to a caller without a session (status 401): it logs in through
# the operator console's POST /api/login, which sets the session cookie, then reloads.
_LOGIN = """<!doctype html><html><head><meta charset="utf-8"><title>jayul fleet: log in</title>
<style>body{font:14px system-ui;margin:2em}input{display:block;margin:4px 0 8px}</style>
</head><body><h1>jayul fleet</h1><form id="f"><label>user<input name="username"
autocomplete="username" required></label><label>password<input name="password"
type="password" autocomplete="current-password" required></label><button>log in</button>
</form><p id="err"></p><script>
document.getElementById('f').onsubmit=async e=>{e.preventDefault();
  const f=new FormData(e.target);
  const r=await fetch('api/login',{method:'POST',headers:{'content-type':'application/json'},
    body:JSON.stringify({username:f.get('username'),password:f.get('password')})});
  if(r.ok){location.reload()}else{
    document.getElementById('err').textContent=(await r.json()).detail}};
</script></body></html>"""

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>jayul fleet</title>
<style>body{font:14px system-ui;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}
.offline{color:#b00}.catching-up{color:#b60}.online{color:#070}</style></head><body>
<h1>jayul fleet</h1><p id="centre"></p><table><thead><tr><th>site</th><th>state</th>
<th>last seen (s ago)</th><th>alerts</th><th>alerts 24 h</th><th>actions</th><th>failures</th>
<th>samples</th><th>backlog</th><th>KPIs</th></tr></thead><tbody id="rows"></tbody></table>
<script>
function cell(v){const td=document.createElement('td');td.textContent=v;return td}
async function load(){
  const r=await fetch('api/fleet/sites');if(r.status===401){location.reload();return}
  const d=await r.json();
  document.getElementById('centre').textContent=
    `centre: ${d.centre.connected?'connected':'not connected'} to NATS, `+
    `${d.centre.stored} messages stored, ${d.centre.dead} dead letters`;
  const body=document.getElementById('rows');body.replaceChildren();
  for(const s of d.sites){const tr=document.createElement('tr');
    const st=cell(s.state);st.className=s.state;
    tr.append(cell(s.site),st,cell(s.last_seen_s_ago),cell(s.alerts),cell(s.alerts_24h),
      cell(s.actions),cell(s.failures),cell(s.samples),cell(s.backlog??''),
      cell(Object.entries(s.kpis).map(([k,v])=>k+'='+v).join(' ')));body.append(tr)}
}
load();setInterval(load,5000);
</script></body></html>"""


def create_fleet_app(centre: Centre, auth: FleetAuth, offline_after_s: float = 60.0) -> FastAPI:
    view = FleetView(centre.config.dsn, centre.config.schema)
    app = FastAPI(title="jayul fleet", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.live = auth  # what the operator console's user routes read
    app.include_router(users_router)

    @app.get("/api/fleet/sites", dependencies=[Depends(current_session)])
    def sites() -> dict[str, Any]:
        """Every site: state, last seen, alarm counts, latest KPIs; and the centre's health."""
        s = centre.stats
        return {
            "centre": {
                "connected": s.connected,
                "stored": s.stored,
                "repeats": s.repeats,
                "dead": s.dead,
                "samples": s.samples,
                "last_error": s.last_error,
            },
            "sites": view.sites(offline_after_s),
        }

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request) -> HTMLResponse:
        token = request.cookies.get(COOKIE)
        if token is None or auth.sessions.get(token) is None:
            return HTMLResponse(_LOGIN, status_code=401)
        return HTMLResponse(_PAGE)

    return app
