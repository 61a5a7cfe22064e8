-- Merging duplicate cases (issue 21). A merged case stays, closed, pointing at the case it was
-- merged into, so links, subject references ("[Case #12]") and its own audit trail still lead
-- somewhere. Each merge keeps what it moved (ids per table, as JSON lists) and the merged
-- case's status before, so it can be undone exactly while nothing new has happened.
alter table cases add column merged_into bigint references cases (id);

create table case_merges (
    id bigint generated always as identity primary key,
    survivor_id bigint not null references cases (id),
    merged_id bigint not null references cases (id),
    merged_status text not null,
    moved text not null,
    tags_added text not null default '',
    -- The survivor's signals before the merge folded the duplicate's in, restored by an undo.
    survivor_anger_permille bigint not null,
    survivor_churn_threat bigint not null,
    survivor_abusive_messages bigint not null,
    survivor_replies_sent bigint not null,
    survivor_first_response_at bigint,
    undone_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index case_merges_by_survivor on case_merges (survivor_id, id);
create index case_merges_by_merged on case_merges (merged_id, id);
