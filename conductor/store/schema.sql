-- SPDX-License-Identifier: BSD-3-Clause
-- The conductor's store (docs/conductor.md, "Store"). One text for SQLite and PostgreSQL: only
-- BIGINT and TEXT columns, times in Unix milliseconds, hashes and keys in hex. Created when
-- missing; meta 'schema-version' says which version of this file made the database.
-- Statements end with a semicolon at the end of a line (store.c splits them there).

CREATE TABLE IF NOT EXISTS meta (
	k TEXT PRIMARY KEY,
	v TEXT NOT NULL
);

-- The one row: seq is the change serial, running the running version (0: none yet).
CREATE TABLE IF NOT EXISTS head (
	id BIGINT PRIMARY KEY CHECK (id = 1),
	seq BIGINT NOT NULL,
	running BIGINT NOT NULL
);

-- Every version of the model: model is its canonical text (sorted keys, compact), sha256 its hash.
CREATE TABLE IF NOT EXISTS commits (
	version BIGINT PRIMARY KEY,
	at_ms BIGINT NOT NULL,
	author TEXT NOT NULL,
	message TEXT NOT NULL,
	ticket TEXT NOT NULL,
	kind TEXT NOT NULL,
	source_version BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	model TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS candidate (
	id BIGINT PRIMARY KEY CHECK (id = 1),
	model TEXT NOT NULL,
	author TEXT NOT NULL,
	at_ms BIGINT NOT NULL
);

-- The inventory; cred_sha256 is the SHA-256 of the router's credential, NULL until it enrols.
CREATE TABLE IF NOT EXISTS routers (
	name TEXT PRIMARY KEY,
	asset_id TEXT NOT NULL,
	cred_sha256 TEXT UNIQUE,
	enrolled_ms BIGINT NOT NULL,
	applied_version BIGINT NOT NULL,
	applied_serial BIGINT NOT NULL,
	last_seen_ms BIGINT NOT NULL,
	status TEXT
);

-- One-time enrolment tokens, by the SHA-256 of the token; used_ms 0 until used.
CREATE TABLE IF NOT EXISTS enrol_tokens (
	token_sha256 TEXT PRIMARY KEY,
	router TEXT NOT NULL REFERENCES routers (name) ON DELETE CASCADE,
	expires_ms BIGINT NOT NULL,
	used_ms BIGINT NOT NULL
);

-- The authority's inter-router keys (hex).
CREATE TABLE IF NOT EXISTS keys (
	security_id BIGINT PRIMARY KEY,
	hmac_key TEXT NOT NULL,
	encryption_key TEXT NOT NULL,
	not_before_ms BIGINT NOT NULL,
	created_ms BIGINT NOT NULL
);

-- The audit log (docs/conductor.md, "Audit log"): operators' changes and refused attempts.
-- id grows by one per entry: MAX(id) + 1, read after locking meta 'audit-lock' so that two
-- conductors never read the same MAX (a conflict with an older conductor's is retried); at_ms is
-- when the request ended; who and role are "" when the credential was unknown; status the HTTP
-- status.
CREATE TABLE IF NOT EXISTS audit (
	id BIGINT PRIMARY KEY,
	at_ms BIGINT NOT NULL,
	who TEXT NOT NULL,
	role TEXT NOT NULL,
	peer TEXT NOT NULL,
	method TEXT NOT NULL,
	path TEXT NOT NULL,
	status BIGINT NOT NULL,
	action TEXT NOT NULL,
	detail TEXT NOT NULL
);

-- GET /api/v1/audit?who=NAME reads one operator's entries newest first.
CREATE INDEX IF NOT EXISTS audit_who ON audit (who, id);

-- Commands relayed to a router (docs/conductor.md, "Router commands"): state 'pending' until the
-- router posts its result ('done' or 'failed') or 60 s pass ('failed'); sent_ms 0 until a sync
-- answer hands it out (once); args and result are JSON texts; done_ms 0 while pending. Ids come
-- from meta 'command-seq'. An ended command is deleted a day later, all of a router's with it.
CREATE TABLE IF NOT EXISTS router_commands (
	id BIGINT PRIMARY KEY,
	router TEXT NOT NULL REFERENCES routers (name) ON DELETE CASCADE,
	command TEXT NOT NULL,
	args TEXT NOT NULL,
	state TEXT NOT NULL,
	result TEXT,
	created_ms BIGINT NOT NULL,
	sent_ms BIGINT NOT NULL,
	done_ms BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS router_commands_state ON router_commands (state, router);
-- The daily purge of ended commands (state IN ('done', 'failed') AND done_ms < ...).
CREATE INDEX IF NOT EXISTS router_commands_ended ON router_commands (state, done_ms);

-- Change control (docs/conductor.md, "Change control"): each proposed change, its model fixed
-- when proposed (canonical text; a rollback's is the restored version's). state: proposed,
-- approved (waiting for apply_at_ms), committing (claimed by one conductor, inside the
-- transaction that commits it), committed, rejected, withdrawn, failed. base_version is the
-- running version when it was proposed; 0 / '' stand for none in apply_at_ms, approver,
-- decided_ms, version, serial and error.
CREATE TABLE IF NOT EXISTS proposals (
	id BIGINT PRIMARY KEY,
	state TEXT NOT NULL,
	kind TEXT NOT NULL,
	source_version BIGINT NOT NULL,
	proposer TEXT NOT NULL,
	message TEXT NOT NULL,
	ticket TEXT NOT NULL,
	created_ms BIGINT NOT NULL,
	base_version BIGINT NOT NULL,
	apply_at_ms BIGINT NOT NULL,
	approver TEXT NOT NULL,
	decided_ms BIGINT NOT NULL,
	comment TEXT NOT NULL,
	version BIGINT NOT NULL,
	serial BIGINT NOT NULL,
	error TEXT NOT NULL,
	model TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS proposals_state ON proposals (state, apply_at_ms);

INSERT INTO head (id, seq, running) VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING;
INSERT INTO meta (k, v) VALUES ('schema-version', '1') ON CONFLICT (k) DO NOTHING;
