-- Accounting (regnskap): the clean relation and its measures.
--
-- `accounting`: one row per month × ansvar × art × funksjon (lines for several projects summed); the
-- newest file for a month replaces that whole month; ansvar is mapped to its unit through
-- `units.ansvar_codes` (a file with an unknown ansvar is refused, so unit_id is known for every line
-- unless the units file later drops the code). Amounts are the month's, in kroner.

CREATE VIEW accounting AS
SELECT a.period, a.ansvar, a.art, a.funksjon, au.unit_id,
       sum(a.actual) AS actual, sum(a.budget) AS budget,
       sum(a.original_budget) AS original_budget, sum(a.forecast) AS forecast,
       any_value(a.ansvar_name) AS ansvar_name, any_value(a.art_name) AS art_name,
       any_value(a._sha) AS _sha
FROM (SELECT * FROM raw_accounting QUALIFY _seq = max(_seq) OVER (PARTITION BY period)) a
LEFT JOIN ansvar_units au USING (ansvar)
GROUP BY a.period, a.ansvar, a.art, a.funksjon, au.unit_id;

-- Measures (see 40_indicator_values.sql for the columns):
--   accounting:deviation_pct       (actual − budget) / |budget| × 100, year to date, per month
--   accounting:deviation_nok       actual − budget in kroner, year to date, per month
--   accounting:forecast_pct        (year-end forecast − the year's budget) / |the year's budget| × 100, per tertial
--   accounting:units_within_budget units with actual ≤ budget year to date / units with accounts × 100 (kommune)
-- Positive deviations are overspending. The kommune's figures are sums over all lines, never means of
-- the units' percentages. |budget| keeps the sign right for a unit whose net budget is an income.
CREATE VIEW measures_accounting AS
WITH kommune AS (
    SELECT value AS code FROM meta WHERE key = 'kommune_code'
),
vintage AS (
    SELECT 'regnskap lastet ' || strftime(max(loaded_on), '%d.%m.%Y') AS text
    FROM file_loaded WHERE sha256 IN (SELECT _sha FROM accounting)
),
monthly AS (  -- per scope and month; the kommune is every line, whatever its unit
    SELECT 'enhet' AS scope, unit_id AS scope_code, period, sum(actual) AS actual, sum(budget) AS budget
    FROM accounting WHERE unit_id IS NOT NULL GROUP BY unit_id, period
    UNION ALL
    SELECT 'kommune', (SELECT code FROM kommune), period, sum(actual), sum(budget)
    FROM accounting GROUP BY period
),
ytd AS (  -- year to date: the months of the year up to and including this one
    SELECT scope, scope_code, period,
           sum(actual) OVER w AS actual, sum(budget) OVER w AS budget
    FROM monthly
    WINDOW w AS (PARTITION BY scope, scope_code, year(period) ORDER BY period)
),
full_years AS (  -- a year-end forecast is compared with the whole year's budget: all twelve months loaded
    SELECT year(period) AS year FROM accounting GROUP BY 1 HAVING count(DISTINCT month(period)) = 12
),
lines AS (
    SELECT *, sum(budget) OVER (PARTITION BY ansvar, art, funksjon, year(period)) AS line_year_budget
    FROM accounting
    WHERE year(period) IN (SELECT year FROM full_years)
),
year_budget AS (
    SELECT 'enhet' AS scope, unit_id AS scope_code, year(period) AS year, sum(budget) AS budget
    FROM lines WHERE unit_id IS NOT NULL GROUP BY unit_id, year(period)
    UNION ALL
    SELECT 'kommune', (SELECT code FROM kommune), year(period), sum(budget) FROM lines GROUP BY year(period)
),
forecast_months AS (
    -- A forecast sits on the lines of the month it was made. A line without one that month is taken to
    -- end the year on budget. The newest forecast month within a tertial is that tertial's forecast.
    SELECT 'enhet' AS scope, unit_id AS scope_code, period, sum(forecast - line_year_budget) AS deviation
    FROM lines WHERE forecast IS NOT NULL AND unit_id IS NOT NULL GROUP BY unit_id, period
    UNION ALL
    SELECT 'kommune', (SELECT code FROM kommune), period, sum(forecast - line_year_budget)
    FROM lines WHERE forecast IS NOT NULL GROUP BY period
),
forecasts AS (
    SELECT f.scope, f.scope_code, tertial_start(f.period) AS period, f.deviation, b.budget
    FROM forecast_months f
    JOIN year_budget b ON b.scope = f.scope AND b.scope_code = f.scope_code AND b.year = year(f.period)
    QUALIFY row_number() OVER (PARTITION BY f.scope, f.scope_code, tertial_start(f.period) ORDER BY f.period DESC) = 1
),
within AS (
    SELECT period, count(*) FILTER (WHERE actual - budget <= 0.005) AS within, count(*) AS units
    FROM ytd WHERE scope = 'enhet' GROUP BY period
),
measures AS (
    SELECT 'accounting:deviation_pct' AS source_ref, scope, scope_code, period, 'month' AS period_type,
           (actual - budget) / abs(nullif(budget, 0)) * 100 AS value, actual - budget AS numerator,
           budget AS denominator
    FROM ytd
    UNION ALL BY NAME
    SELECT 'accounting:deviation_nok' AS source_ref, scope, scope_code, period, 'month' AS period_type,
           actual - budget AS value
    FROM ytd
    UNION ALL BY NAME
    SELECT 'accounting:forecast_pct' AS source_ref, scope, scope_code, period, 'tertial' AS period_type,
           deviation / abs(nullif(budget, 0)) * 100 AS value, deviation AS numerator, budget AS denominator
    FROM forecasts
    UNION ALL BY NAME
    SELECT 'accounting:units_within_budget' AS source_ref, 'kommune' AS scope, (SELECT code FROM kommune) AS scope_code,
           period, 'month' AS period_type, within / units * 100 AS value, within AS numerator, units AS denominator
    FROM within
)
SELECT *, (SELECT text FROM vintage) AS vintage FROM measures;
