-- Which unit each ansvar code (accounting, HR) belongs to. The loader refuses a units file that gives
-- one code to two units; min() keeps a code from ever counting twice all the same.
CREATE VIEW ansvar_units AS
SELECT ansvar, min(unit_id) AS unit_id
FROM (SELECT unnest(ansvar_codes) AS ansvar, unit_id FROM units)
GROUP BY ansvar;
