-- Email: the notices outbox learns to send (Message-ID, what was sent, why it failed, and
-- 'held' for mail kept in the local outbox when no SMTP relay is configured); every mail
-- taken in is logged once (filed, ignored or quarantined whole); attachments of messages.

-- SQLite cannot change a check constraint in place: the table is rebuilt.
create table notices_next (
    id integer primary key autoincrement,
    case_id bigint not null references cases (id),
    customer_id bigint not null references customers (id),
    kind text not null,
    channel text not null,
    to_address text,
    subject text not null,
    body text not null,
    status text not null check (status in ('queued', 'sent', 'held', 'failed')),
    message_id text,
    mail text,
    last_error text,
    sent_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
insert into notices_next (id, case_id, customer_id, kind, channel, to_address, subject, body,
    status, created_at, updated_at)
    select id, case_id, customer_id, kind, channel, to_address, subject, body, status,
    created_at, updated_at from notices;
drop table notices;
alter table notices_next rename to notices;
create index notices_by_case on notices (case_id, id);
create index notices_queued on notices (id) where status = 'queued';
create unique index notices_by_message_id on notices (message_id) where message_id is not null;

create table inbound_mails (
    id integer primary key autoincrement,
    source text not null,
    digest text not null unique,
    message_id text,
    outcome text not null check (outcome in ('filed', 'ignored', 'quarantined')),
    reason text,
    from_address text,
    subject text,
    case_id bigint references cases (id),
    message_row_id bigint references messages (id),
    size bigint not null,
    raw blob,
    received_at bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index inbound_mails_by_outcome on inbound_mails (outcome, id);

create table attachments (
    id integer primary key autoincrement,
    message_id bigint not null references messages (id),
    name text,
    content_type text not null,
    size bigint not null,
    content blob,
    omitted text,
    created_at bigint not null,
    updated_at bigint not null
);
create index attachments_by_message on attachments (message_id, id);
