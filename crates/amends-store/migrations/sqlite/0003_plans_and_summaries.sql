-- Action plans shared with the customer, and written summaries they confirm or correct.
-- Never edit this file once applied: add a new migration instead.

create table plan_steps (
    id integer primary key autoincrement,
    case_id bigint not null references cases (id),
    position bigint not null,
    description text not null,
    owner_id bigint not null references agents (id),
    due_at bigint not null,
    done_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index plan_steps_by_case on plan_steps (case_id, position);

-- The customer's answer to the current plan: accepted, rejected, then full_refund or
-- refund_declined; null until they answer (and again when the plan changes).
alter table cases add column plan_answer text
    check (plan_answer in ('accepted', 'rejected', 'full_refund', 'refund_declined'));

create table summaries (
    id integer primary key autoincrement,
    case_id bigint not null references cases (id),
    body text not null,
    sent_by bigint references agents (id),
    answer text check (answer in ('confirmed', 'wrong')),
    answer_comment text,
    answered_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index summaries_by_case on summaries (case_id, id);
