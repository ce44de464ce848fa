-- Every indicator value, per scope (kommune, enhet, region) and period, from every source.
--
-- Computed sources publish *measures*: views named `measures_<source>` (files 20–39) with the columns
--   source_ref, scope, scope_code, period, period_type, value, numerator, denominator, n, status_symbol,
--   vintage, and optionally ci_low, ci_high (the 95 % confidence interval of a survey mean)
-- and an indicator takes the measure whose `source_ref` equals its catalogue `kilde_ref` (letter case
-- aside), for the levels the catalogue's `nivå` names (kommune, enhet, begge; regions always). A manual
-- figure (an `indikatorverdier` file) fills only what no computed source gives.

CREATE TABLE indicator_values AS
WITH kommune AS (
    SELECT value AS code FROM meta WHERE key = 'kommune_code'
),
loaded AS (
    SELECT sha256, min(loaded_at) AS loaded_at FROM load_log WHERE status = 'loaded' GROUP BY sha256
),
manual AS (
    SELECT m.indicator_id,
           CASE WHEN m.unit_id IS NULL THEN 'kommune' ELSE 'enhet' END AS scope,
           coalesce(m.unit_id, (SELECT code FROM kommune)) AS scope_code,
           m.period, m.period_type, m.value, m.numerator, m.denominator, m.n,
           NULL::VARCHAR AS status_symbol,
           'manuelt registrert (' || m._file || ')' AS source_ref,
           'registrert ' || strftime(l.loaded_at, '%d.%m.%Y') AS vintage,
           m.comment,
           2 AS priority
    FROM manual_values m
    LEFT JOIN loaded l ON l.sha256 = m._sha
),
measures AS (
    -- one line per source of measures; keep the column list of the header comment
    SELECT NULL::VARCHAR AS source_ref, NULL::VARCHAR AS scope, NULL::VARCHAR AS scope_code, NULL::DATE AS period,
           NULL::VARCHAR AS period_type, NULL::DOUBLE AS value, NULL::DOUBLE AS numerator,
           NULL::DOUBLE AS denominator, NULL::BIGINT AS n, NULL::VARCHAR AS status_symbol, NULL::VARCHAR AS vintage,
           NULL::DOUBLE AS ci_low, NULL::DOUBLE AS ci_high
    WHERE false
    UNION ALL BY NAME SELECT * FROM measures_accounting
    UNION ALL BY NAME SELECT * FROM measures_sick_leave
    UNION ALL BY NAME SELECT * FROM measures_staff
    UNION ALL BY NAME SELECT * FROM measures_user_survey
    UNION ALL BY NAME SELECT * FROM measures_employee_survey
    UNION ALL BY NAME SELECT * FROM measures_deviations
    UNION ALL BY NAME SELECT * FROM measures_decisions
    UNION ALL BY NAME SELECT * FROM measures_kostra
),
computed AS (
    SELECT i.indicator_id, m.scope, m.scope_code, m.period, m.period_type, m.value, m.numerator, m.denominator,
           m.n, m.status_symbol, i.source || ': ' || m.source_ref AS source_ref, m.vintage, NULL::VARCHAR AS comment,
           m.ci_low, m.ci_high, 1 AS priority
    FROM indicators i
    JOIN measures m ON lower(m.source_ref) = lower(i.source_ref)
    WHERE m.scope = 'region'
       OR (m.scope = 'kommune' AND i.level IN ('kommune', 'begge'))
       OR (m.scope = 'enhet' AND i.level IN ('enhet', 'begge'))
),
all_values AS (
    SELECT * FROM computed
    UNION ALL BY NAME
    SELECT * FROM manual
)
SELECT v.indicator_id, v.scope, v.scope_code, v.period, v.period_type, v.value, v.numerator, v.denominator,
       v.n, v.status_symbol, v.source_ref, v.vintage, v.comment, v.ci_low, v.ci_high
FROM all_values v
JOIN indicators i USING (indicator_id)
-- Anonymity, enforced again here: a unit result with too few answers never reaches a reader,
-- even if the catalogue's minimum was raised after the figure was loaded.
WHERE NOT (v.scope = 'enhet' AND v.n IS NOT NULL AND v.n < i.min_n)
QUALIFY priority = min(priority) OVER (PARTITION BY v.indicator_id, v.scope, v.scope_code, v.period, v.period_type);
