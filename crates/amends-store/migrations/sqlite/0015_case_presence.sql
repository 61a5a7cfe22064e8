-- Who has a case open, and who is typing a reply to it (issue 21), so two agents do not answer
-- one customer twice. One row per case and agent, rewritten by the case page every few seconds;
-- in the database so every server of a PostgreSQL desk sees every agent.
create table case_presence (
    case_id bigint not null references cases (id),
    agent_id bigint not null references agents (id),
    typing bigint not null default 0 check (typing in (0, 1)),
    seen_at bigint not null,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (case_id, agent_id)
);
