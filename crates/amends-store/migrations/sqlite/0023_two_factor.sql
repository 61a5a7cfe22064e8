-- Two-factor sign-in (issue 24). An agent's TOTP secret (RFC 6238) is kept as the desk must
-- compute codes from it; the pending one waits for its first code. `totp_last_step` is the
-- time step of the last code accepted, so a code is good once.
alter table agents add column totp_secret text;
alter table agents add column totp_pending_secret text;
alter table agents add column totp_last_step bigint not null default 0;

-- One-time recovery codes, kept as digests; a used one keeps its row with when.
create table recovery_codes (
    id integer primary key autoincrement,
    agent_id bigint not null references agents (id) on delete cascade,
    code_hash text not null,
    used_at bigint,
    created_at bigint not null
);
create index recovery_codes_by_agent on recovery_codes (agent_id);

-- A password checked, the second factor still to come: a short-lived challenge, by digest.
create table sign_in_challenges (
    id integer primary key autoincrement,
    token_hash text not null unique,
    agent_id bigint not null references agents (id) on delete cascade,
    attempts bigint not null default 0,
    expires_at bigint not null,
    created_at bigint not null
);

-- Settings of the whole desk an admin changes from the console or the API.
create table desk_settings (
    name text primary key,
    value text not null,
    updated_at bigint not null
);

-- Where a session was opened from, and where a token was last used from and when.
alter table sessions add column remote_addr text;
alter table sessions add column user_agent text;
-- A session opened by an agent the desk's rule requires a second factor of, who has none yet:
-- it may set one up and nothing else.
alter table sessions add column enrol_only bigint not null default 0;
alter table api_tokens add column last_used_at bigint;
alter table api_tokens add column last_used_from text;
