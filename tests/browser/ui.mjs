// SPDX-License-Identifier: BSD-3-Clause
//
// svr-conductor's web UI in Debian's Chromium, driven by playwright-core (tests/e2e/
// test_conductor_ui runs it in a lab of two routers and says what it proves), in two phases
// (node ui.mjs commit: change control off; node ui.mjs propose: on). Every step prints
// "PASS: ..." or "FAIL: ..." (the first failure ends the run, exit 1), and measurements as
// "name=value" lines; a screenshot of each step goes to UI_SHOTS.
//
// Environment (all required):
//   UI_URL                  the conductor, https://ADDR:PORT/
//   UI_SPKI                 base64 SHA-256 of the conductor certificate's public key: the only
//                           certificate this browser trusts without a CA (Chromium's
//                           --ignore-certificate-errors-spki-list, with a fresh profile)
//   UI_TOKEN_ADMIN, UI_TOKEN_PLANNER, UI_TOKEN_APPROVER, UI_TOKEN_AUDITOR
//   UI_CUT, UI_RESTORE      shell commands that cut and restore the path between the routers
//   UI_WEB                  a shell command that succeeds when the client reaches the service
//   UI_CUT_BUDGET_MS        how long the map may take to show the cut
//   UI_SHOTS                the screenshots' directory
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (k) => {
	if (!process.env[k]) {
		console.log(`FAIL: ${k} is not set`);
		process.exit(1);
	}
	return process.env[k];
};
const URL = env('UI_URL');
const SHOTS = env('UI_SHOTS');
const TICKET = 'CHG-4711';

