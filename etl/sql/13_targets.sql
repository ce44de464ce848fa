-- Clean relation: the newest file wins per scope (spec `scope`), older rows of that scope drop out.
-- `_seq` orders loads: a higher number is a later file.

CREATE VIEW targets AS
SELECT indicator_id, unit_id, year, target, green, red
FROM raw_targets
QUALIFY _seq = max(_seq) OVER (PARTITION BY indicator_id, unit_id, year);
