-- The search indexes of 0008 take each new text straight into the index instead of a pending
-- list. With a pending list every search also reads every text added since autovacuum last
-- ran (2-3 ms at 1,000,000 messages, more under a busy intake); without one, adding a message
-- costs a little more and a search costs the same whenever it runs (docs/benchmarks.md).
alter index messages_words set (fastupdate = off);
alter index cases_words set (fastupdate = off);
alter index customer_words_words set (fastupdate = off);
