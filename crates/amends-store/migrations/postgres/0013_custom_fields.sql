-- Custom fields (issue 21): what a business records on cases and customers beyond what every
-- desk has. Values are kept as checked text (a canonical number, a YYYY-MM-DD date, an option,
-- true/false), one row per record and field, so any kind is searched by equality on one index.
create table custom_fields (
    id bigint generated always as identity primary key,
    key text not null unique,
    label text not null,
    owner_kind text not null check (owner_kind in ('case', 'customer')),
    kind text not null check (kind in ('text', 'number', 'date', 'one_of', 'yes_no')),
    -- JSON list of the options of a one_of field; empty otherwise.
    options text not null default '[]',
    created_at bigint not null,
    updated_at bigint not null
);

create table custom_values (
    field_id bigint not null references custom_fields (id),
    record_id bigint not null,
    value text not null,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (field_id, record_id)
);
create index custom_values_by_value on custom_values (field_id, value, record_id);
