-- Failed sign-ins per account and per address ("account:EMAIL", "address:IP"). They live in
-- the shared database, not in one server's memory, so a guesser is slowed alike by every
-- server of the desk.
create table sign_in_failures (
    key text primary key,
    failures bigint not null,
    last_failed_at bigint not null,
    blocked_until bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);

-- A session ends after a while without use (the idle timeout), not only at its expiry; 0 for
-- sessions made before this column, which count as used when they were made.
alter table sessions add column last_seen_at bigint not null default 0;

-- API tokens may expire, and carry a scope: full, read_only, or intake (mail and webhooks
-- only, for an MTA or a provider).
alter table api_tokens add column expires_at bigint;
alter table api_tokens add column scope text not null default 'full';
