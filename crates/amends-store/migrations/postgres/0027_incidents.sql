-- Incidents (issue 20): something broken for many customers at once, told to the affected
-- customers before they write in, updated until fixed, and the cases it brings linked to it.

create table incidents (
    id bigint generated always as identity primary key,
    title text not null,
    -- What is wrong, as customers are told it.
    summary text not null,
    -- Since when, as the supervisor says; epoch milliseconds.
    started_at bigint not null,
    status text not null check (status in ('open', 'resolved')),
    -- Words a customer's message about it would use, space separated and lowercased.
    key_words text not null default '',
    -- The promised time of the next update while open.
    next_update_at bigint,
    declared_by bigint references agents (id),
    declared_at bigint not null,
    first_notice_at bigint,
    resolved_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index incidents_open on incidents (status, id);

-- What the desk said about an incident, in order: the declaration, updates and the close.
create table incident_updates (
    id bigint generated always as identity primary key,
    incident_id bigint not null references incidents (id),
    kind text not null check (kind in ('declared', 'update', 'resolved', 'follow_up')),
    body text not null,
    next_update_at bigint,
    posted_by bigint references agents (id),
    posted_at bigint not null,
    -- When the update was sent to the affected customers; null until it is.
    sent_at bigint
);
create index incident_updates_by_incident on incident_updates (incident_id, id);

-- The customers an incident affects, and how each was chosen.
create table incident_customers (
    id bigint generated always as identity primary key,
    incident_id bigint not null references incidents (id),
    customer_id bigint not null references customers (id),
    source text not null check (source in ('attributes', 'import', 'cases')),
    added_at bigint not null,
    -- The follow-up survey's answer: 1 fixed for them, 0 not, null unanswered.
    fixed bigint,
    comment text,
    answered_at bigint,
    unique (incident_id, customer_id)
);
create index incident_customers_by_customer on incident_customers (customer_id, incident_id);

-- One update to one affected customer. The words are the update's, composed when sent.
create table incident_notices (
    id bigint generated always as identity primary key,
    incident_id bigint not null references incidents (id),
    update_id bigint not null references incident_updates (id),
    customer_id bigint not null references customers (id),
    status text not null check (status in ('queued', 'sent', 'held', 'failed', 'unreachable')),
    to_address text,
    message_id text,
    last_error text,
    sent_at bigint,
    created_at bigint not null,
    updated_at bigint not null,
    unique (update_id, customer_id)
);
create index incident_notices_by_incident on incident_notices (incident_id, status);

-- Cases linked to an incident, by the desk (with its reason) or by an agent.
create table case_incidents (
    case_id bigint not null references cases (id),
    incident_id bigint not null references incidents (id),
    reason text not null,
    linked_by bigint references agents (id),
    linked_at bigint not null,
    primary key (case_id, incident_id)
);
create index case_incidents_by_incident on case_incidents (incident_id, case_id);
