-- Tags on cases and customers (issue 21): free labels agents put on to find and count them.
-- One row per record and tag; the tag leads the second index so `tag:refund` and the
-- suggestions read only that tag's rows.
create table case_tags (
    case_id bigint not null references cases (id),
    tag text not null,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (case_id, tag)
);
create index case_tags_by_tag on case_tags (tag, case_id);

create table customer_tags (
    customer_id bigint not null references customers (id),
    tag text not null,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (customer_id, tag)
);
create index customer_tags_by_tag on customer_tags (tag, customer_id);

-- A search by filters alone (`status:open`, `before:2026-11-01`) lists the latest cases first;
-- this index finds them by date without reading every case.
create index cases_by_opened_at on cases (opened_at, id);
