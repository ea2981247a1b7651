/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * svr-conductor's web UI (docs/conductor.md "Web UI"). Vue 2 (Debian's libjs-vue), no build
 * step: small components, each one page or one part of a page, talking only to the operator
 * API under /api/v1 with the operator's token (sessionStorage, sent as a Bearer token).
 * Controls a role cannot use are not shown; the API refuses them anyway.
 */
(function () {
	'use strict';

	var TOKEN_KEY = 'svr-conductor-token';
	var POLL_MS = 1000; /* the map and router pages */
	var ACK_POLL_MS = 500; /* routers catching up after a commit, */
	var ACK_FAST_POLL_MS = 100; /* and more often at first, */
	var ACK_FAST_FOR_MS = 3000; /* for this long after the click */

	/* --------------------------------------------------------------- state -- */

	var store = Vue.observable({
		token: sessionStorage.getItem(TOKEN_KEY) || '',
		me: null, /* {name, role, changeControl: {enabled, requireTicket}} */
		error: '', /* a background poll's (cleared by its next success) or the login's */
		errorFromPoll: false,
		route: { page: 'map', arg: '' }
	});

	function can(what) {
		var role = store.me ? store.me.role : '';
		var cc = store.me && store.me.changeControl.enabled;
		var editor = role === 'admin' || role === 'planner';
		switch (what) {
		case 'edit': return editor;
		case 'commit': return editor && !cc;
		case 'propose': return editor;
		case 'approve': return role === 'admin' || role === 'approver';
		case 'audit': return role === 'admin' || role === 'auditor';
		case 'enrol': return role === 'admin';
		case 'clear-sessions': return role === 'admin' || role === 'operator';
		}
		return false;
	}

	/* ----------------------------------------------------------------- API -- */

	function ApiError(status, body) {
		this.status = status;
		this.body = body || {};
		var msg = this.body.error || ('HTTP ' + status);
		if (Array.isArray(this.body.errors))
			msg += '\n' + this.body.errors.map(function (e) {
				return e.path + ': ' + e.message;
			}).join('\n');
		this.message = msg;
	}

	/* One request; resolves to the parsed body (null for 204), rejects with an ApiError. A 401
	 * means the token is no longer good: back to the login page. */
	function api(method, path, body) {
		var opts = { method: method, headers: { Authorization: 'Bearer ' + store.token }, cache: 'no-store' };
		if (body !== undefined) {
			opts.headers['Content-Type'] = 'application/json';
			opts.body = JSON.stringify(body);
		}
		return fetch('/api/v1' + path, opts).then(function (r) {
			return r.text().then(function (text) {
				var data = null;
				try { data = text ? JSON.parse(text) : null; } catch (e) { data = { error: text }; }
				if (r.status === 401 && path !== '/whoami') logout('the token was refused (401)');
				if (!r.ok) throw new ApiError(r.status, data);
				return data;
			});
		});
	}

	function showError(e) {
		store.error = e && e.message ? e.message : String(e);
		store.errorFromPoll = false;
	}

	/* A background poll's failure: shown at the top until the next success, never over an
	 * error shown there for something else. */
	function pollFailed(e) {
		if (store.error && !store.errorFromPoll) return;
		store.error = e && e.message ? e.message : String(e);
		store.errorFromPoll = true;
	}
	function pollOk() {
		if (store.errorFromPoll) {
			store.error = '';
			store.errorFromPoll = false;
		}
	}

	/* An action's error, shown next to the action that failed (the element with
	 * ref="err"), scrolled into view. */
	var actionError = {
		data: function () { return { err: '' }; },
		methods: {
			fail: function (e) {
				var self = this;
				this.err = e && e.message ? e.message : String(e);
				this.$nextTick(function () {
					var el = self.$refs.err;
					if (el && el.scrollIntoView) el.scrollIntoView({ block: 'center' });
				});
			}
		}
	};

	/* JSON with its keys sorted: two models compare equal whatever their keys' order. */
	function canon(v) {
		if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
		if (v && typeof v === 'object')
			return '{' + Object.keys(v).sort().map(function (k) { return JSON.stringify(k) + ':' + canon(v[k]); }).join(',') + '}';
		return JSON.stringify(v);
	}
	function copy(v) { return JSON.parse(JSON.stringify(v)); }

	/* Who the token belongs to: its role decides which controls are shown. */
	function whoami() {
		return api('GET', '/whoami').then(function (w) {
			var cc = w['change-control'] || {};
			/* require-ticket applies only with change control on */
			return { name: w.name, role: w.role, changeControl: { enabled: !!cc.enabled, requireTicket: !!cc.enabled && !!cc['require-ticket'] } };
		});
	}

	function logout(why) {
		sessionStorage.removeItem(TOKEN_KEY);
		store.token = '';
		store.me = null;
		store.error = why || '';
	}

	/* --------------------------------------------------------------- utils -- */

	function fmtTime(ms) {
		if (!ms) return '—'; /* null, or 0: never */
		return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
	}
	function fmtNum(v, unit) {
		if (v === null || v === undefined) return '—';
		return (Math.round(v * 100) / 100) + (unit || '');
	}
	function fmtJson(v) {
		return v === undefined ? '' : JSON.stringify(v);
	}

	/* The colour of a peer path: bad (red) when down, warn (amber) when up but outside its SLA
	 * or not usable, ok (green) otherwise (SLA met or not measured). */
	function pathState(p) {
		if (!p || p.state !== 'up') return 'bad';
		if (p.sla === 'violated' || p.usable === false) return 'warn';
		return 'ok';
	}
	var RANK = { ok: 0, warn: 1, bad: 2 };
	function worse(a, b) { return RANK[a] >= RANK[b] ? a : b; }

	/* A router: bad when unreachable, idle when not enrolled, warn when out of sync or with
	 * another alarm, ok otherwise. */
	function routerState(r) {
		var alarms = (r.alarms || []).map(function (a) { return a.alarm; });
		if (alarms.indexOf('router-unreachable') >= 0) return 'bad';
		if (!r['enrolled-ms']) return 'idle';
		if (!r.status) return 'idle';
		if (!r['in-sync'] || alarms.length) return 'warn';
		return 'ok';
	}

	Vue.filter('time', fmtTime);
	Vue.filter('num', fmtNum);
	Vue.filter('json', fmtJson);

	/* Calls fn now and every ms while the component lives. */
	var polling = {
		methods: {
			poll: function (fn, ms) {
				var self = this;
				var busy = false;
				function tick() {
					if (busy) return;
					busy = true;
					Promise.resolve(fn.call(self)).then(pollOk, pollFailed).then(function () { busy = false; });
				}
				tick();
				this._timers = (this._timers || []).concat(setInterval(tick, ms));
			}
		},
		beforeDestroy: function () {
			(this._timers || []).forEach(clearInterval);
		}
	};

	/* ------------------------------------------------------ shared widgets -- */

	Vue.component('state-badge', {
		props: ['state', 'text'],
		template: '<span class="badge" :class="state">{{ text }}</span>'
	});

	/* A diff from the API: [{path, op, from, to}]. */
	Vue.component('diff-list', {
		props: ['changes'],
		template: `
<div class="diff">
  <p v-if="!changes.length" class="muted">No changes.</p>
  <table v-else>
    <tr><th>path</th><th>change</th><th>from</th><th>to</th></tr>
    <tr v-for="c in changes" :class="'op-' + c.op">
      <td class="mono">{{ c.path }}</td><td>{{ c.op }}</td>
      <td class="mono">{{ c.from | json }}</td><td class="mono">{{ c.to | json }}</td>
    </tr>
  </table>
</div>`
	});

	/* After a commit (serial known): each router's applied serial catching up, with the time
	 * since startMs (the click that committed). Polled every 100 ms for the first seconds, when
	 * routers acknowledge (so the time shown is close to the real one), then every 500 ms. */
	Vue.component('ack-watch', {
		props: ['serial', 'startMs'],
		data: function () { return { routers: [], done: false, doneMs: null }; },
		created: function () { this.tick(); },
		beforeDestroy: function () {
			clearTimeout(this.timer);
			this.done = true;
		},
		methods: {
			tick: function () {
				var self = this;
				Promise.resolve(this.refresh()).then(pollOk, pollFailed).then(function () {
					if (self.done) return;
					var fast = Date.now() - self.startMs < ACK_FAST_FOR_MS;
					self.timer = setTimeout(self.tick, fast ? ACK_FAST_POLL_MS : ACK_POLL_MS);
				});
			},
			refresh: function () {
				var self = this;
				return api('GET', '/routers').then(function (d) {
					var now = Date.now();
					self.routers = d.routers.filter(function (r) { return r['enrolled-ms']; }).map(function (r) {
						var prev = self.routers.filter(function (p) { return p.name === r.name; })[0];
						var acked = (r['applied-serial'] || 0) >= self.serial;
						return {
							name: r.name,
							applied: r['applied-serial'],
							acked: acked,
							ms: acked ? (prev && prev.ms !== null ? prev.ms : now - self.startMs) : null
						};
					});
					if (self.routers.length && self.routers.every(function (r) { return r.acked; })) {
						self.done = true;
						self.doneMs = now - self.startMs;
					}
				});
			}
		},
		template: `
<div class="card ack-watch" :data-serial="serial" :data-done="done ? 1 : 0" :data-ms="doneMs">
  <h2>Routers applying serial {{ serial }}</h2>
  <table>
    <tr><th>router</th><th>applied serial</th><th>acknowledged</th></tr>
    <tr v-for="r in routers" :data-router="r.name" :data-acked="r.acked ? 1 : 0">
      <td>{{ r.name }}</td><td class="num">{{ r.applied }}</td>
      <td><state-badge :state="r.acked ? 'ok' : 'warn'" :text="r.acked ? ('after ' + r.ms + ' ms') : 'waiting'"></state-badge></td>
    </tr>
  </table>
  <p v-if="done" class="ack-done">Every router applied serial {{ serial }}, {{ doneMs }} ms after the click.</p>
</div>`
	});

	/* ---------------------------------------------------------------- login -- */

	Vue.component('page-login', {
		data: function () { return { token: '', busy: false }; },
		methods: {
			login: function () {
				var self = this;
				store.token = this.token.trim();
				this.busy = true;
				whoami().then(function (me) {
					sessionStorage.setItem(TOKEN_KEY, store.token);
					store.me = me;
					store.error = '';
					if (!location.hash || location.hash === '#/') location.hash = '#/map';
				}, function (e) {
					store.token = '';
					showError(e.status === 401 ? new Error('That token is not an operator token of this conductor.') : e);
				}).then(function () { self.busy = false; });
			}
		},
		template: `
<div class="login card">
  <h1>svr-conductor</h1>
  <p class="muted">Log in with your operator token (the content of your token file).</p>
  <form @submit.prevent="login">
    <input id="token" class="wide mono secret" type="text" v-model="token" autocomplete="one-time-code" autocapitalize="off" spellcheck="false" placeholder="operator token" autofocus>
    <div class="row"><button id="login" class="primary" type="submit" :disabled="busy || !token">Log in</button></div>
  </form>
  <p class="muted">The token stays in this tab only (sessionStorage, gone when the tab is closed; the browser is not offered it to save) and is sent to this conductor alone.</p>
</div>`
	});

	/* ------------------------------------------------------------------ map -- */

	/* Routers on a circle, one line per pair of peer paths (the path as each side reports it,
	 * paired in name order), coloured by the worse of the two sides. */
	Vue.component('page-map', {
		mixins: [polling],
		data: function () { return { routers: [], serial: null, updated: null }; },
		created: function () { this.poll(this.refresh, POLL_MS); },
		methods: {
			refresh: function () {
				var self = this;
				return api('GET', '/routers').then(function (d) {
					self.routers = d.routers;
					self.serial = d.serial;
					self.updated = Date.now();
				});
			},
			open: function (name) { location.hash = '#/router/' + encodeURIComponent(name); }
		},
		computed: {
			/* two routers side by side need less room than a circle of them */
			height: function () { return this.routers.length > 2 ? 460 : 240; },
			nodes: function () {
				var n = this.routers.length, cx = 400, cy = this.height / 2 - 15, rad = n > 1 ? 170 : 0;
				var a0 = n === 2 ? Math.PI : -Math.PI / 2; /* two: side by side */
				return this.routers.map(function (r, i) {
					var a = a0 + 2 * Math.PI * i / Math.max(n, 1);
					return {
						name: r.name, x: cx + rad * Math.cos(a), y: cy + rad * Math.sin(a),
						state: routerState(r), inSync: r['in-sync'], version: r['applied-version']
					};
				});
			},
			links: function () {
				var at = {}, byRouter = {};
				this.nodes.forEach(function (n) { at[n.name] = n; });
				this.routers.forEach(function (r) {
					byRouter[r.name] = ((r.status && r.status.peers) || []).slice().sort(function (a, b) {
						return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
					});
				});
				var links = [];
				Object.keys(byRouter).sort().forEach(function (a) {
					var seen = {};
					byRouter[a].forEach(function (p) {
						var b = p.peer;
						if (!at[b] || b === a) return;
						var k = seen[b] = (seen[b] || 0) + 1;
						var back = (byRouter[b] || []).filter(function (q) { return q.peer === a; })[k - 1];
						if (b < a && back) return; /* drawn from b's side */
						var state = back ? worse(pathState(p), pathState(back)) : pathState(p);
						links.push({ id: a + ':' + p.path, a: a, b: b, k: k, near: p, far: back, state: state });
					});
				});
				/* Several paths between two routers: bend each its own way. */
				return links.map(function (l) {
					var A = at[l.a], B = at[l.b];
					var mx = (A.x + B.x) / 2, my = (A.y + B.y) / 2;
					var dx = B.x - A.x, dy = B.y - A.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
					var bend = (l.k % 2 ? 1 : -1) * Math.floor(l.k / 2) * 40;
					var qx = mx - dy / len * bend, qy = my + dx / len * bend;
					l.d = 'M' + A.x + ',' + A.y + ' Q' + qx + ',' + qy + ' ' + B.x + ',' + B.y;
					/* the label beside the line's middle, not on it */
					l.lx = (mx + qx) / 2 - dy / len * 14;
					l.ly = (my + qy) / 2 + dx / len * 14 + 4;
					return l;
				});
			}
		},
		template: `
<div>
  <h1>Network map</h1>
  <p class="muted">Serial {{ serial }}; refreshed every second ({{ updated | time }}). Click a router for its page.</p>
  <svg class="map" :viewBox="'0 0 800 ' + height" role="img" aria-label="routers and peer paths">
    <g v-for="l in links" :key="l.id">
      <path class="path" :class="l.state" :d="l.d" :data-path="l.id" :data-state="l.state"><title>{{ l.a }} ↔ {{ l.b }} ({{ l.near.path }}): {{ l.near.state }}</title></path>
      <text class="small" :x="l.lx" :y="l.ly" text-anchor="middle">{{ l.near.path }}<tspan v-if="l.near['latency-ms'] != null"> {{ l.near['latency-ms'] | num(' ms') }}</tspan></text>
    </g>
    <g v-for="n in nodes" :key="n.name" class="node" :class="n.state" :data-router="n.name" :data-state="n.state" @click="open(n.name)">
      <circle :cx="n.x" :cy="n.y" r="26"></circle>
      <text :x="n.x" :y="n.y + 44" text-anchor="middle">{{ n.name }}</text>
      <text class="small" :x="n.x" :y="n.y + 58" text-anchor="middle">v{{ n.version }} {{ n.inSync ? 'in sync' : 'out of sync' }}</text>
    </g>
  </svg>
  <p class="legend muted"><span><i class="ok"></i>up, SLA met or not measured</span><span><i class="warn"></i>up, SLA violated or not usable</span><span><i class="bad"></i>down</span></p>
  <div class="card">
    <table>
      <tr><th>router</th><th>peer</th><th>path</th><th>state</th><th>loss</th><th>latency</th><th>jitter</th><th>SLA</th></tr>
      <tr v-for="l in links" :key="l.id + '-row'" :data-path-row="l.id">
        <td>{{ l.a }}</td><td>{{ l.b }}</td><td>{{ l.near.path }}</td>
        <td><state-badge :state="l.state" :text="l.near.state + (l.far ? ' / ' + l.far.state : '')"></state-badge></td>
        <td class="num">{{ l.near['loss-pct'] | num(' %') }}</td><td class="num">{{ l.near['latency-ms'] | num(' ms') }}</td>
        <td class="num">{{ l.near['jitter-ms'] | num(' ms') }}</td><td>{{ l.near.sla || '—' }}</td>
      </tr>
    </table>
  </div>
</div>`
	});

	/* --------------------------------------------------------------- router -- */

	Vue.component('page-router', {
		mixins: [polling, actionError],
		props: ['name'],
		data: function () { return { r: null, serial: null, cleared: null, confirming: false }; },
		created: function () { this.poll(this.refresh, POLL_MS); },
		computed: {
			st: function () { return (this.r && this.r.status) || {}; },
			state: function () { return this.r ? routerState(this.r) : 'idle'; },
			sessions: function () {
				var s = this.st.sessions || {};
				return Object.keys(s).map(function (k) { return { k: k, v: s[k] }; });
			}
		},
		methods: {
			refresh: function () {
				var self = this;
				return api('GET', '/routers/' + encodeURIComponent(this.name)).then(function (r) {
					self.r = r;
					self.serial = r.serial;
				});
			},
			pathState: pathState,
			/* Relayed to the router, which answers at its next sync: followed until done. */
			clearSessions: function () {
				var self = this, base = '/routers/' + encodeURIComponent(this.name);
				this.confirming = false;
				this.err = '';
				function follow(c, left) {
					self.cleared = c;
					if (c.state !== 'pending' || !left) return;
					setTimeout(function () {
						api('GET', base + '/commands/' + c.id).then(function (d) { follow(d, left - 1); }, self.fail);
					}, 500);
				}
				api('POST', base + '/clear-sessions', {}).then(function (c) { follow(c, 40); }, this.fail);
			}
		},
		template: `
<div v-if="r">
  <h1>Router {{ r.name }} <state-badge :state="state" :text="r['in-sync'] ? 'in sync' : 'out of sync'"></state-badge></h1>
  <div class="card">
    <table>
      <tr><th>asset id</th><td>{{ r['asset-id'] || '—' }}</td><th>enrolled</th><td>{{ r['enrolled-ms'] | time }}</td></tr>
      <tr><th>applied version</th><td>{{ r['applied-version'] }} (serial {{ r['applied-serial'] }}; current {{ serial }})</td><th>last seen</th><td>{{ r['last-seen-ms'] | time }}</td></tr>
      <tr><th>software</th><td>{{ st.software || '—' }}</td><th>dataplane</th><td>{{ st.dataplane || '—' }}</td></tr>
      <tr><th>local override</th><td>{{ st['local-override'] ? JSON.stringify(st['local-override']) : 'none' }}</td><th>last error</th><td>{{ st['last-error'] || 'none' }}</td></tr>
    </table>
  </div>
  <h2>Alarms</h2>
  <div class="card"><p v-if="!r.alarms.length" class="muted">None.</p>
    <table v-else><tr><th>alarm</th><th>reason</th><th>raised</th></tr>
      <tr v-for="a in r.alarms"><td><state-badge state="bad" :text="a.alarm"></state-badge></td><td>{{ a.reason }}</td><td>{{ a['raised-ms'] | time }}</td></tr></table></div>
  <h2>Interfaces</h2>
  <div class="card"><p v-if="!st.interfaces" class="muted">Not reported by this router.</p>
    <table v-else><tr><th>name</th><th>device</th><th>link</th><th>addresses</th><th>rx packets</th><th>tx packets</th></tr>
      <tr v-for="i in st.interfaces"><td>{{ i.name }}</td><td class="mono">{{ i.device || '—' }}</td>
        <td><state-badge :state="i.link === 'up' ? 'ok' : 'bad'" :text="i.link"></state-badge></td>
        <td class="mono">{{ (i.addresses || []).join(', ') }}</td><td class="num">{{ i['rx-packets'] }}</td><td class="num">{{ i['tx-packets'] }}</td></tr></table></div>
  <h2>Peer paths</h2>
  <div class="card"><p v-if="!(st.peers || []).length" class="muted">None.</p>
    <table v-else><tr><th>peer</th><th>path</th><th>interface</th><th>state</th><th>BFD</th><th>usable</th><th>loss</th><th>latency</th><th>jitter</th><th>MOS</th><th>SLA</th></tr>
      <tr v-for="p in st.peers" :data-path-row="r.name + ':' + p.path"><td>{{ p.peer }}</td><td>{{ p.path }}</td><td>{{ p.interface }}</td>
        <td><state-badge :state="pathState(p)" :text="p.state"></state-badge></td><td>{{ p.bfd === undefined ? '—' : (p.bfd ? 'yes' : 'no') }}</td>
        <td>{{ p.usable === undefined ? '—' : (p.usable ? 'yes' : 'no') }}</td>
        <td class="num">{{ p['loss-pct'] | num(' %') }}</td><td class="num">{{ p['latency-ms'] | num(' ms') }}</td>
        <td class="num">{{ p['jitter-ms'] | num(' ms') }}</td><td class="num">{{ p.mos | num }}</td><td>{{ p.sla || '—' }}</td></tr></table></div>
  <h2>Sessions</h2>
  <div class="card"><p v-if="!sessions.length" class="muted">Not reported.</p>
    <table v-else><tr v-for="s in sessions"><th>{{ s.k }}</th><td class="num">{{ s.v }}</td></tr></table>
    <div class="row" v-if="can('clear-sessions')"><button class="danger" id="clear-sessions" v-if="!confirming" @click="confirming = true">Clear sessions</button>
      <template v-else><span>Clear every session on {{ r.name }}? Flows in progress start again.</span><button class="danger" id="clear-sessions-confirm" @click="clearSessions">Confirm: clear sessions</button><button id="clear-sessions-cancel" @click="confirming = false">Cancel</button></template>
      <span v-if="err" class="error action-error" ref="err">{{ err }}</span>
      <span v-if="cleared" class="muted" id="cleared" :data-state="cleared.state">command {{ cleared.id }}: {{ cleared.state }}<template v-if="cleared.cleared != null">, {{ cleared.cleared }} sessions cleared</template></span></div></div>
</div>
<p v-else class="muted">Loading router {{ name }}…</p>`
	});

	/* ----------------------------------------------------- commit or propose -- */

	/* The reviewed model's diff against the running version, then a commit or a proposal of
	 * exactly that model (sent as "model": the shared candidate may have been put by someone
	 * else since). */
	Vue.component('change-review', {
		mixins: [actionError],
		props: ['changes', 'model', 'defaultMessage'],
		data: function () {
			return { message: this.defaultMessage, ticket: '', applyAt: '', busy: false, serial: null, startMs: 0, proposal: null };
		},
		computed: {
			me: function () { return store.me; },
			canCommit: function () { return can('commit'); },
			canPropose: function () { return can('propose'); }
		},
		methods: {
			commit: function () {
				var self = this, t0 = Date.now();
				var req = api('POST', '/commit', { message: this.message, ticket: this.ticket || undefined, model: this.model });
				this.busy = true;
				this.err = '';
				req.then(function (d) {
					self.startMs = t0;
					self.serial = d.serial;
					self.$emit('done', d);
				}, this.fail).then(function () { self.busy = false; });
			},
			propose: function () {
				var self = this, body = { message: this.message, model: this.model };
				if (this.ticket) body.ticket = this.ticket;
				/* typed in UTC, as the timeline shows it */
				if (this.applyAt) body['apply-at'] = this.applyAt.slice(0, 16) + ':00Z';
				this.busy = true;
				this.err = '';
				api('POST', '/proposals', body).then(function (p) {
					self.proposal = p;
					self.$emit('done', p);
				}, this.fail).then(function () { self.busy = false; });
			}
		},
		template: `
<div class="card change-review">
  <h2>Changes against the running version</h2>
  <diff-list v-if="changes" :changes="changes"></diff-list>
  <div v-if="!serial && !proposal">
    <div class="row"><label for="message">message</label><input id="message" class="wide" v-model="message" maxlength="1023"></div>
    <div class="row"><label for="ticket">ticket</label><input id="ticket" v-model="ticket" maxlength="127" :placeholder="me.changeControl.requireTicket ? 'required' : 'optional'">
      <template v-if="me.changeControl.enabled"><label for="apply-at">apply at, UTC (optional)</label><input id="apply-at" type="datetime-local" v-model="applyAt"> <span class="muted">UTC</span></template></div>
    <div class="row">
      <button v-if="canCommit" id="commit" class="primary" :disabled="busy || !message" @click="commit">Commit</button>
      <button v-if="canPropose" id="propose" :class="{ primary: !canCommit }" :disabled="busy || !message" @click="propose">Propose{{ canCommit ? ' instead' : '' }}</button>
      <span v-if="me.changeControl.enabled" class="muted">Change control is on: an approver (not you) approves the proposal.</span>
    </div>
    <p v-if="err" class="error action-error" ref="err">{{ err }}</p>
  </div>
  <p v-if="proposal" class="notice proposed" :data-proposal="proposal.id">Proposal {{ proposal.id }} is {{ proposal.state }}; an approver decides on the <a href="#/proposals">Proposals</a> page.</p>
  <ack-watch v-if="serial" :serial="serial" :start-ms="startMs"></ack-watch>
</div>`
	});

	/* ------------------------------------------------------------- services -- */

	function ruleText(r) {
		var s = r.source || {};
		return [s.tenant, s.prefix].filter(Boolean).join(' from ') || '?';
	}

	/* The page starts from the running model (its baseline), whatever the shared candidate
	 * holds; a candidate that differs from it is announced, with who put it, and can be
	 * discarded. Review puts the page's model as the candidate and keeps a copy: that copy,
	 * not the candidate as it is later, is what Commit or Propose sends. */
	Vue.component('page-services', {
		mixins: [actionError],
		data: function () {
			return { cand: null, reviewed: null, put: false, pending: null, edits: [], changes: null, newRule: {}, busy: false, reviewKey: 0 };
		},
		created: function () { this.load(); },
		computed: {
			auth: function () { return this.cand ? this.cand.authority : {}; },
			tenants: function () { return (this.auth.tenants || []).map(function (t) { return t.name; }); },
			canEdit: function () { return can('edit'); },
			message: function () { return 'UI: ' + this.edits.join('; ').slice(0, 1000); }
		},
		methods: {
			load: function () {
				var self = this;
				this.changes = null;
				this.reviewed = null;
				this.put = false;
				this.edits = [];
				this.err = '';
				return api('GET', '/model').then(function (d) {
					var m = d.model;
					var drafts = {};
					(m.authority.services || []).forEach(function (svc) {
						drafts[svc.name] = { tenant: '', permission: 'allow' };
					});
					self.newRule = drafts;
					self.running = copy(m);
					self.cand = m;
					return Promise.all([api('GET', '/candidate'), api('GET', '/candidate/info')]);
				}).then(function (r) {
					self.pending = canon(r[0]) === canon(self.running) ? null : r[1];
				}, this.fail);
			},
			/* The shared candidate back to the running model (someone's changes not committed). */
			discardCandidate: function () {
				var self = this;
				this.busy = true;
				return api('PUT', '/candidate', this.running).then(function () {
					self.pending = null;
				}, this.fail).then(function () { self.busy = false; });
			},
			/* The page back to the running model; the candidate too once this page put it. */
			discard: function () {
				var self = this;
				return (this.put ? this.discardCandidate() : Promise.resolve()).then(function () { return self.load(); });
			},
			edited: function (what) {
				this.edits.push(what);
				this.changes = null;
			},
			toggle: function (svc, rule) {
				var was = rule.permission;
				rule.permission = was === 'allow' ? 'deny' : 'allow';
				this.edited(svc.name + ': ' + ruleText(rule) + ' ' + was + ' → ' + rule.permission);
			},
			setWindow: function (svc, rule, key, ev) {
				var v = ev.target.value.trim();
				if (v) this.$set(rule, key, v);
				else this.$delete(rule, key);
				this.edited(svc.name + ': ' + ruleText(rule) + ' ' + key + ' ' + (v || 'none'));
			},
			remove: function (svc, i) {
				var r = svc.access.splice(i, 1)[0];
				this.edited(svc.name + ': removed ' + ruleText(r));
			},
			add: function (svc) {
				var n = this.newRule[svc.name] || {};
				if (!n.tenant) return;
				if (!svc.access) this.$set(svc, 'access', []);
				svc.access.push({ source: { tenant: n.tenant }, permission: n.permission || 'allow' });
				this.edited(svc.name + ': added ' + n.tenant + ' ' + (n.permission || 'allow'));
			},
			draft: function (svc) {
				return this.newRule[svc.name] || {};
			},
			/* A policy's vectors as routers rank them: by cost (ties keep the model's order). */
			ranked: function (pol) {
				return (pol.vectors || []).map(function (v, i) { return { v: v, i: i }; }).sort(function (x, y) {
					return (x.v.cost || 0) - (y.v.cost || 0) || x.i - y.i;
				}).map(function (x) { return x.v; });
			},
			tie: function (pol, v) {
				return (pol.vectors || []).filter(function (o) { return o !== v && (o.cost || 0) === (v.cost || 0); }).map(function (o) { return o.vector; });
			},
			/* One place up or down the ranking: the two vectors trade costs; equal costs are
			 * made distinct (the lower one and those after it go up as needed), so the order
			 * shown is the routers' ranking. */
			move: function (pol, i, d) {
				var r = this.ranked(pol), j = i + d;
				if (j < 0 || j >= r.length) return;
				var a = r[i], b = r[j], ca = a.cost || 0, cb = b.cost || 0;
				if (ca !== cb) {
					a.cost = cb;
					b.cost = ca;
				} else {
					var lo = Math.min(i, j), order = r.slice();
					order[i] = b;
					order[j] = a;
					for (var k = lo + 1; k < order.length; k++)
						if ((order[k].cost || 0) <= (order[k - 1].cost || 0)) order[k].cost = (order[k - 1].cost || 0) + 1;
				}
				this.edited('policy ' + pol.name + ': ' + a.vector + (d < 0 ? ' up' : ' down'));
			},
			review: function () {
				var self = this, model = copy(this.cand);
				this.busy = true;
				this.err = '';
				api('PUT', '/candidate', model).then(function () {
					self.put = true;
					self.pending = null;
					return api('GET', '/diff?from=running&to=candidate');
				}).then(function (d) {
					self.reviewed = model;
					self.changes = d.changes;
					self.reviewKey++;
				}, this.fail).then(function () { self.busy = false; });
			},
			done: function () {
				this.edits = [];
				this.put = false;
			}
		},
		template: `
<div>
  <h1>Services and tenants</h1>
  <p class="muted" v-if="!canEdit">Read only: your role cannot edit the model.</p>
  <p class="muted">The running model{{ canEdit ? ', to edit' : '' }}.</p>
  <div class="notice pending" id="pending" v-if="pending">The candidate holds changes not committed<template v-if="pending.put"> (by {{ pending.author }} at {{ pending['at-ms'] | time }})</template>; this page shows the running model, and Review replaces them.
    <button v-if="canEdit" id="discard-candidate" :disabled="busy" @click="discardCandidate">Discard them</button></div>
  <p v-if="err && !changes" class="error action-error" ref="err">{{ err }}</p>
  <div v-if="cand">
    <div class="card"><b>Tenants:</b> <span v-for="t in tenants" class="mono">{{ t }} </span></div>
    <div class="card service" v-for="svc in auth.services || []" :key="svc.name" :data-service="svc.name">
      <h2>{{ svc.name }} <span class="muted mono">{{ (svc.addresses || []).join(', ') }}</span></h2>
      <table>
        <tr><th>source</th><th>permission</th><th>valid from</th><th>valid until</th><th></th></tr>
        <tr v-for="(rule, i) in svc.access || []" :data-rule="i">
          <td class="mono">{{ rule.source.tenant ? 'tenant ' + rule.source.tenant : '' }} {{ rule.source.prefix ? 'prefix ' + rule.source.prefix : '' }}</td>
          <td><button v-if="canEdit" class="perm" :class="rule.permission" @click="toggle(svc, rule)" :title="'click for ' + (rule.permission === 'allow' ? 'deny' : 'allow')">{{ rule.permission }}</button>
            <state-badge v-else :state="rule.permission === 'allow' ? 'ok' : 'bad'" :text="rule.permission"></state-badge></td>
          <td><input v-if="canEdit" class="mono" :value="rule['valid-from']" placeholder="always" @change="setWindow(svc, rule, 'valid-from', $event)"><span v-else>{{ rule['valid-from'] || 'always' }}</span></td>
          <td><input v-if="canEdit" class="mono" :value="rule['valid-until']" placeholder="forever" @change="setWindow(svc, rule, 'valid-until', $event)"><span v-else>{{ rule['valid-until'] || 'forever' }}</span></td>
          <td><button v-if="canEdit" class="remove" @click="remove(svc, i)">Remove</button></td>
        </tr>
      </table>
      <div class="row" v-if="canEdit">
        <label>new rule: tenant</label><select v-model="draft(svc).tenant"><option value="">—</option><option v-for="t in tenants" :value="t">{{ t }}</option></select>
        <select v-model="draft(svc).permission"><option>allow</option><option>deny</option></select>
        <button class="add" @click="add(svc)" :disabled="!draft(svc).tenant">Add rule</button>
      </div>
      <p class="muted" v-if="svc.policy">policy {{ svc.policy }}</p>
    </div>
    <h2 v-if="(auth['service-policies'] || []).length">Service policies: vector order</h2>
    <div class="card policy" v-for="pol in auth['service-policies'] || []" :key="pol.name" :data-policy="pol.name">
      <b>{{ pol.name }}</b>
      <span class="muted">ranked by cost, lowest first</span>
      <table><tr><th>#</th><th>vector</th><th>cost</th><th></th></tr>
        <tr v-for="(v, i) in ranked(pol)" :key="v.vector" :data-vector="v.vector"><td>{{ i + 1 }}</td><td>{{ v.vector }}<span v-if="tie(pol, v).length" class="muted tie"> (same cost as {{ tie(pol, v).join(', ') }}: a tie)</span></td><td class="num">{{ v.cost }}</td>
          <td><template v-if="canEdit"><button class="up" @click="move(pol, i, -1)" :disabled="i === 0">↑</button> <button class="down" @click="move(pol, i, 1)" :disabled="i === pol.vectors.length - 1">↓</button></template></td></tr>
      </table>
    </div>
    <div class="row" v-if="canEdit">
      <button id="review" class="primary" :disabled="busy || !edits.length" @click="review">Review changes</button>
      <button id="discard" :disabled="busy || !edits.length" @click="discard">Discard</button>
      <span class="muted">{{ edits.length }} edit(s)</span>
    </div>
    <p v-if="err && changes" class="error action-error" ref="err">{{ err }}</p>
    <change-review v-if="changes" :key="reviewKey" :changes="changes" :model="reviewed" :default-message="message" @done="done"></change-review>
  </div>
</div>`
	});

	/* ------------------------------------------------------------ proposals -- */

	Vue.component('page-proposals', {
		mixins: [polling, actionError],
		data: function () { return { list: [], open: null, detail: null, comment: '', acks: {}, busy: false }; },
		created: function () { this.poll(this.refresh, 2000); },
		computed: { me: function () { return store.me; } },
		methods: {
			refresh: function () {
				var self = this;
				return api('GET', '/proposals?limit=50').then(function (d) { self.list = d.proposals; });
			},
			show: function (p) {
				var self = this;
				this.open = p.id;
				this.detail = null;
				api('GET', '/proposals/' + p.id).then(function (d) { self.detail = d; }, this.fail);
			},
			mayDecide: function (p) {
				return can('approve') && p.state === 'proposed' && p.proposer !== this.me.name;
			},
			mayWithdraw: function (p) {
				return (p.state === 'proposed' || p.state === 'approved') && (p.proposer === this.me.name || this.me.role === 'admin');
			},
			act: function (p, what) {
				var self = this, t0 = Date.now(), body = {};
				if (what !== 'withdraw' && this.comment) body.comment = this.comment;
				this.busy = true;
				this.err = '';
				api('POST', '/proposals/' + p.id + '/' + what, body).then(function (d) {
					if (what === 'approve' && d.serial) self.$set(self.acks, p.id, { serial: d.serial, t0: t0 });
					return self.refresh();
				}, function (e) {
					self.fail(new Error(what + ' proposal ' + p.id + ': ' + e.message));
				}).then(function () { self.busy = false; });
			}
		},
		template: `
<div>
  <h1>Proposals</h1>
  <p class="muted" v-if="!me.changeControl.enabled">Change control is off: planners may also commit directly.</p>
  <div class="card">
    <p v-if="!list.length" class="muted">No proposals.</p>
    <table v-else>
      <tr><th>#</th><th>state</th><th>kind</th><th>proposer</th><th>message</th><th>ticket</th><th>apply at</th><th>decided by</th><th>version</th><th></th></tr>
      <tr v-for="p in list" :key="p.id" :data-proposal="p.id" :data-state="p.state" :class="{ selected: open === p.id }">
        <td>{{ p.id }}</td><td>{{ p.state }}</td><td>{{ p.kind }}{{ p.kind === 'rollback' ? ' to ' + p['source-version'] : '' }}</td>
        <td>{{ p.proposer }}</td><td>{{ p.message }}</td><td>{{ p.ticket || '—' }}</td><td>{{ p['apply-at-ms'] | time }}</td>
        <td>{{ p['decided-by'] || p.approver || '—' }}<span v-if="p['decided-by'] && p.state !== 'approved' && p.state !== 'committed'" class="muted"> ({{ p.state }})</span></td><td>{{ p.version || '—' }}<span v-if="p.error" class="muted"> {{ p.error }}</span></td>
        <td><button class="show" @click="show(p)">Changes</button>
          <template v-if="mayDecide(p)"><button class="approve primary" :disabled="busy" @click="act(p, 'approve')">Approve</button>
            <button class="reject danger" :disabled="busy" @click="act(p, 'reject')">Reject</button></template>
          <button v-if="mayWithdraw(p)" class="withdraw" :disabled="busy" @click="act(p, 'withdraw')">Withdraw</button></td>
      </tr>
    </table>
    <p v-if="err" class="error action-error" ref="err">{{ err }}</p>
    <div class="row" v-if="canApprove"><label for="comment">comment for an approval or rejection</label><input id="comment" v-model="comment"></div>
  </div>
  <ack-watch v-for="(a, id) in acks" :key="id" :serial="a.serial" :start-ms="a.t0"></ack-watch>
  <div class="card" v-if="detail"><h2>Proposal {{ detail.id }}: changes against the running version</h2><diff-list :changes="detail.changes || []"></diff-list></div>
</div>`
	});

	/* -------------------------------------------------------------- history -- */

	/* The versions, a version's diff against the one before, and rollback: the changes from
	 * the running version to the target shown first, then Confirm commits it (change control
	 * off) or proposes it (an approver then approves it). */
	Vue.component('page-history', {
		mixins: [actionError],
		data: function () {
			return { commits: [], running: null, sel: null, changes: null, next: null, ticket: '', busy: false, done: null, confirm: null };
		},
		created: function () { this.load(); },
		computed: {
			canRollback: function () { return can('propose'); },
			me: function () { return store.me; }
		},
		methods: {
			load: function (before) {
				var self = this;
				var q = '/history?limit=50' + (before ? '&before=' + before : '');
				return api('GET', q).then(function (d) {
					self.commits = before ? self.commits.concat(d.commits) : d.commits;
					self.next = d.next;
					if (!before && d.commits.length) self.running = d.commits[0].version;
				}, this.fail);
			},
			pick: function (c) {
				var self = this;
				this.sel = c;
				this.changes = null;
				if (c.version === 1) { this.changes = []; return; }
				api('GET', '/diff?from=' + (c.version - 1) + '&to=' + c.version).then(function (d) { self.changes = d.changes; }, this.fail);
			},
			/* First step: what the rollback would change, from the running version. */
			ask: function (c) {
				var self = this;
				this.err = '';
				this.done = null;
				api('GET', '/diff?from=running&to=' + c.version).then(function (d) {
					self.confirm = { c: c, changes: d.changes };
				}, this.fail);
			},
			rollback: function (c) {
				var self = this, t0 = Date.now(), v = c.version, message = 'roll back to version ' + v;
				var body = this.me.changeControl.enabled ? { message: message, 'rollback-to': v } : { version: v, message: message };
				if (this.ticket) body.ticket = this.ticket;
				this.busy = true;
				this.done = null;
				this.err = '';
				api('POST', this.me.changeControl.enabled ? '/proposals' : '/rollback', body).then(function (d) {
					self.confirm = null;
					self.done = self.me.changeControl.enabled ? { to: v, proposal: d } : { to: v, version: d.version, serial: d.serial, t0: t0 };
					return self.load();
				}, this.fail).then(function () { self.busy = false; });
			}
		},
		template: `
<div>
  <h1>History</h1>
  <div class="row" v-if="canRollback"><label for="ticket">ticket for a rollback</label>
    <input id="ticket" v-model="ticket" maxlength="127" :placeholder="me.changeControl.requireTicket ? 'required' : 'optional'">
    <span class="muted">{{ me.changeControl.enabled ? 'A rollback is proposed, for an approver to approve.' : 'A rollback is committed at once.' }}</span></div>
  <div class="card">
    <table>
      <tr><th>version</th><th>at</th><th>author</th><th>approver</th><th>kind</th><th>message</th><th>ticket</th><th></th></tr>
      <tr v-for="c in commits" :key="c.version" :data-version="c.version" :class="{ selected: sel && sel.version === c.version }">
        <td>{{ c.version }}<span v-if="c.version === running" class="badge ok">running</span></td><td>{{ c['at-ms'] | time }}</td>
        <td>{{ c.author }}</td><td>{{ c.approver || '—' }}</td><td>{{ c.kind }}{{ c['source-version'] ? ' of ' + c['source-version'] : '' }}</td>
        <td>{{ c.message }}</td><td>{{ c.ticket || '—' }}</td>
        <td><button class="diff" @click="pick(c)">Diff</button>
          <button v-if="canRollback && c.version !== running" class="rollback" :disabled="busy" @click="ask(c)">Roll back to this version</button></td>
      </tr>
    </table>
    <div class="row" v-if="next"><button @click="load(next)">Older</button></div>
  </div>
  <div class="card rollback-confirm" v-if="confirm" :data-version="confirm.c.version">
    <h2>Roll back to version {{ confirm.c.version }}: the changes from the running version {{ running }}</h2>
    <diff-list :changes="confirm.changes"></diff-list>
    <div class="row"><button id="rollback-confirm" class="danger" :disabled="busy" @click="rollback(confirm.c)">Confirm: {{ me.changeControl.enabled ? 'propose' : 'commit' }} the rollback</button>
      <button id="rollback-cancel" :disabled="busy" @click="confirm = null">Cancel</button></div>
  </div>
  <p v-if="err" class="error action-error" ref="err">{{ err }}</p>
  <p v-if="done && done.proposal" class="notice proposed" :data-proposal="done.proposal.id">Rollback to version {{ done.to }} proposed: proposal {{ done.proposal.id }}, for an approver on the <a href="#/proposals">Proposals</a> page.</p>
  <div v-if="done && done.serial"><p class="notice">Rolled back to version {{ done.to }}: version {{ done.version }}.</p>
    <ack-watch :key="done.serial" :serial="done.serial" :start-ms="done.t0"></ack-watch></div>
  <div class="card" v-if="sel && changes"><h2>Version {{ sel.version }} against version {{ sel.version - 1 }}</h2><diff-list :changes="changes"></diff-list></div>
</div>`
	});

	/* ---------------------------------------------------------------- audit -- */

	Vue.component('page-audit', {
		mixins: [actionError],
		data: function () { return { entries: [], next: null, who: '', unknown: false }; },
		created: function () { this.load(); },
		methods: {
			load: function (before) {
				var self = this, q = '/audit?limit=100';
				if (before) q += '&before=' + before;
				/* who= (empty): the refused attempts of tokens that are no operator's */
				if (this.unknown) q += '&who=';
				else if (this.who) q += '&who=' + encodeURIComponent(this.who);
				this.err = '';
				return api('GET', q).then(function (d) {
					self.entries = before ? self.entries.concat(d.entries) : d.entries;
					self.next = d.next;
				}, this.fail);
			}
		},
		template: `
<div>
  <h1>Audit log</h1>
  <div class="row"><label for="who">operator</label><input id="who" v-model="who" placeholder="everyone" :disabled="unknown" @change="load()">
    <label><input type="checkbox" id="who-unknown" v-model="unknown" @change="load()"> only refused attempts of unknown tokens</label><button @click="load()">Refresh</button></div>
  <p v-if="err" class="error action-error" ref="err">{{ err }}</p>
  <div class="card">
    <table>
      <tr><th>#</th><th>at</th><th>who</th><th>role</th><th>from</th><th>request</th><th>status</th><th>action</th><th>detail</th></tr>
      <tr v-for="e in entries" :key="e.id"><td>{{ e.id }}</td><td>{{ e['at-ms'] | time }}</td><td>{{ e.who || '(unknown token)' }}</td><td>{{ e.role }}</td>
        <td class="mono">{{ e.from }}</td><td class="mono">{{ e.method }} {{ e.path }}</td>
        <td><state-badge :state="e.status < 300 ? 'ok' : e.status < 500 ? 'warn' : 'bad'" :text="e.status"></state-badge></td><td>{{ e.action }}</td><td>{{ e.detail }}</td></tr>
    </table>
    <div class="row" v-if="next"><button @click="load(next)">Older</button></div>
  </div>
</div>`
	});

	/* ------------------------------------------------------------ enrolment -- */

	/* A new router: added to the inventory, then its enrolment token. A name already in the
	 * inventory is not re-enrolled silently: its state is shown and a new token for it takes an
	 * explicit confirmation (its asset id is left as it was). */
	Vue.component('page-enrol', {
		mixins: [actionError],
		data: function () { return { name: '', asset: '', result: null, ca: null, url: location.origin, busy: false, existing: null }; },
		created: function () {
			var self = this;
			api('GET', '/ca').then(function (d) { self.ca = d.sha256; }, this.fail);
			/* the URL routers are given in the model, else the one this page came from */
			api('GET', '/model').then(function (d) {
				var u = d.model && d.model.authority && d.model.authority.conductor && d.model.authority.conductor.url;
				if (u) self.url = u;
			}, function () {});
		},
		computed: {
			file: function () {
				if (!this.result) return '';
				return JSON.stringify({ urls: [this.url], router: this.result.router,
					'enrolment-token': this.result.token, 'ca-sha256': this.ca }, null, 2);
			}
		},
		methods: {
			enrol: function () {
				var self = this, name = this.name.trim(), body = { name: name };
				if (this.asset) body['asset-id'] = this.asset;
				this.busy = true;
				this.err = '';
				this.result = null;
				this.existing = null;
				api('POST', '/routers', body).then(function () {
					return self.token(name);
				}, function (e) {
					if (e.status !== 409) throw e;
					return api('GET', '/routers/' + encodeURIComponent(name)).then(function (r) {
						self.existing = { name: name, r: r, asset: self.asset };
					});
				}).catch(this.fail).then(function () { self.busy = false; });
			},
			token: function (name) {
				var self = this;
				return api('POST', '/routers/' + encodeURIComponent(name) + '/enrolment-token').then(function (t) {
					self.result = t;
				});
			},
			reissue: function () {
				var self = this;
				this.busy = true;
				this.err = '';
				this.token(this.existing.name).then(function () { self.existing = null; }, this.fail).then(function () { self.busy = false; });
			},
			select: function (ev) { ev.target.select(); }
		},
		template: `
<div>
  <h1>Enrol a router</h1>
  <div class="card">
    <div class="row"><label for="rname">router name (as in the model)</label><input id="rname" v-model="name" maxlength="32">
      <label for="asset">asset id</label><input id="asset" v-model="asset" maxlength="127"></div>
    <div class="row"><button id="enrol" class="primary" :disabled="busy || !name" @click="enrol">Add and create an enrolment token</button></div>
    <p v-if="err" class="error action-error" ref="err">{{ err }}</p>
  </div>
  <div class="card existing" v-if="existing" :data-router="existing.name">
    <p class="notice"><b>{{ existing.name }}</b> is in the inventory already: {{ existing.r['enrolled-ms'] ? 'enrolled ' + $options.filters.time(existing.r['enrolled-ms']) : 'not enrolled yet' }}, last seen {{ existing.r['last-seen-ms'] | time }}, asset id {{ existing.r['asset-id'] || '—' }}.
      <template v-if="existing.asset && existing.asset !== existing.r['asset-id']"> The asset id typed ({{ existing.asset }}) was not applied: it is not changed here.</template>
      Its other unused tokens stop working once it enrols with one; enrolling again gives it a new credential and voids the old one.</p>
    <div class="row"><button id="enrol-reissue" class="danger" :disabled="busy" @click="reissue">Issue a new token for existing router {{ existing.name }}</button>
      <button id="enrol-cancel" :disabled="busy" @click="existing = null">Cancel</button></div>
  </div>
  <div class="card" v-if="result">
    <p class="notice">The enrolment token for <b>{{ result.router }}</b>, valid until {{ result['expires-ms'] | time }}. <b>It is shown only now:</b> copy it (select, then Ctrl+C) before leaving this page.</p>
    <input class="token" readonly :value="result.token" @focus="select" id="enrol-token">
    <h2>The router's /etc/svrouter/conductor.json</h2>
    <textarea class="token" rows="8" readonly :value="file" @focus="select"></textarea>
    <p class="muted">Write it on the router as root:svrouter, mode 0640 (it holds the token): <code>install -m 0640 -g svrouter /dev/stdin /etc/svrouter/conductor.json</code>, paste, Ctrl+D. A router installed from the packages enrols within 5 s; otherwise start svr-control --conductor /etc/svrouter/conductor.json.</p>
  </div>
</div>`
	});

	/* ------------------------------------------------------------- timeline -- */

	/* Scheduled proposals (apply-at) and access rules' validity windows on one time axis. */
	Vue.component('page-timeline', {
		mixins: [polling],
		data: function () { return { model: null, proposals: [], now: Date.now() }; },
		created: function () {
			var self = this;
			api('GET', '/model').then(function (d) { self.model = d.model; }, showError);
			this.poll(function () {
				self.now = Date.now();
				return api('GET', '/proposals?limit=100').then(function (d) { self.proposals = d.proposals; }, function (e) {
					if (e.status !== 404) throw e;
				});
			}, 5000);
		},
		computed: {
			windows: function () {
				var out = [];
				var services = (this.model && this.model.authority.services) || [];
				services.forEach(function (s) {
					(s.access || []).forEach(function (r) {
						if (!r['valid-from'] && !r['valid-until']) return;
						out.push({ label: s.name + ': ' + ruleText(r) + ' ' + r.permission, permission: r.permission,
							from: r['valid-from'] ? Date.parse(r['valid-from']) : null,
							until: r['valid-until'] ? Date.parse(r['valid-until']) : null });
					});
				});
				return out;
			},
			scheduled: function () {
				return this.proposals.filter(function (p) {
					return p['apply-at-ms'] && (p.state === 'proposed' || p.state === 'approved');
				});
			},
			range: function () {
				var t = [this.now - 86400000, this.now + 7 * 86400000];
				this.windows.forEach(function (w) { if (w.from) t.push(w.from); if (w.until) t.push(w.until); });
				this.scheduled.forEach(function (p) { t.push(p['apply-at-ms']); });
				var lo = Math.min.apply(null, t), hi = Math.max.apply(null, t);
				return { lo: lo - (hi - lo) * 0.03, hi: hi + (hi - lo) * 0.03 };
			},
			height: function () { return 60 + 24 * (this.windows.length + this.scheduled.length); },
			ticks: function () {
				var out = [], r = this.range, step = (r.hi - r.lo) / 4;
				for (var i = 0; i <= 4; i++) out.push(r.lo + i * step);
				return out;
			}
		},
		methods: {
			x: function (t) { return 180 + (t - this.range.lo) / (this.range.hi - this.range.lo) * 600; },
			day: function (t) { return new Date(t).toISOString().slice(5, 16).replace('T', ' ') + 'Z'; }
		},
		template: `
<div>
  <h1>Timeline</h1>
  <p class="muted">Scheduled proposals (apply at) and the access rules' validity windows of the running version; the orange line is now. Times in UTC.</p>
  <svg class="timeline" :viewBox="'0 0 800 ' + height">
    <line class="axis" x1="180" :y1="height - 30" x2="780" :y2="height - 30"></line>
    <text v-for="t in ticks" :x="x(t)" :y="height - 14" text-anchor="middle">{{ day(t) }}</text>
    <line class="now" :x1="x(now)" y1="10" :x2="x(now)" :y2="height - 30"></line>
    <g v-for="(w, i) in windows"><text x="4" :y="30 + 24 * i">{{ w.label }}</text>
      <rect class="bar" :class="w.permission" :x="x(w.from || range.lo)" :y="18 + 24 * i" :width="Math.max(2, x(w.until || range.hi) - x(w.from || range.lo))" height="14"></rect></g>
    <g v-for="(p, i) in scheduled"><text x="4" :y="30 + 24 * (windows.length + i)">proposal {{ p.id }} ({{ p.state }})</text>
      <circle class="mark" :cx="x(p['apply-at-ms'])" :cy="25 + 24 * (windows.length + i)" r="6"></circle></g>
  </svg>
  <p v-if="!windows.length && !scheduled.length" class="muted">Nothing scheduled, and no access rule has a validity window.</p>
</div>`
	});

	/* ------------------------------------------------------------------ app -- */

	var PAGES = [
		{ page: 'map', title: 'Map' },
		{ page: 'services', title: 'Services' },
		{ page: 'proposals', title: 'Proposals' },
		{ page: 'history', title: 'History' },
		{ page: 'timeline', title: 'Timeline' },
		{ page: 'audit', title: 'Audit', need: 'audit' },
		{ page: 'enrol', title: 'Enrol', need: 'enrol' }
	];

	function parseHash() {
		var parts = (location.hash || '#/map').replace(/^#\/?/, '').split('/'), arg;
		try {
			arg = decodeURIComponent(parts[1] || '');
		} catch (e) { /* a malformed escape (%E0%A4%A): not a page of ours */
			store.route = { page: 'map', arg: '' };
			location.replace('#/map');
			return;
		}
		store.route = { page: parts[0] || 'map', arg: arg };
		store.error = '';
		store.errorFromPoll = false;
	}
	window.addEventListener('hashchange', parseHash);
	parseHash();

	Vue.mixin({ computed: { canApprove: function () { return can('approve'); } }, methods: { can: can } });

	new Vue({
		el: '#app',
		data: { s: store },
		computed: {
			pages: function () {
				return PAGES.filter(function (p) { return !p.need || can(p.need); });
			},
			view: function () {
				var p = this.s.route.page;
				if (p === 'router') return 'page-router';
				return this.pages.some(function (x) { return x.page === p; }) ? 'page-' + p : 'page-map';
			}
		},
		created: function () {
			if (store.token)
				whoami().then(function (me) { store.me = me; }, function (e) { logout(e.message); });
		},
		methods: {
			logout: function () { logout(''); }
		},
		template: `
<div>
  <header class="top">
    <span class="brand">svr-conductor</span>
    <nav v-if="s.me"><a v-for="p in pages" :key="p.page" :href="'#/' + p.page" :class="{ here: s.route.page === p.page }" :id="'nav-' + p.page">{{ p.title }}</a></nav>
    <span class="me" v-if="s.me">{{ s.me.name }} ({{ s.me.role }}){{ s.me.changeControl.enabled ? ' · change control on' : '' }}<button id="logout" @click="logout">Log out</button></span>
  </header>
  <main>
    <div class="error" v-if="s.error" id="error">{{ s.error }}</div>
    <page-login v-if="!s.me && !s.token"></page-login>
    <p v-else-if="!s.me" class="muted">Checking the token…</p>
    <component v-else :is="view" :key="s.route.page + '/' + s.route.arg" v-bind="view === 'page-router' ? { name: s.route.arg } : {}"></component>
  </main>
</div>`
	});
})();