let shotN = 0;
async function shot(page, name) {
	shotN++;
	const file = path.join(SHOTS, `${String(shotN).padStart(2, '0')}-${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	console.log(`  screenshot ${file}`);
}

let current = null; // the page a failure is shown from
const pageErrors = []; // uncaught errors in any tab: the step during which one happens fails
async function step(what, fn) {
	try {
		const before = pageErrors.length;
		const detail = await fn();
		if (pageErrors.length > before) throw new Error(`a page error: ${pageErrors[before]}`);
		console.log(`PASS: ${what}${detail ? ` (${detail})` : ''}`);
	} catch (e) {
		console.log(`FAIL: ${what}: ${e.message.split('\n')[0]}`);
		if (current) await shot(current, 'failed').catch(() => {});
		throw e;
	}
}

const sh = (cmd) => {
	try {
		execSync(cmd, { stdio: 'ignore', shell: '/bin/bash', timeout: 20000 });
		return true;
	} catch {
		return false;
	}
};
// Polls cond (sync or async) every 100 ms until it is true or ms pass; returns the time taken.
async function until(ms, cond, what) {
	const t0 = Date.now();
	for (;;) {
		if (await cond()) return Date.now() - t0;
		if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

async function login(page, token, who) {
	current = page;
	await page.bringToFront();
	await page.goto(URL);
	await page.fill('#token', token);
	await page.click('#login');
	await page.waitForSelector('#nav-map');
	const me = await page.textContent('header .me');
	if (!me.includes(`(${who})`)) throw new Error(`logged in as "${me.trim()}", not as a ${who}`);
}

// Each operator's tab comes to the front before it is used: Chromium throttles the animation
// frames of a tab in the background, and playwright waits for two of them before a click.
async function go(page, hash) {
	current = page;
	await page.bringToFront();
	await page.goto(URL + hash);
	await page.reload(); // a fresh component, whatever the hash was before
}

// Counts the click events the page itself sees (a listener in the capture phase), from now on.
const countClicks = (page) =>
	page.evaluate(() => {
		window.svrClicks = 0;
		document.addEventListener('click', () => window.svrClicks++, true);
	});
const clicksSeen = (page) => page.evaluate(() => window.svrClicks);

// The API from a tab, with a token: the parsed body, or an error naming the status.
const call = (page, token, method, p, body) =>
	page.evaluate(async ({ token, method, p, body }) => {
		const r = await fetch(`/api/v1${p}`, {
			method,
			headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await r.text();
		if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
		return text ? JSON.parse(text) : null;
	}, { token, method, p, body });
// JSON with sorted keys, to compare two models.
const canon = (v) => Array.isArray(v) ? `[${v.map(canon).join(',')}]`
	: v && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`
	: JSON.stringify(v);
const MAX_CLICKS = 5; // from the services page to a committed access-rule change
const MAX_CHANGE_TO_APPLIED_MS = 2000; // the approver's click until both routers acknowledge

// The planner changes web's first access rule through the services page from `from` to `to`,
// reviews the diff, and commits (change control off: returns {ms, clicks}, the ms from the
// commit click until the page shows every router's acknowledgement) or proposes (returns {id}).
// intrude(), when given, runs between the review and the commit (another operator's doing).
async function changeRule(page, from, to, how, intrude) {
	await go(page, '#/services');
	const rule = '[data-service="web"] [data-rule="0"]';
	await page.waitForSelector(`${rule} button.perm.${from}`);
	await countClicks(page);
	const click = (sel) => page.click(sel);
	await click(`${rule} button.perm`);
	await page.waitForSelector(`${rule} button.perm.${to}`);
	await click('#review');
	await page.waitForSelector('.change-review tr.op-changed');
	const diff = await page.textContent('.change-review table');
	if (!diff.includes('access[0].permission') || !diff.includes(`"${to}"`))
		throw new Error(`the diff does not show access[0].permission -> ${to}: ${diff}`);
	if (intrude) await intrude();
	if (how === 'commit') {
		await shot(page, `planner-diff-${from}-to-${to}`);
		const t0 = Date.now();
		await click('#commit');
		await page.waitForSelector('.ack-watch[data-done="1"]', { timeout: 15000 });
		const ms = Date.now() - t0;
		const clicks = await clicksSeen(page);
		await shot(page, `planner-committed-${to}`);
		return { ms, clicks };
	}
	// Without the ticket change control requires: the refusal is shown in the review box.
	await click('#propose');
	const refusal = await (await page.waitForSelector('.change-review .action-error')).textContent();
	if (!refusal.includes('ticket')) throw new Error(`the review box says "${refusal}", not that a ticket is required`);
	await page.fill('#ticket', TICKET);
	await shot(page, `planner-diff-${from}-to-${to}`);
	await click('#propose');
	const id = await (await page.waitForSelector('.proposed[data-proposal]')).getAttribute('data-proposal');
	await shot(page, `planner-proposed-${id}`);
	return { id };
}

// The approver approves proposal id; returns the ms from the click until the page shows every
// router's acknowledgement of the commit.
async function approve(page, id, name) {
	await go(page, '#/proposals');
	const btn = `tr[data-proposal="${id}"] button.approve`;
	await page.waitForSelector(btn, { timeout: 10000 });
	const t0 = Date.now();
	await page.click(btn);
	const t1 = Date.now();
	const done = await page.waitForSelector('.ack-watch[data-done="1"]', { timeout: 15000 });
	const t2 = Date.now();
	await page.waitForSelector(`tr[data-proposal="${id}"][data-state="committed"]`, { timeout: 5000 });
	const pageMs = await done.getAttribute('data-ms');
	console.log(`  the click took ${t1 - t0} ms, the acknowledgements ${t2 - t1} ms more (the page measured ${pageMs} ms)`);
	console.log(`ui_change_to_applied_page_ms=${pageMs}`);
	const ms = t2 - t0;
	await shot(page, `approver-${name}-acknowledged`);
	return ms;
}

// From the history page: rolls back to the newest version whose message says `says` (the
// services page's messages name the change): the changes shown, then confirmed, committed at
// once or proposed (the ticket typed first); returns the version and, when proposed, the
// proposal's id.
async function rollback(page, says, how) {
	await go(page, '#/history');
	await page.waitForSelector('tr[data-version]');
	const versions = await page.$$eval('tr[data-version]', (rows) =>
		rows.map((r) => ({ v: Number(r.dataset.version), text: r.textContent })));
	const target = versions.find((r) => r.text.includes(says));
	if (!target) throw new Error(`no version in the history says "${says}"`);
	const confirm = async () => {
		await page.click(`tr[data-version="${target.v}"] button.rollback`);
		await page.waitForSelector(`.rollback-confirm[data-version="${target.v}"] .diff`);
		if (await page.$('.ack-watch, .proposed')) throw new Error('rolled back before the confirmation');
		await shot(page, `history-confirm-${target.v}`);
		await page.click('#rollback-confirm');
	};
	if (how === 'commit') {
		await confirm();
		await page.waitForSelector('.ack-watch[data-done="1"]', { timeout: 15000 });
		await shot(page, `history-rolled-back-to-${target.v}`);
		return { v: target.v };
	}
	await page.fill('#ticket', TICKET);
	await confirm();
	const id = await (await page.waitForSelector('.proposed[data-proposal]')).getAttribute('data-proposal');
	await shot(page, `history-rollback-proposed-${id}`);
	return { v: target.v, id };
}

const webPasses = () => sh(env('UI_WEB'));

// Phase "commit" (change control off): the map, a cut path, the planner's commits and a
// rollback. Phase "propose" (change control on): proposals approved by the approver, a rollback
// proposed and approved, the auditor.
async function commitPhase(tabs) {
	const { admin, planner } = tabs;
	await step('log in with the admin token', async () => {
		current = admin;
		await admin.goto(URL);
		await admin.waitForSelector('#token');
		await shot(admin, 'login');
		await login(admin, env('UI_TOKEN_ADMIN'), 'admin');
	});
	await step('a malformed escape in the address (#/router/%E0%A4%A) shows the map, not a blank page', async () => {
		await go(admin, '#/router/%E0%A4%A');
		await admin.waitForSelector('svg.map');
		const hash = await admin.evaluate(() => location.hash);
		if (hash !== '#/map') throw new Error(`the address is ${hash}`);
	});
	const allGreen = async () =>
		(await admin.$$('g.node[data-state="ok"]')).length === 2 &&
		(await admin.$$('path.path[data-state="ok"]')).length >= 1 &&
		(await admin.$$('path.path:not([data-state="ok"])')).length === 0;
	await step('the map shows both routers and their path green', async () => {
		await go(admin, '#/map');
		await until(30000, allGreen, 'r1, r2 and their path green');
		await shot(admin, 'map-green');
	});
	await step('a cut path turns red on the map', async () => {
		if (!sh(env('UI_CUT'))) throw new Error('the cut command failed');
		const ms = await until(Number(env('UI_CUT_BUDGET_MS')), async () =>
			(await admin.$$('path.path[data-state="bad"]')).length > 0, 'a red path');
		console.log(`ui_path_cut_to_red_ms=${ms}`);
		await shot(admin, 'map-path-cut');
		return `${ms} ms`;
	});
	await step('the path is green again once restored', async () => {
		if (!sh(env('UI_RESTORE'))) throw new Error('the restore command failed');
		const ms = await until(30000, allGreen, 'everything green again');
		await shot(admin, 'map-restored');
		return `${ms} ms`;
	});
	await step('the planner logs in (a tab of its own)', () => login(planner, env('UI_TOKEN_PLANNER'), 'planner'));
	await step('the client reaches the service before the change', async () => {
		await until(10000, webPasses, 'web reachable');
	});
	const plan = env('UI_TOKEN_PLANNER'), adm = env('UI_TOKEN_ADMIN');
	await step('Discard after Review resets the page and the candidate to the running model', async () => {
		await go(planner, '#/services');
		const rule = '[data-service="web"] [data-rule="0"]';
		await planner.click(`${rule} button.perm.allow`);
		await planner.click('#review');
		await planner.waitForSelector('.change-review tr.op-changed');
		await planner.click('#discard');
		await planner.waitForSelector(`${rule} button.perm.allow`);
		if (await planner.$('.change-review')) throw new Error('the review is still shown');
		const cand = await call(planner, plan, 'GET', '/candidate');
		const running = (await call(planner, plan, 'GET', '/model')).model;
		if (canon(cand) !== canon(running)) throw new Error('the candidate still differs from the running model');
	});
	await step('the planner commits allow -> deny on the services page: what was reviewed, though another tab put a candidate meanwhile', async () => {
		// The admin's tab puts another candidate (an extra tenant) after the planner's review.
		const intrude = async () => {
			const m = await call(admin, adm, 'GET', '/model');
			m.model.authority.tenants.push({ name: 'intruder' });
			await call(admin, adm, 'PUT', '/candidate', m.model);
			current = planner;
			await planner.bringToFront();
		};
		const r = await changeRule(planner, 'allow', 'deny', 'commit', intrude);
		console.log(`ui_clicks_to_commit=${r.clicks}`);
		console.log(`ui_commit_to_applied_ms=${r.ms}`);
		if (r.clicks > MAX_CLICKS) throw new Error(`${r.clicks} clicks, more than ${MAX_CLICKS}`);
		const m = (await call(planner, plan, 'GET', '/model')).model;
		if (m.authority.tenants.some((t) => t.name === 'intruder')) throw new Error('the commit holds the other tab\'s candidate');
		if (m.authority.services[0].access[0].permission !== 'deny') throw new Error('the commit lacks the reviewed change');
		return `${r.clicks} clicks (at most ${MAX_CLICKS}); both routers acknowledged ${r.ms} ms after the click; the version committed is the one reviewed`;
	});
	await step('the services page announces the candidate left by the other tab, and discards it', async () => {
		await go(planner, '#/services');
		const text = await (await planner.waitForSelector('#pending')).textContent();
		if (!text.includes('by admin')) throw new Error(`the banner says "${text.trim()}"`);
		await shot(planner, 'planner-pending-candidate');
		await planner.click('#discard-candidate');
		await until(5000, async () => !(await planner.$('#pending')), 'the banner gone');
		const cand = await call(planner, plan, 'GET', '/candidate');
		if (cand.authority.tenants.some((t) => t.name === 'intruder')) throw new Error('the candidate still holds the other tab\'s change');
	});
	await step('the client is refused now', async () => `${await until(5000, () => !webPasses(), 'web refused')} ms`);
	await step('the planner commits deny -> allow', async () => {
		const r = await changeRule(planner, 'deny', 'allow', 'commit');
		return `${r.clicks} clicks; acknowledged after ${r.ms} ms`;
	});
	await step('the client passes again', async () => `${await until(5000, webPasses, 'web reachable')} ms`);
	await step('the planner moves a vector up in a policy and commits it', async () => {
		await go(planner, '#/services');
		const pol = '[data-policy="standard"]';
		await planner.click(`${pol} tr[data-vector="backup"] button.up`);
		const order = await planner.$$eval(`${pol} tr[data-vector]`, (rows) => rows.map((r) => r.dataset.vector).join(','));
		if (order !== 'backup,wan') throw new Error(`the order shown is ${order}`);
		await planner.click('#review');
		await planner.waitForSelector('.change-review tr.op-changed');
		const diff = await planner.textContent('.change-review table');
		if (!diff.includes('service-policies[0].vectors')) throw new Error(`the diff: ${diff}`);
		await shot(planner, 'planner-vector-order');
		await planner.click('#commit');
		await planner.waitForSelector('.ack-watch[data-done="1"]', { timeout: 15000 });
	});
	await step('a rollback from the history page to the version that denied', async () => {
		const r = await rollback(planner, 'allow → deny', 'commit');
		await until(5000, () => !webPasses(), 'web refused after the rollback');
		return `version ${r.v} again; the client is refused`;
	});
}

async function proposePhase(tabs) {
	const { admin, planner, approver, auditor } = tabs;
	await step('admin, planner, approver and auditor log in, each in a tab', async () => {
		await login(admin, env('UI_TOKEN_ADMIN'), 'admin');
		await login(planner, env('UI_TOKEN_PLANNER'), 'planner');
		await login(approver, env('UI_TOKEN_APPROVER'), 'approver');
		await login(auditor, env('UI_TOKEN_AUDITOR'), 'auditor');
	});
	const toggle = async (from, to, passes) => {
		let id;
		await step(`the planner proposes ${from} -> ${to}`, async () => {
			id = (await changeRule(planner, from, to, 'propose')).id;
			// For 2 s (longer than a router takes to apply a commit): still as it was.
			const t0 = Date.now();
			while (Date.now() - t0 < 2000) {
				if (webPasses() === passes) throw new Error('the proposal alone changed the network');
				await new Promise((r) => setTimeout(r, 200));
			}
			return `proposal ${id}; the network unchanged for 2 s`;
		});
		await step(`the approver approves proposal ${id}; the page shows both routers acknowledging`, async () => {
			const ms = await approve(approver, id, to);
			console.log(`ui_change_to_applied_ms=${ms}`);
			if (ms > MAX_CHANGE_TO_APPLIED_MS) throw new Error(`${ms} ms, more than ${MAX_CHANGE_TO_APPLIED_MS}`);
			return `${ms} ms from the click (at most ${MAX_CHANGE_TO_APPLIED_MS})`;
		});
		await step(passes ? 'the client passes' : 'the client is refused', async () =>
			`${await until(5000, () => webPasses() === passes, 'the new rule in force')} ms`);
	};
	await toggle('deny', 'allow', true);
	await toggle('allow', 'deny', false);
	await step('a rollback from the history page, proposed and approved', async () => {
		const r = await rollback(planner, 'deny → allow', 'propose');
		const ms = await approve(approver, r.id, 'rollback');
		await until(5000, webPasses, 'web reachable after the rollback');
		return `version ${r.v} again through proposal ${r.id}, acknowledged ${ms} ms after the approval; the client passes`;
	});
	await step('the auditor sees no edit control and the API refuses its PUT /candidate (403)', async () => {
		await go(auditor, '#/services');
		await auditor.waitForSelector('[data-service="web"] [data-rule="0"]');
		const controls = (await auditor.$$('button.perm, #review, button.remove, button.add')).length;
		if (controls) throw new Error(`${controls} edit controls shown to the auditor`);
		await go(auditor, '#/history');
		await auditor.waitForSelector('tr[data-version]');
		if ((await auditor.$$('button.rollback')).length) throw new Error('a rollback button shown to the auditor');
		await go(auditor, '#/services');
		await auditor.waitForSelector('[data-service="web"]');
		await shot(auditor, 'auditor-services');
		const status = await auditor.evaluate(async (token) => {
			const auth = { Authorization: `Bearer ${token}` };
			const m = await (await fetch('/api/v1/candidate', { headers: auth })).json();
			const r = await fetch('/api/v1/candidate', {
				method: 'PUT',
				headers: { ...auth, 'Content-Type': 'application/json' },
				body: JSON.stringify(m),
			});
			return r.status;
		}, env('UI_TOKEN_AUDITOR'));
		if (status !== 403) throw new Error(`PUT /candidate answered ${status}`);
	});
	await step('the auditor reads the audit log, which lists the approvals', async () => {
		await auditor.click('#nav-audit');
		await until(5000, async () => (await auditor.textContent('main')).includes('/approve'), 'an approval');
		await shot(auditor, 'auditor-audit');
	});
	await step('the audit page lists the refused attempts of unknown tokens alone', async () => {
		const status = await auditor.evaluate(async () =>
			(await fetch('/api/v1/model', { headers: { Authorization: 'Bearer not-a-token-of-anyone' } })).status);
		if (status !== 401) throw new Error(`a wrong token got ${status}`);
		await auditor.click('#who-unknown');
		await until(5000, async () => {
			const whos = await auditor.$$eval('main table tr td:nth-child(3)', (tds) => tds.map((t) => t.textContent));
			return whos.length > 0 && whos.every((w) => w === '(unknown token)');
		}, 'only unknown tokens listed');
		await shot(auditor, 'auditor-audit-unknown');
	});
	await step('the router page shows r1\'s paths and version; its sessions cleared from there', async () => {
		await go(admin, '#/router/r1');
		await admin.waitForSelector('tr[data-path-row]');
		await admin.click('#clear-sessions');
		await admin.waitForSelector('#clear-sessions-confirm');
		if (await admin.$('#cleared')) throw new Error('cleared before the confirmation');
		await admin.click('#clear-sessions-confirm');
		await admin.waitForSelector('#cleared[data-state="done"]', { timeout: 10000 });
		await shot(admin, 'router-r1');
	});
	await step('the timeline shows a proposal scheduled an hour ahead', async () => {
		// Proposed through the API with a ticket of its own (one open proposal per ticket), never
		// approved, withdrawn once seen: the network does not change.
		const id = await planner.evaluate(async ({ token }) => {
			const r = await fetch('/api/v1/proposals', {
				method: 'POST',
				headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
				body: JSON.stringify({ message: 'the mission window', ticket: 'CHG-4712',
					'apply-at': new Date(Date.now() + 3600000).toISOString().replace(/\.\d+Z$/, 'Z') }),
			});
			const j = await r.json();
			if (r.status !== 201) throw new Error(`POST /proposals: ${r.status} ${JSON.stringify(j)}`);
			return j.id;
		}, { token: env('UI_TOKEN_PLANNER') });
		await go(admin, '#/timeline');
		await admin.waitForSelector('svg.timeline circle.mark');
		const text = await admin.textContent('svg.timeline');
		if (!text.includes(`proposal ${id} (proposed)`)) throw new Error(`the timeline reads: ${text}`);
		await shot(admin, 'timeline');
		const status = await planner.evaluate(async ({ token, id }) => (await fetch(`/api/v1/proposals/${id}/withdraw`, {
			method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status, { token: env('UI_TOKEN_PLANNER'), id });
		if (status !== 200) throw new Error(`withdraw answered ${status}`);
		return `proposal ${id} on the axis, then withdrawn`;
	});
	await step('the admin enrols a new router: its token is shown once', async () => {
		await go(admin, '#/enrol');
		await admin.fill('#rname', 'r3');
		await admin.fill('#asset', 'CPE-0003');
		await admin.click('#enrol');
		const token = await (await admin.waitForSelector('#enrol-token')).inputValue();
		if (!/^[0-9a-f]{64}$/.test(token)) throw new Error(`the token shown is "${token}"`);
		await shot(admin, 'enrol-r3');
		await go(admin, '#/enrol');
		if (await admin.$('#enrol-token')) throw new Error('the token is shown again');
	});
	await step('enrolling r3 again shows r3 as it is and asks before a new token', async () => {
		await admin.fill('#rname', 'r3');
		await admin.fill('#asset', 'CPE-9999');
		await admin.click('#enrol');
		const text = await (await admin.waitForSelector('.existing[data-router="r3"]')).textContent();
		if (!text.includes('not enrolled yet') || !text.includes('CPE-0003') || !text.includes('CPE-9999) was not applied'))
			throw new Error(`it says "${text.trim()}"`);
		if (await admin.$('#enrol-token')) throw new Error('a token issued without the confirmation');
		await shot(admin, 'enrol-r3-again');
		await admin.click('#enrol-reissue');
		const token = await (await admin.waitForSelector('#enrol-token')).inputValue();
		if (!/^[0-9a-f]{64}$/.test(token)) throw new Error(`the token shown is "${token}"`);
		const file = JSON.parse(await admin.inputValue('textarea.token'));
		if (file.urls[0] !== URL.replace(/\/$/, '')) throw new Error(`the file's URL is ${file.urls[0]}`);
	});
	await step('the baseline: a change approved through the API alone, both routers acknowledging', async () => {
		// The same change as the page's (a version of the rule restored), without the pages: what
		// the conductor and the routers take, against which ui_change_to_applied_ms is read.
		const ms = await approver.evaluate(async ({ plan, appr, ticket }) => {
			const call = async (token, method, p, body) => {
				const r = await fetch(`/api/v1${p}`, {
					method,
					headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
					body: body && JSON.stringify(body),
				});
				const j = await r.json();
				if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(j)}`);
				return j;
			};
			const h = await call(plan, 'GET', '/history?limit=2');
			const p = await call(plan, 'POST', '/proposals',
				{ 'rollback-to': h.commits[1].version, message: 'the API baseline', ticket });
			const t0 = performance.now();
			const a = await call(appr, 'POST', `/proposals/${p.id}/approve`);
			for (;;) {
				const rs = (await call(appr, 'GET', '/routers')).routers.filter((r) => r.name !== 'r3');
				if (rs.length === 2 && rs.every((r) => (r['applied-serial'] || 0) >= a.serial))
					return Math.round(performance.now() - t0);
				if (performance.now() - t0 > 15000) throw new Error('both routers not at the serial within 15 s');
				await new Promise((res) => setTimeout(res, 100));
			}
		}, { plan: env('UI_TOKEN_PLANNER'), appr: env('UI_TOKEN_APPROVER'), ticket: TICKET });
		console.log(`api_change_to_applied_ms=${ms}`);
		return `${ms} ms`;
	});
	await step('the map, for the record', async () => {
		await go(admin, '#/map');
		await until(30000, async () => (await admin.$$('g.node[data-state="ok"]')).length === 2, 'both routers green');
		await shot(admin, 'map-final');
	});
}

async function main(phase) {
	fs.mkdirSync(SHOTS, { recursive: true });
	shotN = phase === 'commit' ? 0 : 50;
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'svr-ui-chromium-'));
	const browser = await chromium.launchPersistentContext(profile, {
		executablePath: '/usr/bin/chromium',
		headless: true,
		viewport: { width: 1280, height: 860 },
		args: [
			'--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			`--ignore-certificate-errors-spki-list=${env('UI_SPKI')}`,
		],
	});
	browser.setDefaultTimeout(20000);
	try {
		// Each tab has its own sessionStorage: one operator per tab.
		const tabs = { admin: browser.pages()[0] || (await browser.newPage()) };
		for (const who of ['planner', 'approver', 'auditor']) tabs[who] = await browser.newPage();
		for (const [who, page] of Object.entries(tabs)) {
			page.on('pageerror', (e) => {
				pageErrors.push(`[${who}] ${e.message}`);
				console.log(`  [${who}] page error: ${e.message}`);
			});
			page.on('console', (m) => m.type() === 'error' && console.log(`  [${who}] console: ${m.text()}`));
		}
		if (phase === 'commit') await commitPhase(tabs);
		else await proposePhase(tabs);
	} finally {
		await browser.close();
		fs.rmSync(profile, { recursive: true, force: true });
	}
}

const phase = process.argv[2];
if (phase !== 'commit' && phase !== 'propose') {
	console.log('FAIL: usage: node ui.mjs commit|propose');
	process.exit(1);
}
main(phase).then(() => process.exit(0), () => process.exit(1));
