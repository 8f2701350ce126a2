-- A status a person sets holds through this day (the day number; far in
-- the future for "until a person changes it"); the daily run proposes,
-- never changes, a status while a person's decision holds. NULL: no
-- person's decision is in force (every customer starts so, and the run
-- clears it when it sets a status itself).
ALTER TABLE customers ADD COLUMN status_held_until BIGINT;
