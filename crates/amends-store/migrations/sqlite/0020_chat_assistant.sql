-- The chat's assistant (issue 18): where it stands in each chat it spoke in (null: it never
-- did), what it collected, and the one hand-off to a person each such chat ends in, with its
-- reason, for the figures (how many it closed, how many it handed over and why).
alter table chats add column bot_stage text;
alter table chats add column bot_order text;
alter table chats add column bot_email text;

create table bot_handoffs (
    id integer primary key autoincrement,
    chat_id bigint not null unique references chats (id),
    case_id bigint not null references cases (id),
    reason text not null,
    at bigint not null
);

create index bot_handoffs_at on bot_handoffs (at);
