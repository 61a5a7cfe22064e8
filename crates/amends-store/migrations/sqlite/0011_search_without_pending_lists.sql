-- PostgreSQL's search indexes stop keeping pending lists here; SQLite's FTS5 indexes have no
-- such setting (they merge their segments as they grow), so there is nothing to change. The
-- file exists so both databases have the same migrations.
select 1;
