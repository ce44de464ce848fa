-- Sick leave (sykefravær): the clean relation and its measures.
--
-- `sick_leave`: one row per period × unit, in days. The newest file for a period and unit replaces that
-- unit's period (a file replaces only the units it lists); lines given by ansvar are mapped to their unit and summed.

CREATE VIEW sick_leave AS
SELECT s.period, s.period_type, coalesce(s.unit_id, au.unit_id) AS unit_id,
       sum(s.possible_days) AS possible_days, sum(s.lost_days_self) AS lost_days_self,
       sum(s.lost_days_doctor) AS lost_days_doctor, any_value(s._sha) AS _sha
FROM (SELECT r.* FROM raw_sick_leave r LEFT JOIN ansvar_units a ON r.unit_id IS NULL AND a.ansvar = r.ansvar
      QUALIFY r._seq = max(r._seq) OVER (PARTITION BY r.period, r.period_type, coalesce(r.unit_id, a.unit_id, r.ansvar))) s
LEFT JOIN ansvar_units au ON s.unit_id IS NULL AND au.ansvar = s.ansvar
GROUP BY s.period, s.period_type, coalesce(s.unit_id, au.unit_id);

-- Measures: sick_leave:total, sick_leave:self (egenmeldt), sick_leave:doctor (legemeldt) = lost days /
-- possible days × 100, per unit and for the kommune, in the file's periods (month or quarter). The
-- kommune sums the units' days: never a mean of percentages. The scorecard sets each value beside the
-- same period a year earlier (sick leave is seasonal: Q1 high, Q3 low). A year whose twelve months (or
-- four quarters) a scope has all of also gets the year's figure, its days summed, as a `year` row: a
-- year's report states the year, not its December (a file gives months or quarters, never a year).
CREATE TABLE measures_sick_leave AS
WITH scoped AS (
    SELECT 'enhet' AS scope, unit_id AS scope_code, period, period_type,
           sum(possible_days) AS possible, sum(lost_days_self) AS self, sum(lost_days_doctor) AS doctor
    FROM sick_leave WHERE unit_id IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'kommune', kommune_code(), period, period_type,
           sum(possible_days), sum(lost_days_self), sum(lost_days_doctor)
    FROM sick_leave GROUP BY period, period_type
),
whole_years AS (
    SELECT scope, scope_code, make_date(y, 1, 1) AS period, 'year' AS period_type, possible, self, doctor
    FROM (
        SELECT scope, scope_code, year(period) AS y, period_type,
               sum(possible) AS possible, sum(self) AS self, sum(doctor) AS doctor
        FROM scoped
        WHERE period_type IN ('month', 'quarter')
        GROUP BY scope, scope_code, year(period), period_type
        HAVING count(*) = CASE period_type WHEN 'month' THEN 12 ELSE 4 END
    ) g
    QUALIFY row_number() OVER (PARTITION BY scope, scope_code, y ORDER BY period_type) = 1  -- months first
),
periods AS (
    SELECT * FROM scoped UNION ALL SELECT * FROM whole_years
),
measures AS (  -- the catalogue's kilde_ref, written out whole so that a search for it finds this file
    SELECT 'sick_leave:total' AS source_ref UNION ALL SELECT 'sick_leave:self' UNION ALL SELECT 'sick_leave:doctor'
)
SELECT m.source_ref, s.scope, s.scope_code, s.period, s.period_type,
       lost / nullif(s.possible, 0) * 100 AS value, lost AS numerator, s.possible AS denominator,
       (SELECT 'sykefravær lastet ' || strftime(max(first_loaded(_sha)), '%d.%m.%Y')
        FROM (SELECT DISTINCT _sha FROM sick_leave)) AS vintage
FROM periods s
CROSS JOIN measures m
CROSS JOIN LATERAL (SELECT CASE m.source_ref WHEN 'sick_leave:self' THEN s.self WHEN 'sick_leave:doctor' THEN s.doctor
                                             ELSE s.self + s.doctor END AS lost);

-- What the relation covers, for the Data page and Styringshjul (61_source_coverage.sql gathers every coverage_…).
CREATE VIEW coverage_sick_leave AS
SELECT 'sykefravær' AS kind, NULL::VARCHAR AS detail, min(period) AS covered_from,
       max(period_after(period, period_type)) - INTERVAL 1 DAY AS covered_to,
       NULL::VARCHAR AS vintage
FROM sick_leave;
