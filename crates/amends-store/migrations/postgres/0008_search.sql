-- Search (issue 21): full-text indexes over what agents look for, kept current by the
-- database itself so the transaction that writes a message, a subject or a contact also
-- indexes it. Words are split on anything that is not a letter or a digit and lowercased, with
-- accents kept ('simple' does no stemming): the same words SQLite's FTS5 migration makes, so
-- both databases find the same things.
-- The words are stored, not only indexed: the latest matches of a common word are found by
-- reading messages newest first and testing each, and testing a stored tsvector costs a
-- microsecond where computing it from the text costs tens (measured at 1,000,000 messages).

-- Message bodies (customer messages, replies, notes and the text of mail).
alter table messages add column words tsvector generated always as (
    to_tsvector('simple', regexp_replace(body, '[^[:alnum:]]+', ' ', 'g'))
) stored;
create index messages_words on messages using gin (words);

-- Case subjects.
alter table cases add column words tsvector generated always as (
    to_tsvector('simple', regexp_replace(subject, '[^[:alnum:]]+', ' ', 'g'))
) stored;
create index cases_words on cases using gin (words);

-- What finds a customer: the name and every address. A phone is also indexed by its last
-- 6 to 10 digits, so a number written with or without its country code finds them.
create view customer_search_text as
select customers.id as customer_id,
    customers.name || ' ' || coalesce((
        select string_agg(case when kind = 'phone' then
            replace(value, '+', '') || ' ' || right(replace(value, '+', ''), 10) || ' ' ||
            right(replace(value, '+', ''), 9) || ' ' || right(replace(value, '+', ''), 8) ||
            ' ' || right(replace(value, '+', ''), 7) || ' ' ||
            right(replace(value, '+', ''), 6)
        else value end, ' ')
        from customer_contacts where customer_contacts.customer_id = customers.id
    ), '') as words
from customers;

-- A derived copy of the view, one row per customer, so the index need not join; it has no
-- times of its own because it is rewritten whole whenever its customer changes.
create table customer_words (
    customer_id bigint primary key references customers (id) on delete cascade,
    words text not null,
    vector tsvector generated always as (
        to_tsvector('simple', regexp_replace(words, '[^[:alnum:]]+', ' ', 'g'))
    ) stored
);
create index customer_words_words on customer_words using gin (vector);
insert into customer_words (customer_id, words) select customer_id, words from customer_search_text;

create function refresh_customer_words(customer bigint) returns void language sql as $$
    delete from customer_words where customer_id = customer;
    insert into customer_words (customer_id, words)
        select customer_id, words from customer_search_text where customer_id = customer;
$$;

create function customers_words() returns trigger language plpgsql as $$
begin
    perform refresh_customer_words(new.id);
    return null;
end;
$$;
create trigger customers_words after insert or update of name on customers
    for each row execute function customers_words();

create function contacts_words() returns trigger language plpgsql as $$
begin
    if tg_op <> 'INSERT' then
        perform refresh_customer_words(old.customer_id);
    end if;
    if tg_op <> 'DELETE' then
        perform refresh_customer_words(new.customer_id);
    end if;
    return null;
end;
$$;
create trigger contacts_words after insert or update or delete on customer_contacts
    for each row execute function contacts_words();
