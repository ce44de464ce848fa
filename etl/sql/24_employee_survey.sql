-- The employee survey 10-FAKTOR (medarbeiderundersøkelse): the clean relation and its measures.
--
-- `employee_survey`: one row per year × unit (null = the kommune) × factor (one of the ten codes; the
-- reader maps the names used in other years), scale 1–5, with n, response rate and the mean of all
-- municipalities. The newest file for a year replaces the year. Anonymity as in user_survey: no cell
-- `anonymity_held` names is in the relation (16_anonymity.sql).

CREATE VIEW employee_survey AS
WITH newest AS (
    SELECT * FROM raw_employee_survey QUALIFY _seq = max(_seq) OVER (PARTITION BY year)
)
SELECT year, unit_id, factor, mean, respondents, response_rate, benchmark_mean, sd,
       greatest(mean - survey_ci_half(mean, sd, respondents, 5), 1) AS ci_low,
       least(mean + survey_ci_half(mean, sd, respondents, 5), 5) AS ci_high,
       _sha
FROM newest s
WHERE s.mean IS NOT NULL  -- a marker: a cell the loader held back
  AND NOT EXISTS (
    SELECT 1 FROM anonymity_held h
    WHERE h.source = 'medarbeiderundersøkelse' AND h.args = [s.factor]
      AND h.period = make_date(s.year, 1, 1) AND h.unit_id IS NOT DISTINCT FROM s.unit_id);

-- Measure 'employee_survey' with args [factor] (the catalogue's kilde_ref employee_survey:<factor>;
-- 12_indicators.sql parses it), per year, per unit and for the kommune:
--   employee_survey:<factor>  the factor's mean (e.g. employee_survey:mestringsorientert_ledelse)
--   employee_survey:all       args [all]: the mean of the ten factor means, only where all ten are there; n is the
--                             smallest n of the ten; its spread is at most the mean of the factors'
--                             spreads (the spread of an average never exceeds the average spread)
-- The kommune's value is the file's kommune row (the loader computes one from all the file's unit rows
-- when the file has none); for files loaded before it did, the units' means weighted by answers, from
-- every stored unit row, unless `anonymity_held` holds it back.
-- KS's guidance is that changes of about ±0,1 are noise: the catalogue's `støy` says so per indicator,
-- and the scorecard flags changes within the noise or the confidence intervals.
CREATE TABLE measures_employee_survey AS
WITH kommune_rows AS (
    SELECT year, factor, mean, respondents, sd FROM employee_survey WHERE unit_id IS NULL
),
stored AS (
    SELECT * FROM raw_employee_survey QUALIFY _seq = max(_seq) OVER (PARTITION BY year)
),
from_units AS (
    SELECT year, factor, sum(mean * respondents) / sum(respondents) AS mean, sum(respondents) AS respondents,
           NULL::DOUBLE AS sd
    FROM stored e
    WHERE unit_id IS NOT NULL AND mean IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM stored k WHERE k.unit_id IS NULL AND k.year = e.year AND k.factor = e.factor)
    GROUP BY year, factor
    HAVING NOT EXISTS (
        SELECT 1 FROM anonymity_held h
        WHERE h.source = 'medarbeiderundersøkelse' AND h.unit_id IS NULL
          AND h.args = [e.factor] AND h.period = make_date(e.year, 1, 1))
),
factors AS (
    SELECT 'enhet' AS scope, unit_id AS scope_code, year, factor, mean, respondents, sd
    FROM employee_survey WHERE unit_id IS NOT NULL
    UNION ALL
    SELECT 'kommune', NULL, * FROM kommune_rows
    UNION ALL
    SELECT 'kommune', NULL, * FROM from_units
),
overall AS (
    SELECT scope, scope_code, year, 'all' AS factor, avg(mean) AS mean, min(respondents) AS respondents,
           CASE WHEN count(sd) = count(*) THEN avg(sd) END AS sd
    FROM factors
    GROUP BY scope, scope_code, year
    HAVING count(DISTINCT factor) = 10
),
rows AS (
    SELECT * FROM factors UNION ALL SELECT * FROM overall
)
SELECT 'employee_survey' AS measure, [factor] AS args, scope,
       coalesce(scope_code, kommune_code()) AS scope_code,
       make_date(year, 1, 1) AS period, 'year' AS period_type, mean AS value, respondents AS n,
       greatest(mean - survey_ci_half(mean, sd, respondents, 5), 1) AS ci_low,
       least(mean + survey_ci_half(mean, sd, respondents, 5), 5) AS ci_high,
       '10-FAKTOR ' || year AS vintage
FROM rows;

-- What the relation covers, for the Data page and Styringshjul (61_source_coverage.sql gathers every coverage_…).
CREATE VIEW coverage_employee_survey AS
SELECT 'medarbeiderundersøkelse' AS kind, NULL::VARCHAR AS detail, make_date(min(year), 1, 1) AS covered_from,
       make_date(max(year), 12, 31) AS covered_to, NULL::VARCHAR AS vintage
FROM employee_survey;
