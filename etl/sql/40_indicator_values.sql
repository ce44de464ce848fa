-- Every indicator value, per scope (kommune, enhet, region) and period, from every source.
--
-- Computed sources publish *measures*: tables named `measures_<source>` (files 20–39) with the columns
--   scope, scope_code, period, period_type, value, numerator, denominator, n, status_symbol, vintage,
--   and optionally ci_low, ci_high (the 95 % confidence interval of a survey mean),
-- named by one of
--   source_ref                        a fixed measure, named whole and literally (e.g. sick_leave:total)
--   measure, args                     a parameterised measure: its literal name and its parameters
--                                     (e.g. user_survey with [service, dimension])
--   table_id, contents_code, dim_codes  a KOSTRA figure (36_measures_kostra.sql)
-- An indicator takes the measure its catalogue `kilde_ref` names, compared part by part with what
-- 12_indicators.sql parsed it into (letter case aside; never a text glued together here), for the levels
-- the catalogue's `nivå` names (kommune, enhet, begge; regions always). A manual figure (an
-- `indikatorverdier` file) fills only what no computed source gives.

-- Every candidate value first, in a temporary table (never in the published file): the figures held back
-- for anonymity below must not be reachable by any query.
-- gather all_measures from measures_*
CREATE TEMP TABLE candidate_values AS
WITH kommune AS (
    SELECT kommune_code() AS code
),
manual AS (
    SELECT m.indicator_id,
           CASE WHEN m.unit_id IS NULL THEN 'kommune' ELSE 'enhet' END AS scope,
           coalesce(m.unit_id, (SELECT code FROM kommune)) AS scope_code,
           m.period, m.period_type, m.value, m.numerator, m.denominator, m.n,
           NULL::VARCHAR AS status_symbol,
           manual_ref(m._file) AS source_ref,
           'registrert ' || strftime(first_loaded(m._sha), '%d.%m.%Y') AS vintage,
           m.comment,
           2 AS priority
    FROM manual_values m  -- without the cells anonymity_held holds back (27_manual_values.sql)
),
measures AS (
    -- one line per source of measures; keep the column list of the header comment
    SELECT NULL::VARCHAR AS source_ref, NULL::VARCHAR AS measure, NULL::VARCHAR[] AS args,
           NULL::VARCHAR AS table_id, NULL::VARCHAR AS contents_code, NULL::VARCHAR[] AS dim_codes,
           NULL::VARCHAR AS scope, NULL::VARCHAR AS scope_code, NULL::DATE AS period,
           NULL::VARCHAR AS period_type, NULL::DOUBLE AS value, NULL::DOUBLE AS numerator,
           NULL::DOUBLE AS denominator, NULL::BIGINT AS n, NULL::VARCHAR AS status_symbol, NULL::VARCHAR AS vintage,
           NULL::DOUBLE AS ci_low, NULL::DOUBLE AS ci_high
    WHERE false
    UNION ALL BY NAME SELECT * FROM all_measures  -- every measures_<source> relation (the gather line above)
),
matched AS (  -- each indicator's measure, by the parts of its kilde_ref
    SELECT i.indicator_id, m.*  -- a fixed measure: its whole name
    FROM indicators i
    JOIN measures m ON lower(m.source_ref) = lower(i.source_ref)
    UNION ALL
    SELECT i.indicator_id, m.*  -- a parameterised measure: its name and arguments
    FROM indicators i
    JOIN measures m ON lower(m.measure) = i.ref_measure AND list_transform(m.args, lambda a: lower(a)) = i.ref_args
    UNION ALL
    SELECT i.indicator_id, m.*  -- a KOSTRA figure: table, contents code and other dimensions
    FROM indicators i
    JOIN measures m
      ON i.source = 'KOSTRA'
     AND [lower(m.table_id), lower(m.contents_code)] || list_transform(m.dim_codes, lambda d: lower(d)) = i.ref_args
),
computed AS (
    SELECT i.indicator_id, m.scope, m.scope_code, m.period, m.period_type, m.value, m.numerator, m.denominator,
           m.n, m.status_symbol, i.source || ': ' || i.source_ref AS source_ref, m.vintage, NULL::VARCHAR AS comment,
           m.ci_low, m.ci_high, 1 AS priority
    FROM matched m
    JOIN indicators i USING (indicator_id)
    WHERE m.scope = 'region'
       OR (m.scope = 'kommune' AND i.level IN ('kommune', 'begge'))
       OR (m.scope = 'enhet' AND i.level IN ('enhet', 'begge'))
),
-- a manual figure only where no computed source gives one (an anti-join: a window partitioned by every
-- figure took 0,06 s of a small file's load)
all_values AS (
    SELECT * FROM computed
    UNION ALL BY NAME
    SELECT * FROM manual m
    WHERE NOT EXISTS (SELECT 1 FROM computed c
                      WHERE c.indicator_id = m.indicator_id AND c.scope = m.scope
                        AND c.scope_code IS NOT DISTINCT FROM m.scope_code AND c.period IS NOT DISTINCT FROM m.period
                        AND c.period_type IS NOT DISTINCT FROM m.period_type)
)
SELECT v.indicator_id, v.scope, v.scope_code, v.period, v.period_type, v.value, v.numerator, v.denominator,
       v.n, v.status_symbol, v.source_ref, v.vintage, v.comment, v.ci_low, v.ci_high,
       -- what `held_back` names if this figure is held back: the catalogue's kilde_ref, or the manual file
       CASE WHEN v.priority = 2 THEN v.source_ref ELSE i.source_ref END AS held_ref,
       -- anonymity, enforced again here: a unit result with fewer answers than the indicator's minimum
       v.scope = 'enhet' AND v.n IS NOT NULL AND v.n < i.min_n AS too_few
FROM all_values v
JOIN indicators i USING (indicator_id);

-- The subtraction rule once more, over everything that would be published for an indicator × period,
-- whatever source each figure came from: a survey's kommune figure beside a manual figure for one of its
-- units, a kommune row from one file and unit rows from another. The kommune figure's n less the published
-- units' n is what subtraction would give the mean of; while that is more than none and below the minimum,
-- the published units are held back smallest first (a unit figure without n, in such a group, too), and
-- the kommune figure as well if it rests on fewer answers than the minimum and a unit is held back.
CREATE TEMP TABLE gap_held AS
WITH shown AS (
    SELECT * FROM candidate_values WHERE NOT too_few
),
groups AS (
    SELECT indicator_id, period, period_type,
           any_value(n) FILTER (WHERE scope = 'kommune') AS kommune_n,
           coalesce(sum(n) FILTER (WHERE scope = 'enhet'), 0) AS units_n
    FROM shown
    GROUP BY indicator_id, period, period_type
),
units AS (  -- the published units of a group with answers no published unit stands for, smallest first
    SELECT s.indicator_id, s.scope_code, s.period, s.period_type, s.held_ref AS source_ref, s.n, i.min_n,
           g.kommune_n - g.units_n + coalesce(sum(coalesce(s.n, 0)) OVER (
               PARTITION BY s.indicator_id, s.period, s.period_type ORDER BY coalesce(s.n, 0), s.scope_code
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS unaccounted
    FROM shown s
    JOIN groups g USING (indicator_id, period, period_type)
    JOIN indicators i USING (indicator_id)
    WHERE s.scope = 'enhet' AND g.kommune_n > g.units_n
),
held_units AS (
    SELECT indicator_id, 'enhet' AS scope, scope_code, period, period_type, source_ref,
           'skjult av personvernhensyn' AS reason
    FROM units
    WHERE unaccounted < min_n OR n IS NULL
)
SELECT * FROM held_units
UNION ALL
SELECT s.indicator_id, 'kommune', s.scope_code, s.period, s.period_type, s.held_ref, 'for få svar'
FROM shown s
JOIN groups g USING (indicator_id, period, period_type)
JOIN indicators i USING (indicator_id)
WHERE s.scope = 'kommune' AND g.kommune_n > g.units_n AND g.kommune_n < i.min_n
  AND EXISTS (SELECT 1 FROM candidate_values c
              WHERE c.indicator_id = s.indicator_id AND c.period = s.period AND c.period_type = s.period_type
                AND c.scope = 'enhet');

CREATE TABLE indicator_values AS
SELECT * EXCLUDE (too_few, held_ref) FROM candidate_values v
WHERE NOT too_few
  AND NOT EXISTS (SELECT 1 FROM gap_held h
                  WHERE h.indicator_id = v.indicator_id AND h.scope = v.scope AND h.scope_code = v.scope_code
                    AND h.period = v.period AND h.period_type = v.period_type);

-- `held_back`: every cell of an indicator held back for anonymity, so the scorecard can say «for få svar»
-- instead of «ingen data». Only that it was held back and why: no value, no n, nothing to subtract.
--   reason  'for få svar'                 the cell had fewer answers than the minimum (or, for the kommune,
--                                         its figure rests on fewer and would show a held-back unit)
--           'skjult av personvernhensyn'  held back so that another cell cannot be worked out
-- `source_ref` is the catalogue's kilde_ref of the indicator a survey cell belongs to (an `indikatorverdier`
-- cell's: its indicator id; a figure held back here: its kilde_ref, or the manual file's), `args` the parameters of
-- the survey measure a cell of `anonymity_held` feeds ([service, dimension], [factor]: 16_anonymity.sql),
-- so a held-back cell no catalogue indicator reads still says which service and dimension it is.
-- A unit's 10-FAKTOR total (args [all], kilde_ref employee_survey:all; its spec's `[anonymity] total`) is
-- held back with any of its ten factors.
CREATE TABLE held_back AS
WITH kommune AS (
    SELECT kommune_code() AS code
),
cells AS (  -- with its kind's spec: a survey's, or one whose cells name their indicator (args [indicator_id])
    SELECT h.source, h.args, h.period, h.period_type, h.unit_id, h.reason, k.survey
    FROM anonymity_held h JOIN kinds k ON k.kind = h.source
    UNION ALL  -- a measure over all of a unit's cells in a period (spec `[anonymity] total`) is held back with any
    SELECT h.source, [k.anonymity_total], h.period, h.period_type, h.unit_id,
           CASE WHEN bool_or(h.reason = 'for få svar') THEN 'for få svar' ELSE 'skjult av personvernhensyn' END,
           any_value(k.survey)
    FROM anonymity_held h JOIN kinds k ON k.kind = h.source
    WHERE k.anonymity_total IS NOT NULL
    GROUP BY h.source, k.anonymity_total, h.period, h.period_type, h.unit_id
),
mapped AS (
    SELECT i.indicator_id, c.source,
           CASE WHEN NOT c.survey THEN c.args[1] ELSE i.source_ref END AS source_ref,
           CASE WHEN c.survey THEN c.args END AS args,
           CASE WHEN c.unit_id IS NULL THEN 'kommune' ELSE 'enhet' END AS scope,
           coalesce(c.unit_id, (SELECT code FROM kommune)) AS scope_code, c.period, c.period_type, c.reason
    FROM cells c
    LEFT JOIN indicators i
      ON CASE WHEN NOT c.survey THEN i.indicator_id = c.args[1]
              ELSE i.source = c.source AND i.ref_args = list_transform(c.args, lambda a: lower(a)) END
    UNION ALL
    SELECT v.indicator_id, i.source, v.held_ref, NULL, v.scope, v.scope_code, v.period, v.period_type, 'for få svar'
    FROM candidate_values v JOIN indicators i USING (indicator_id)
    WHERE v.too_few
    UNION ALL
    SELECT h.indicator_id, i.source, h.source_ref, NULL, h.scope, h.scope_code, h.period, h.period_type, h.reason
    FROM gap_held h JOIN indicators i USING (indicator_id)
)
SELECT DISTINCT m.indicator_id, m.source, m.source_ref, m.args, m.scope, m.scope_code, m.period, m.period_type, m.reason
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
-- one row per cell: a cell held back by more than one rule says the strongest reason once (cells that no
-- indicator reads share an empty indicator id: each is its own cell by its source and arguments)
QUALIFY row_number() OVER (
    PARTITION BY m.indicator_id, CASE WHEN m.indicator_id IS NULL THEN m.source END,
                 CASE WHEN m.indicator_id IS NULL THEN m.args END, m.scope, m.scope_code, m.period, m.period_type
    ORDER BY m.reason = 'for få svar' DESC, m.source, m.source_ref, m.args) = 1
ORDER BY m.indicator_id, m.scope, m.scope_code, m.period;

DROP TABLE gap_held;
DROP TABLE candidate_values;
