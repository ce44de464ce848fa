-- Every indicator value, per scope (kommune, enhet, region) and period, from every source.
--
-- Computed sources publish *measures*: views named `measures_<source>` (files 20–39) with the columns
--   source_ref, scope, scope_code, period, period_type, value, numerator, denominator, n, status_symbol,
--   vintage, and optionally ci_low, ci_high (the 95 % confidence interval of a survey mean)
-- and an indicator takes the measure whose `source_ref` equals its catalogue `kilde_ref` (letter case
-- aside), for the levels the catalogue's `nivå` names (kommune, enhet, begge; regions always). A manual
-- figure (an `indikatorverdier` file) fills only what no computed source gives.

-- Every candidate value first, in a temporary table (never in the published file): the figures held back
-- for anonymity below must not be reachable by any query.
CREATE TEMP TABLE candidate_values AS
WITH kommune AS (
    SELECT kommune_code() AS code
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
    WHERE NOT EXISTS (
        SELECT 1 FROM anonymity_held h
        WHERE h.source = 'indikatorverdier' AND h.ref = m.indicator_id AND h.period = m.period
          AND h.period_type = m.period_type AND h.unit_id IS NOT DISTINCT FROM m.unit_id)
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
       v.n, v.status_symbol, v.source_ref, v.vintage, v.comment, v.ci_low, v.ci_high,
       -- anonymity, enforced again here: a unit result with fewer answers than the indicator's minimum
       v.scope = 'enhet' AND v.n IS NOT NULL AND v.n < i.min_n AS too_few
FROM all_values v
JOIN indicators i USING (indicator_id)
QUALIFY priority = min(priority) OVER (PARTITION BY v.indicator_id, v.scope, v.scope_code, v.period, v.period_type);

CREATE TABLE indicator_values AS
SELECT * EXCLUDE (too_few) FROM candidate_values WHERE NOT too_few;

-- `held_back`: every cell of an indicator held back for anonymity, so the scorecard can say «for få svar»
-- instead of «ingen data». Only that it was held back and why: no value, no n, nothing to subtract.
--   reason  'for få svar'                 the cell had fewer answers than the minimum (or, for the kommune,
--                                         its figure rests on fewer and would show a held-back unit)
--           'skjult av personvernhensyn'  held back so that another cell cannot be worked out
-- A unit's 10-FAKTOR total (employee_survey:all) is held back with any of its ten factors.
CREATE TABLE held_back AS
WITH kommune AS (
    SELECT kommune_code() AS code
),
cells AS (
    SELECT source, ref, period, period_type, unit_id, reason FROM anonymity_held
    UNION ALL
    SELECT 'medarbeiderundersøkelse', 'employee_survey:all', period, period_type, unit_id,
           CASE WHEN bool_or(reason = 'for få svar') THEN 'for få svar' ELSE 'skjult av personvernhensyn' END
    FROM anonymity_held WHERE source = 'medarbeiderundersøkelse'
    GROUP BY period, period_type, unit_id
),
mapped AS (
    SELECT i.indicator_id, c.source, c.ref AS source_ref,
           CASE WHEN c.unit_id IS NULL THEN 'kommune' ELSE 'enhet' END AS scope,
           coalesce(c.unit_id, (SELECT code FROM kommune)) AS scope_code, c.period, c.period_type, c.reason
    FROM cells c
    LEFT JOIN indicators i
      ON CASE WHEN c.source = 'indikatorverdier' THEN i.indicator_id = c.ref
              ELSE i.source = c.source AND lower(i.source_ref) = lower(c.ref) END
    UNION ALL
    SELECT v.indicator_id, i.source, v.source_ref, v.scope, v.scope_code, v.period, v.period_type, 'for få svar'
    FROM candidate_values v JOIN indicators i USING (indicator_id)
    WHERE v.too_few
)
SELECT DISTINCT m.indicator_id, m.source, m.source_ref, m.scope, m.scope_code, m.period, m.period_type, m.reason
FROM mapped m
LEFT JOIN indicators i USING (indicator_id)
WHERE (i.indicator_id IS NULL  -- a cell no catalogue indicator reads is listed all the same
       OR (m.scope = 'kommune' AND i.level IN ('kommune', 'begge'))
       OR (m.scope = 'enhet' AND i.level IN ('enhet', 'begge')))
  -- a value for the cell from another source (a manual figure) leaves nothing held back to show
  AND NOT EXISTS (
    SELECT 1 FROM indicator_values v
    WHERE v.indicator_id = m.indicator_id AND v.scope = m.scope AND v.scope_code = m.scope_code
      AND v.period = m.period AND v.period_type = m.period_type)
ORDER BY m.indicator_id, m.scope, m.scope_code, m.period;

DROP TABLE candidate_values;
