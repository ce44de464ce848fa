-- Staff (personal): the clean relation and its measures, the arbeidsgiverrapport's figures.
--
-- `staff`: one row per period × unit (year or month). Stock figures (employees, part time …) are at
-- the end of the period; `left` counts those who left during it. Lines given by ansvar are summed.

CREATE VIEW staff AS
SELECT s.period, s.period_type, coalesce(s.unit_id, au.unit_id) AS unit_id,
       sum(employees) AS employees, sum(fte) AS fte, sum(women) AS women, sum(men) AS men,
       sum(part_time) AS part_time, sum(involuntary_part_time) AS involuntary_part_time,
       sum(temporary) AS temporary, sum("left") AS "left", any_value(s._sha) AS _sha
FROM (SELECT * FROM raw_staff QUALIFY _seq = max(_seq) OVER (PARTITION BY period, period_type)) s
LEFT JOIN ansvar_units au ON s.unit_id IS NULL AND au.ansvar = s.ansvar
GROUP BY s.period, s.period_type, coalesce(s.unit_id, au.unit_id);

-- Measures, per year, per unit and for the kommune (sums of the units' counts, never means of shares):
--   staff:turnover                     left during the year / average employees over the year's periods × 100
--   staff:full_time_share              (employees − part time) / employees × 100, at the year's last period
--   staff:involuntary_part_time_share  involuntary part time / employees × 100, at the year's last period
--   staff:temporary_share              temporary / employees × 100, at the year's last period
--   staff:women_share                  women / (women + men) × 100, at the year's last period
--   staff:employees, staff:fte         headcount and årsverk at the year's last period (for the catalogue)
-- A yearly file gives one period per year, so its figures are used as they are.
CREATE VIEW measures_staff AS
WITH yearly AS (  -- one row per unit and year (lines whose ansvar lost its unit count for the kommune only)
    SELECT unit_id, year(period) AS year,
           sum("left") AS "left",
           avg(employees) FILTER (WHERE "left" IS NOT NULL) AS avg_employees,
           arg_max(employees, period) AS employees, arg_max(fte, period) AS fte,
           arg_max(women, period) AS women, arg_max(men, period) AS men,
           arg_max(part_time, period) AS part_time, arg_max(involuntary_part_time, period) AS involuntary,
           arg_max(temporary, period) AS temporary
    FROM staff
    GROUP BY unit_id, year(period)
),
parts AS (  -- each measure as numerator and denominator per unit (counts have no denominator)
    SELECT unit_id, year, 'staff:turnover' AS ref, "left" AS num, avg_employees AS den FROM yearly
    UNION ALL SELECT unit_id, year, 'staff:full_time_share', employees - part_time, employees FROM yearly
    UNION ALL SELECT unit_id, year, 'staff:involuntary_part_time_share', involuntary, employees FROM yearly
    UNION ALL SELECT unit_id, year, 'staff:temporary_share', temporary, employees FROM yearly
    UNION ALL SELECT unit_id, year, 'staff:women_share', women, women + men FROM yearly
    UNION ALL SELECT unit_id, year, 'staff:employees', employees, NULL FROM yearly
    UNION ALL SELECT unit_id, year, 'staff:fte', fte, NULL FROM yearly
),
known AS (  -- a unit missing a figure is left out of that measure, for itself and for the kommune
    SELECT * FROM parts WHERE num IS NOT NULL AND (den IS NOT NULL OR ref IN ('staff:employees', 'staff:fte'))
),
scoped AS (
    SELECT 'enhet' AS scope, unit_id AS scope_code, year, ref, num, den FROM known WHERE unit_id IS NOT NULL
    UNION ALL
    SELECT 'kommune', (SELECT value FROM meta WHERE key = 'kommune_code'), year, ref, sum(num), sum(den)
    FROM known GROUP BY year, ref
)
SELECT ref AS source_ref, scope, scope_code, make_date(year, 1, 1) AS period, 'year' AS period_type,
       CASE WHEN den IS NULL THEN num ELSE num / nullif(den, 0) * 100 END AS value,
       CASE WHEN den IS NOT NULL THEN num END AS numerator, den AS denominator,
       (SELECT 'personaldata lastet ' || strftime(max(loaded_on), '%d.%m.%Y')
        FROM file_loaded WHERE sha256 IN (SELECT _sha FROM staff)) AS vintage
FROM scoped;
