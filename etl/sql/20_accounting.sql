-- Accounting (regnskap): the clean relation and its measures.
--
-- `accounting`: one row per month × ansvar × art × funksjon (lines for several projects summed); the
-- newest file for a month replaces that month's lines of the ansvar it lists; ansvar is mapped to its unit through
-- `units.ansvar_codes` (a file with an unknown ansvar is refused, so unit_id is known for every line
-- unless the units file later drops the code). Amounts are the month's, in kroner, except
-- `annual_budget`, the whole year's revised budget as the line's file stated it (optional).

CREATE TABLE accounting AS  -- a table: the measures below read it seven times, the pages and reports often
SELECT a.period, a.ansvar, a.art, a.funksjon, au.unit_id,
       sum(a.actual) AS actual, sum(a.budget) AS budget,
       sum(a.original_budget) AS original_budget, sum(a.forecast) AS forecast,
       -- the year's revised budget as the file states it (`årsbudsjett`), only where every project line has it
       CASE WHEN count(a.annual_budget) = count(*) THEN sum(a.annual_budget) END AS annual_budget,
       any_value(a.ansvar_name) AS ansvar_name, any_value(a.art_name) AS art_name,
       any_value(a._sha) AS _sha
FROM (SELECT * FROM raw_accounting QUALIFY _seq = max(_seq) OVER (PARTITION BY period, ansvar)) a
LEFT JOIN ansvar_units au USING (ansvar)
GROUP BY a.period, a.ansvar, a.art, a.funksjon, au.unit_id;

-- Measures (see 40_indicator_values.sql for the columns):
--   accounting:deviation_pct       (actual − budget) / |budget| × 100, year to date, per month
--   accounting:deviation_nok       actual − budget in kroner, year to date, per month
--   accounting:forecast_pct        (year-end forecast − the year's budget) / |the year's budget| × 100, per tertial
--   accounting:units_within_budget units with actual ≤ budget year to date / units with accounts × 100 (kommune)
-- Positive deviations are overspending. The kommune's figures are sums over all lines, never means of
-- the units' percentages. |budget| keeps the sign right for a unit whose net budget is an income.
--
-- Booked months: an export made during the year often carries the periodised budget for every month of
-- the year, with nothing booked yet (regnskap 0) in the months to come. A month counts as booked when it
-- is no later than the year's last month with any amount booked (any line's regnskap other than 0); the
-- year-to-date measures run over booked months only, so a month to come is never a month of 100 %
-- underspending. Its budget lines still tell the year's budget.
--
-- The year's budget for a forecast made in month m (the revised budget the forecast is measured against),
-- per line: the `årsbudsjett` the line states in month m; otherwise the sum of the line's periodised
-- budget over the year, when the warehouse holds all twelve months of that year (a finished year, or an
-- export carrying the budget for the months to come). With neither, the year's budget is unknown and the
-- scope gets no forecast deviation for that tertial: it is never extrapolated from the months so far.
CREATE TABLE measures_accounting AS
WITH kommune AS (
    SELECT kommune_code() AS code
),
vintage AS (
    SELECT 'regnskap lastet ' || strftime(max(first_loaded(_sha)), '%d.%m.%Y') AS text
    FROM (SELECT DISTINCT _sha FROM accounting)
),
booked AS (  -- per year, the last month with anything booked
    SELECT year(period) AS year, max(period) FILTER (WHERE actual <> 0) AS last_booked
    FROM accounting GROUP BY year(period)
),
monthly AS (  -- per scope and booked month; the kommune is every line, whatever its unit
    SELECT 'enhet' AS scope, unit_id AS scope_code, period, sum(actual) AS actual, sum(budget) AS budget
    FROM accounting JOIN booked b ON b.year = year(period) AND period <= b.last_booked
    WHERE unit_id IS NOT NULL GROUP BY unit_id, period
    UNION ALL
    SELECT 'kommune', (SELECT code FROM kommune), period, sum(actual), sum(budget)
    FROM accounting JOIN booked b ON b.year = year(period) AND period <= b.last_booked
    GROUP BY period
),
ytd AS (  -- year to date: the months of the year up to and including this one
    SELECT scope, scope_code, period,
           sum(actual) OVER w AS actual, sum(budget) OVER w AS budget
    FROM monthly
    WINDOW w AS (PARTITION BY scope, scope_code, year(period) ORDER BY period)
),
full_years AS (  -- years with budget lines for all twelve months
    SELECT year(period) AS year FROM accounting GROUP BY 1 HAVING count(DISTINCT month(period)) = 12
),
line_years AS (  -- every line of a year, with its periodised budget over the year when all twelve months are there
    SELECT ansvar, art, funksjon, year(period) AS year, any_value(unit_id) AS unit_id,
           CASE WHEN year(period) IN (SELECT year FROM full_years) THEN sum(budget) END AS periodised
    FROM accounting
    GROUP BY ansvar, art, funksjon, year(period)
),
forecast_periods AS (
    SELECT DISTINCT period FROM accounting WHERE forecast IS NOT NULL
),
lines AS (
    -- For each month holding a forecast: the lines of that month, and (a full year) every line of the year,
    -- each with the year's budget as of that month. A line without a forecast that month is taken to end
    -- the year on budget.
    SELECT f.period, l.unit_id, a.forecast, coalesce(a.annual_budget, l.periodised) AS year_budget
    FROM forecast_periods f
    JOIN line_years l ON l.year = year(f.period)
    LEFT JOIN accounting a
      ON a.period = f.period AND a.ansvar = l.ansvar AND a.art = l.art AND a.funksjon IS NOT DISTINCT FROM l.funksjon
    WHERE a.period IS NOT NULL OR l.periodised IS NOT NULL
),
forecast_months AS (
    SELECT 'enhet' AS scope, unit_id AS scope_code, period, sum(forecast - year_budget) AS deviation,
           sum(year_budget) AS budget, count(forecast) AS forecasts, count(*) - count(year_budget) AS unknown
    FROM lines WHERE unit_id IS NOT NULL GROUP BY unit_id, period
    UNION ALL
    SELECT 'kommune', (SELECT code FROM kommune), period, sum(forecast - year_budget), sum(year_budget),
           count(forecast), count(*) - count(year_budget)
    FROM lines GROUP BY period
),
forecasts AS (  -- the newest forecast month within a tertial is that tertial's forecast
    SELECT scope, scope_code, tertial_start(period) AS period, deviation, budget, unknown
    FROM forecast_months
    WHERE forecasts > 0
    QUALIFY row_number() OVER (PARTITION BY scope, scope_code, tertial_start(period) ORDER BY period DESC) = 1
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
    WHERE unknown = 0  -- the year's budget is known for every line of the scope
    UNION ALL BY NAME
    SELECT 'accounting:units_within_budget' AS source_ref, 'kommune' AS scope, (SELECT code FROM kommune) AS scope_code,
           period, 'month' AS period_type, within / units * 100 AS value, within AS numerator, units AS denominator
    FROM within
)
SELECT *, (SELECT text FROM vintage) AS vintage FROM measures;

-- What the relation covers, for the Data page and Styringshjul (61_source_coverage.sql gathers every coverage_…).
CREATE VIEW coverage_accounting AS
SELECT 'regnskap' AS kind, NULL::VARCHAR AS detail, min(period) AS covered_from,
       max(period) + INTERVAL 1 MONTH - INTERVAL 1 DAY AS covered_to, NULL::VARCHAR AS vintage
FROM accounting;
