-- The recovery protocol: what the engine read in each message, facts read back, what the
-- customer expects, promises, compensation, follow-up surveys, the abuse policy's steps,
-- notifications to staff and notices to customers.
-- Never edit this file once applied: add a new migration instead.

-- What the text engine read in a customer's message; the assessment is kept whole (JSON) so
-- the console can highlight its evidence.
alter table messages add column anger_permille bigint;
alter table messages add column abusive bigint not null default 0 check (abusive in (0, 1));
alter table messages add column churn_threat bigint not null default 0 check (churn_threat in (0, 1));
alter table messages add column assessment text;

-- The signals behind a case's place in the queue, kept up to date by the store.
alter table cases add column anger_permille bigint not null default 0;
alter table cases add column churn_threat bigint not null default 0 check (churn_threat in (0, 1));
alter table cases add column win_back text check (win_back in ('undecided', 'stayed', 'left'));
alter table cases add column abusive_messages bigint not null default 0;
alter table cases add column broken_promises bigint not null default 0;
alter table cases add column next_promise_due_at bigint;
alter table cases add column reopened_by_follow_up bigint not null default 0
    check (reopened_by_follow_up in (0, 1));
alter table cases add column expectation_kind text;
alter table cases add column expectation_words text;
alter table cases add column expectation_met bigint check (expectation_met in (0, 1));
alter table cases add column csat bigint check (csat between 1 and 5);
alter table cases add column urgency bigint not null default 0;
-- Cases opened before this migration are ranked by their priority alone.
update cases set urgency = priority * 100;
drop index cases_queue;
create index cases_queue on cases (urgency desc, opened_at, id)
    where status not in ('resolved', 'closed');

-- Whose supervisor is told when an agent's promise breaks.
alter table agents add column supervisor_id bigint references agents (id);

create table facts (
    id bigint generated always as identity primary key,
    case_id bigint not null references cases (id),
    text text not null,
    source text not null check (source in ('customer_said', 'agent_verified', 'system_record')),
    read_back bigint not null default 0 check (read_back in (0, 1)),
    confirmed bigint not null default 0 check (confirmed in (0, 1)),
    created_at bigint not null,
    updated_at bigint not null
);
create index facts_by_case on facts (case_id, id);

create table promises (
    id bigint generated always as identity primary key,
    case_id bigint not null references cases (id),
    kind text not null,
    description text not null,
    owner_id bigint not null references agents (id),
    due_at bigint not null,
    state text not null check (state in ('open', 'extended', 'kept', 'broken')),
    extensions bigint not null default 0,
    kept_at bigint,
    broken_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index promises_by_case on promises (case_id, id);
create index promises_live on promises (due_at) where state in ('open', 'extended');

create table compensation (
    id bigint generated always as identity primary key,
    case_id bigint not null references cases (id),
    customer_id bigint not null references customers (id),
    kind text not null check (kind in ('refund', 'discount', 'credit', 'gift')),
    amount_minor bigint not null check (amount_minor > 0),
    currency text not null,
    reason text not null,
    state text not null check (state in ('granted', 'awaiting_approval', 'refused')),
    granted_by bigint not null references agents (id),
    decided_by bigint references agents (id),
    decided_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index compensation_by_case on compensation (case_id, id);
create index compensation_by_customer on compensation (customer_id, id);
create index compensation_waiting on compensation (id) where state = 'awaiting_approval';

-- One survey per resolution: asked by the follow-up job, answered through a signed link.
create table surveys (
    id bigint generated always as identity primary key,
    case_id bigint not null references cases (id),
    resolved_at bigint not null,
    score bigint check (score between 1 and 5),
    solved bigint check (solved in (0, 1)),
    comment text,
    answered_at bigint,
    created_at bigint not null,
    updated_at bigint not null,
    unique (case_id, resolved_at)
);

create table abuse_steps (
    id bigint generated always as identity primary key,
    case_id bigint not null references cases (id),
    customer_id bigint not null references customers (id),
    step_index bigint not null,
    name text not null,
    agent_id bigint references agents (id),
    created_at bigint not null,
    updated_at bigint not null,
    unique (case_id, step_index)
);

-- Messages to staff: a promise coming due, a broken promise, a threat to leave, abuse.
create table notifications (
    id bigint generated always as identity primary key,
    agent_id bigint not null references agents (id),
    case_id bigint references cases (id),
    kind text not null,
    body text not null,
    read_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index notifications_by_agent on notifications (agent_id, id);

-- Notices to customers waiting to go out on their channel (the outbox); the mail issue
-- sends them, until then they are listed for the console.
create table notices (
    id bigint generated always as identity primary key,
    case_id bigint not null references cases (id),
    customer_id bigint not null references customers (id),
    kind text not null,
    channel text not null,
    to_address text,
    subject text not null,
    body text not null,
    status text not null check (status in ('queued', 'sent', 'failed')),
    created_at bigint not null,
    updated_at bigint not null
);
create index notices_by_case on notices (case_id, id);
create index notices_queued on notices (id) where status = 'queued';

-- Secrets shared by every server on the database, such as the key that signs customer links.
create table desk_secrets (
    name text primary key,
    value text not null,
    created_at bigint not null
);
