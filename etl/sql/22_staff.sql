-- Staff (personal): the clean relation and its measures, the arbeidsgiverrapport's figures.
--
-- `staff`: one row per period × unit (year or month). Stock figures (employees, part time …) are at
-- the end of the period; `left` counts those who left during it. Lines given by ansvar are summed.

CREATE VIEW staff AS
SELECT s.period, s.period_type, coalesce(s.unit_id, au.unit_id) AS unit_id,
       sum(employees) AS employees, sum(fte) AS fte, sum(women) AS women, sum(men) AS men,
       sum(part_time) AS part_time, sum(involuntary_part_time) AS involuntary_part_time,
       sum(temporary) AS temporary, sum("left") AS "left", any_value(s._sha) AS _sha
FROM (SELECT r.* FROM raw_staff r LEFT JOIN ansvar_units a ON r.unit_id IS NULL AND a.ansvar = r.ansvar
      QUALIFY r._seq = max(r._seq) OVER (PARTITION BY r.period, r.period_type, coalesce(r.unit_id, a.unit_id, r.ansvar))) s
LEFT JOIN ansvar_units au ON s.unit_id IS NULL AND au.ansvar = s.ansvar
GROUP BY s.period, s.period_type, coalesce(s.unit_id, au.unit_id);

-- Measures, per year, per unit and for the kommune (sums of the units' counts, never means of shares):
--   staff:turnover                     left during the year / average employees over the year × 100
--   staff:full_time_share              (employees − part time) / employees × 100, at the year's last period
--   staff:involuntary_part_time_share  involuntary part time / employees × 100, at the year's last period
--   staff:temporary_share              temporary / employees × 100, at the year's last period
--   staff:women_share                  women / (women + men) × 100, at the year's last period
--   staff:employees, staff:fte         headcount and årsverk at the year's last period (for the catalogue)
--
-- Which rows make a unit's year: a yearly row (period type year) is the year's figure; monthly rows make
-- the year only when the unit has no yearly row for it. So a yearly file and monthly files for the same
-- year never count those who left twice.
--
-- Average employees, the turnover's denominator: from monthly rows, the mean of the monthly stocks
-- (months with `sluttet` given); from a yearly row, the mean of the stock at the end of the previous year
-- (its yearly row, or its last monthly stock) and at the end of this one. Where the previous year is not
-- loaded, only this year's stock is known and is used alone; the vintage says so.
CREATE TABLE measures_staff AS
WITH chosen AS (
    SELECT s.*, year(s.period) AS year
    FROM staff s
    WHERE s.period_type = 'year' OR NOT EXISTS (
        SELECT 1 FROM staff y
        WHERE y.period_type = 'year' AND year(y.period) = year(s.period) AND y.unit_id IS NOT DISTINCT FROM s.unit_id)
),
yearly AS (  -- one row per unit and year (lines whose ansvar lost its unit count for the kommune only)
    SELECT unit_id, year, bool_or(period_type = 'year') AS from_year_row,
           sum("left") AS "left",
           avg(employees) FILTER (WHERE "left" IS NOT NULL) AS mean_monthly_employees,
           arg_max(employees, period) AS employees, arg_max(fte, period) AS fte,
           arg_max(women, period) AS women, arg_max(men, period) AS men,
           arg_max(part_time, period) AS part_time, arg_max(involuntary_part_time, period) AS involuntary,
           arg_max(temporary, period) AS temporary
    FROM chosen
    GROUP BY unit_id, year
),
averaged AS (
    SELECT y.*,
           CASE WHEN NOT y.from_year_row THEN y.mean_monthly_employees
                WHEN p.employees IS NOT NULL THEN (p.employees + y.employees) / 2
                ELSE y.employees END AS avg_employees,
           y.from_year_row AND p.employees IS NULL AS year_end_only
    FROM yearly y
    LEFT JOIN yearly p ON p.unit_id IS NOT DISTINCT FROM y.unit_id AND p.year = y.year - 1
),
parts AS (  -- each measure as numerator and denominator per unit (counts have no denominator)
    SELECT unit_id, year, 'staff:turnover' AS ref, "left" AS num, avg_employees AS den, year_end_only FROM averaged
    UNION ALL SELECT unit_id, year, 'staff:full_time_share', employees - part_time, employees, false FROM yearly
    UNION ALL SELECT unit_id, year, 'staff:involuntary_part_time_share', involuntary, employees, false FROM yearly
    UNION ALL SELECT unit_id, year, 'staff:temporary_share', temporary, employees, false FROM yearly
    UNION ALL SELECT unit_id, year, 'staff:women_share', women, women + men, false FROM yearly
    UNION ALL SELECT unit_id, year, 'staff:employees', employees, NULL, false FROM yearly
    UNION ALL SELECT unit_id, year, 'staff:fte', fte, NULL, false FROM yearly
),
known AS (  -- a unit missing a figure is left out of that measure, for itself and for the kommune
    SELECT * FROM parts WHERE num IS NOT NULL AND (den IS NOT NULL OR ref IN ('staff:employees', 'staff:fte'))
),
scoped AS (
    SELECT 'enhet' AS scope, unit_id AS scope_code, year, ref, num, den,
           CASE WHEN year_end_only THEN 1 ELSE 0 END AS year_end_only, 1 AS units
    FROM known WHERE unit_id IS NOT NULL
    UNION ALL
    SELECT 'kommune', kommune_code(), year, ref, sum(num), sum(den),
           count(*) FILTER (WHERE year_end_only), count(*)
    FROM known GROUP BY year, ref
),
loaded AS (
    SELECT 'personaldata lastet ' || strftime(max(first_loaded(_sha)), '%d.%m.%Y') AS text
    FROM (SELECT DISTINCT _sha FROM staff)
)
SELECT ref AS source_ref, scope, scope_code, make_date(year, 1, 1) AS period, 'year' AS period_type,
       CASE WHEN den IS NULL THEN num ELSE num / nullif(den, 0) * 100 END AS value,
       CASE WHEN den IS NOT NULL THEN num END AS numerator, den AS denominator,
       (SELECT text FROM loaded) || CASE
           WHEN year_end_only = 0 THEN ''
           WHEN scope = 'enhet' THEN '; snitt ansatte er bare bestanden ved årets slutt (' || (year - 1) || ' er ikke lastet)'
           ELSE '; snitt ansatte er bare bestanden ved årets slutt for ' || year_end_only || ' av ' || units
                || ' enheter (' || (year - 1) || ' er ikke lastet)'
       END AS vintage
FROM scoped;

-- What the relation covers, for the Data page and Styringshjul (61_source_coverage.sql gathers every coverage_…).
CREATE VIEW coverage_staff AS
SELECT 'personal' AS kind, NULL::VARCHAR AS detail, min(period) AS covered_from,
       max(period_after(period, period_type)) - INTERVAL 1 DAY AS covered_to,
       NULL::VARCHAR AS vintage
FROM staff;
