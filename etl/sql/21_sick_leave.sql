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
-- same period a year earlier (sick leave is seasonal: Q1 high, Q3 low). A unit with all twelve months of a
-- year (or, without months, its four quarters) also gets the year's figure, its days summed, as a `year`
-- row, and the kommune gets one when every unit with sick leave that year has one (their days summed,
-- months and quarters alike): a year's report states the year, not its December (a file gives months or
-- quarters, never a year).
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
unit_years AS (  -- per unit and year: its months' and its quarters' days
    SELECT unit_id, year(period) AS y,
           count(*) FILTER (WHERE period_type = 'month') AS months,
           count(*) FILTER (WHERE period_type = 'quarter') AS quarters,
           sum(possible_days) FILTER (WHERE period_type = 'month') AS pm,
           sum(lost_days_self) FILTER (WHERE period_type = 'month') AS sm,
           sum(lost_days_doctor) FILTER (WHERE period_type = 'month') AS dm,
           sum(possible_days) FILTER (WHERE period_type = 'quarter') AS pq,
           sum(lost_days_self) FILTER (WHERE period_type = 'quarter') AS sq,
           sum(lost_days_doctor) FILTER (WHERE period_type = 'quarter') AS dq
    FROM sick_leave WHERE unit_id IS NOT NULL
    GROUP BY unit_id, year(period)
),
whole_units AS (  -- a unit's whole year: its twelve months, or (no months) its four quarters
    SELECT unit_id, y,
           CASE WHEN months = 12 THEN pm ELSE pq END AS possible,
           CASE WHEN months = 12 THEN sm ELSE sq END AS self,
           CASE WHEN months = 12 THEN dm ELSE dq END AS doctor
    FROM unit_years WHERE months = 12 OR (months = 0 AND quarters = 4)
),
whole_years AS (
    SELECT 'enhet' AS scope, unit_id AS scope_code, make_date(y, 1, 1) AS period, 'year' AS period_type,
           possible, self, doctor
    FROM whole_units
    UNION ALL  -- the kommune's year: only when every unit with sick leave that year has a whole year
    SELECT 'kommune', kommune_code(), make_date(w.y, 1, 1), 'year', sum(possible), sum(self), sum(doctor)
    FROM whole_units w
    GROUP BY w.y
    HAVING count(*) = (SELECT count(*) FROM unit_years u WHERE u.y = w.y)
       AND NOT EXISTS (SELECT 1 FROM sick_leave s WHERE s.unit_id IS NULL AND year(s.period) = w.y)
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
