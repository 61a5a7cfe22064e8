-- Email: the notices outbox learns to send (Message-ID, what was sent, why it failed, and
-- 'held' for mail kept in the local outbox when no SMTP relay is configured); every mail
-- taken in is logged once (filed, ignored or quarantined whole); attachments of messages.

alter table notices drop constraint notices_status_check;
alter table notices add constraint notices_status_check
    check (status in ('queued', 'sent', 'held', 'failed'));
alter table notices add column message_id text;
alter table notices add column mail text;
alter table notices add column last_error text;
alter table notices add column sent_at bigint;
create unique index notices_by_message_id on notices (message_id) where message_id is not null;

create table inbound_mails (
    id bigint generated always as identity primary key,
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
    raw bytea,
    received_at bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index inbound_mails_by_outcome on inbound_mails (outcome, id);

create table attachments (
    id bigint generated always as identity primary key,
    message_id bigint not null references messages (id),
    name text,
    content_type text not null,
    size bigint not null,
    content bytea,
    omitted text,
    created_at bigint not null,
    updated_at bigint not null
);
create index attachments_by_message on attachments (message_id, id);
