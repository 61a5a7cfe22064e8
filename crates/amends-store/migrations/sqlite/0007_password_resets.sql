-- A forgotten password is reset through a single-use link mailed to the agent. Only the
-- link's digest is kept; using it, or its expiry, ends it.
create table password_resets (
    id integer primary key autoincrement,
    agent_id bigint not null references agents (id),
    token_hash text not null unique,
    expires_at bigint not null,
    used_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);

-- Mail to the team (a password reset link), beside the customers' notices, which belong to a
-- case. Sent by a durable job like them; `held` when no SMTP relay is configured.
create table staff_mails (
    id integer primary key autoincrement,
    agent_id bigint not null references agents (id),
    to_address text not null,
    subject text not null,
    body text not null,
    status text not null check (status in ('queued', 'sent', 'held')),
    mail text,
    created_at bigint not null,
    updated_at bigint not null
);
