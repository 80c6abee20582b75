-- Ids are never reused. SQLite needed its tables rebuilt with AUTOINCREMENT
-- (sqlite/0006_ids.sql); here every integer id is already a GENERATED ALWAYS
-- AS IDENTITY column, whose sequence never hands a value out twice, and
-- sqldb's TestSchema_IDsNeverReused checks that every new table keeps to
-- it. This migration keeps the two dialects' numbers in step.
SELECT 1;
