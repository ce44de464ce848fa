-- Clean relation: the newest file wins per scope (spec `scope`), older rows of that scope drop out.
-- `_seq` orders loads: a higher number is a later file.

-- A row without a value is the marker of a figure the loader held back (anonymity, 16_anonymity.sql):
-- it replaces any older figure for its cell and is itself no figure.
CREATE VIEW manual_values AS
SELECT indicator_id, unit_id, period, period_type, value, numerator, denominator, n, comment, _file, _sha
FROM (SELECT * FROM raw_manual_values QUALIFY _seq = max(_seq) OVER (PARTITION BY indicator_id, unit_id, period))
WHERE value IS NOT NULL;

-- What the relation covers, for the Data page and Styringshjul (61_source_coverage.sql gathers every coverage_…).
CREATE VIEW coverage_manual_values AS
SELECT 'indikatorverdier' AS kind, NULL::VARCHAR AS detail, min(period) AS covered_from,
       max(period) AS covered_to, NULL::VARCHAR AS vintage
FROM manual_values;
