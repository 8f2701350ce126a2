-- A customer's portal links can be withdrawn: each withdrawal adds one to
-- the generation the links are signed under, so every link signed before
-- stops working and the next one made works. Links made before this column
-- existed are generation 0, signed as they always were.
ALTER TABLE customers ADD COLUMN portal_generation BIGINT NOT NULL DEFAULT 0;
