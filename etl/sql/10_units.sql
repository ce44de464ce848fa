-- Clean relation: the newest file wins per scope (spec `scope`), older rows of that scope drop out.
-- `_seq` orders loads: a higher number is a later file.

CREATE VIEW units AS
SELECT unit_id, name, service_area, service, coalesce(ansvar_codes, []::VARCHAR[]) AS ansvar_codes,
       leader, area_head, valid_from, valid_to
FROM raw_units
QUALIFY _seq = max(_seq) OVER (PARTITION BY unit_id);
