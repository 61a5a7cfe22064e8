-- The foundation of the desk: agents and how they sign in, customers and how to reach them,
-- cases and their messages, the append-only audit trail, and durable jobs.
-- Times are integer milliseconds since the Unix epoch so SQLite and PostgreSQL compare alike.
-- Never edit this file once applied: add a new migration instead.

create table agents (
    id integer primary key autoincrement,
    email text not null unique,
    name text not null,
    role text not null check (role in ('agent', 'supervisor', 'admin')),
    -- argon2id PHC string; null for an account that may not sign in with a password.
    password_hash text,
    authority_limit_minor bigint not null default 0 check (authority_limit_minor >= 0),
    -- Flags are 0/1 integers on both databases: one way to read them whatever the backend.
    active bigint not null default 1 check (active in (0, 1)),
    created_at bigint not null,
    updated_at bigint not null
);

-- Console sessions. Only a hash of the cookie is kept, so a copy of the database signs no one in.
create table sessions (
    id integer primary key autoincrement,
    token_hash text not null unique,
    csrf_token text not null,
    agent_id bigint not null references agents (id) on delete cascade,
    expires_at bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);

-- Integration tokens, hashed like sessions; revoking keeps the row for the audit trail.
create table api_tokens (
    id integer primary key autoincrement,
    token_hash text not null unique,
    agent_id bigint not null references agents (id) on delete cascade,
    label text not null,
    revoked_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);

create table customers (
    id integer primary key autoincrement,
    name text not null,
    revenue_to_date_minor bigint not null default 0,
    currency text not null default 'USD',
    plan text,
    billing_day bigint check (billing_day between 1 and 31),
    -- JSON array of invoice instants; read whole with the customer, never queried inside.
    invoice_dates text not null default '[]',
    notes text not null default '',
    created_at bigint not null,
    updated_at bigint not null
);
create index customers_by_name on customers (lower(name));

-- One row per address, unique across customers: an email or phone finds exactly one customer.
create table customer_contacts (
    id integer primary key autoincrement,
    customer_id bigint not null references customers (id) on delete cascade,
    kind text not null check (kind in ('email', 'phone', 'social')),
    value text not null,
    created_at bigint not null,
    updated_at bigint not null,
    unique (kind, value)
);
create index customer_contacts_by_customer on customer_contacts (customer_id);

create table cases (
    id integer primary key autoincrement,
    customer_id bigint not null references customers (id),
    channel text not null,
    subject text not null,
    status text not null,
    -- The rank of the priority (0 low .. 3 urgent) so the queue orders by it in SQL.
    priority bigint not null,
    owner_id bigint references agents (id),
    opened_at bigint not null,
    first_response_at bigint,
    resolved_at bigint,
    closed_at bigint,
    first_contact_resolution bigint check (first_contact_resolution in (0, 1)),
    reopen_count bigint not null default 0,
    replies_sent bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null
);
-- The queue reads open cases in this order; the partial index keeps it small as cases close.
create index cases_queue on cases (priority desc, opened_at, id)
    where status not in ('resolved', 'closed');
create index cases_by_customer on cases (customer_id, id);

create table messages (
    id integer primary key autoincrement,
    case_id bigint not null references cases (id),
    direction text not null check (direction in ('inbound', 'outbound', 'note')),
    channel text not null,
    author_id bigint references agents (id),
    body text not null,
    body_html text,
    external_id text,
    created_at bigint not null,
    updated_at bigint not null
);
create index messages_by_case on messages (case_id, id);
-- The same message fetched twice from its channel is stored once.
create unique index messages_by_external_id on messages (channel, external_id)
    where external_id is not null;

-- Who did what to which record, when, from where. Rows are never changed or removed; the
-- triggers below make that a rule of the database, not only of the code.
create table audit_events (
    id integer primary key autoincrement,
    actor_kind text not null,
    actor_agent_id bigint,
    remote_addr text,
    action text not null,
    record_kind text not null,
    record_id bigint not null,
    changes text not null default '[]',
    created_at bigint not null
);
create index audit_events_by_record on audit_events (record_kind, record_id, id);
create trigger audit_events_no_update before update on audit_events
begin
    select raise(abort, 'the audit trail is append-only');
end;
create trigger audit_events_no_delete before delete on audit_events
begin
    select raise(abort, 'the audit trail is append-only');
end;

-- Work that must happen later. A row is claimed by setting status 'running' and a lease;
-- a runner that dies leaves the lease to expire and another runner takes the job again.
create table jobs (
    id integer primary key autoincrement,
    kind text not null,
    payload text not null,
    status text not null check (status in ('pending', 'running', 'done', 'failed')),
    run_at bigint not null,
    attempts bigint not null default 0,
    max_attempts bigint not null,
    locked_until bigint,
    locked_by text,
    last_error text,
    created_at bigint not null,
    updated_at bigint not null
);
create index jobs_due on jobs (run_at) where status in ('pending', 'running');
