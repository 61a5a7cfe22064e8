-- Search (issue 21): full-text indexes over what agents look for, kept current by triggers so
-- the transaction that writes a message, a subject or a contact also indexes it.
-- Words are split on anything that is not a letter or a digit and lowercased, with accents
-- kept: the same words PostgreSQL's migration makes, so both databases find the same things.

-- Message bodies (customer messages, replies, notes and the text of mail), indexed in place.
create virtual table message_words using fts5 (
    body, content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);
insert into message_words (message_words) values ('rebuild');
create trigger messages_words_insert after insert on messages
begin
    insert into message_words (rowid, body) values (new.id, new.body);
end;
create trigger messages_words_delete after delete on messages
begin
    insert into message_words (message_words, rowid, body) values ('delete', old.id, old.body);
end;
create trigger messages_words_update after update of body on messages
begin
    insert into message_words (message_words, rowid, body) values ('delete', old.id, old.body);
    insert into message_words (rowid, body) values (new.id, new.body);
end;

-- Case subjects.
create virtual table case_words using fts5 (
    subject, content = 'cases', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);
insert into case_words (case_words) values ('rebuild');
create trigger cases_words_insert after insert on cases
begin
    insert into case_words (rowid, subject) values (new.id, new.subject);
end;
create trigger cases_words_delete after delete on cases
begin
    insert into case_words (case_words, rowid, subject) values ('delete', old.id, old.subject);
end;
create trigger cases_words_update after update of subject on cases
begin
    insert into case_words (case_words, rowid, subject) values ('delete', old.id, old.subject);
    insert into case_words (rowid, subject) values (new.id, new.subject);
end;

-- What finds a customer: the name and every address. A phone is also indexed by its last
-- 6 to 10 digits, so a number written with or without its country code finds them.
create view customer_search_text as
select customers.id as customer_id,
    customers.name || ' ' || coalesce((
        select group_concat(case when kind = 'phone' then
            replace(value, '+', '') || ' ' || substr(replace(value, '+', ''), -10) || ' ' ||
            substr(replace(value, '+', ''), -9) || ' ' || substr(replace(value, '+', ''), -8) ||
            ' ' || substr(replace(value, '+', ''), -7) || ' ' ||
            substr(replace(value, '+', ''), -6)
        else value end, ' ')
        from customer_contacts where customer_contacts.customer_id = customers.id
    ), '') as words
from customers;

create virtual table customer_words using fts5 (
    words, tokenize = 'unicode61 remove_diacritics 0'
);
insert into customer_words (rowid, words) select customer_id, words from customer_search_text;
create trigger customers_words_insert after insert on customers
begin
    insert into customer_words (rowid, words)
        select customer_id, words from customer_search_text where customer_id = new.id;
end;
create trigger customers_words_update after update of name on customers
begin
    delete from customer_words where rowid = new.id;
    insert into customer_words (rowid, words)
        select customer_id, words from customer_search_text where customer_id = new.id;
end;
create trigger customers_words_delete after delete on customers
begin
    delete from customer_words where rowid = old.id;
end;
create trigger contacts_words_insert after insert on customer_contacts
begin
    delete from customer_words where rowid = new.customer_id;
    insert into customer_words (rowid, words)
        select customer_id, words from customer_search_text where customer_id = new.customer_id;
end;
create trigger contacts_words_update after update on customer_contacts
begin
    delete from customer_words where rowid in (old.customer_id, new.customer_id);
    insert into customer_words (rowid, words)
        select customer_id, words from customer_search_text
        where customer_id in (old.customer_id, new.customer_id);
end;
create trigger contacts_words_delete after delete on customer_contacts
begin
    delete from customer_words where rowid = old.customer_id;
    insert into customer_words (rowid, words)
        select customer_id, words from customer_search_text where customer_id = old.customer_id;
end;
