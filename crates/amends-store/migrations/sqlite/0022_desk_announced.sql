-- On PostgreSQL a trigger announces every change of a case to the other servers' consoles
-- (issue 18). SQLite has one server, which tells its consoles itself; nothing to add here.
select 1;
