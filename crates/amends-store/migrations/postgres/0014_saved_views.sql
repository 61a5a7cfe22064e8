-- Saved views (issue 21): a filtered queue or a search an agent named, for themself or shared
-- with the team. `path` is the console address it opens ("/queue?flag=angry", "/search?q=…").
create table saved_views (
    id bigint generated always as identity primary key,
    agent_id bigint not null references agents (id),
    name text not null,
    path text not null,
    shared bigint not null default 0 check (shared in (0, 1)),
    created_at bigint not null,
    updated_at bigint not null,
    unique (agent_id, name)
);
