-- Canned replies (issue 21): named answers with variables, and what using one does to the
-- case. Tags to add are kept space-separated: tags hold no spaces (`Tag::parse`).
create table canned_replies (
    id bigint generated always as identity primary key,
    name text not null unique,
    body text not null,
    set_status text,
    add_tags text not null default '',
    take_case bigint not null default 0 check (take_case in (0, 1)),
    uses bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null
);
