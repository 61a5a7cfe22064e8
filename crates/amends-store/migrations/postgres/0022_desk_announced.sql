-- Every server's consoles hear that the queue changed (a case opened or changed) when the
-- transaction commits, without a poll (issue 18). The payload is the same for every case, so
-- PostgreSQL folds a transaction's many into one; the console reads the queue again.
create function cases_announced() returns trigger language plpgsql as $$
begin
    perform pg_notify('amends_live', '{"kind":"desk","chat":0}');
    return null;
end;
$$;
create trigger cases_announced after insert or update on cases
    for each row execute function cases_announced();
