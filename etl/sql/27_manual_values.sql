-- Clean relation: the newest file wins per scope (spec `scope`), older rows of that scope drop out.
-- `_seq` orders loads: a higher number is a later file.

-- A row without a value is the marker of a figure the loader held back (anonymity, 16_anonymity.sql):
-- it replaces any older figure for its cell and is itself no figure. No cell `anonymity_held` names is in
-- the relation either (a figure the rule holds back again at build, e.g. after `min_n` was raised).
CREATE VIEW manual_values AS
SELECT m.indicator_id, m.unit_id, m.period, m.period_type, m.value, m.numerator, m.denominator, m.n, m.comment,
       m._file, m._sha
FROM (SELECT * FROM raw_manual_values QUALIFY _seq = max(_seq) OVER (PARTITION BY indicator_id, unit_id, period)) m
WHERE m.value IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM anonymity_held h
    WHERE h.source = 'indikatorverdier' AND h.args = [m.indicator_id] AND h.period = m.period
      AND h.period_type = m.period_type AND h.unit_id IS NOT DISTINCT FROM m.unit_id);

-- What the relation covers, for the Data page and Styringshjul (61_source_coverage.sql gathers every coverage_…).
CREATE VIEW coverage_manual_values AS
SELECT 'indikatorverdier' AS kind, NULL::VARCHAR AS detail, min(period) AS covered_from,
       max(period_after(period, period_type)) - INTERVAL 1 DAY AS covered_to, NULL::VARCHAR AS vintage
FROM manual_values;
