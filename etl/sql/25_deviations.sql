-- Deviations (avvik): the clean relation, the overdue list and the measures.
--
-- `deviations`: one row per avvik, as the newest register extract listing it says. The free-text
-- description is never stored (it may hold personal data). The register is judged as of `as_of`: the
-- day the newest extract was loaded, or the register's latest entry (`last_entry`, an avvik reported or
-- closed) if that is earlier. An avvik register gets entries most days, so the two agree for a fresh
-- extract, while an extract loaded long after it was made is judged as of its own last day: it cannot
-- know which of its open avvik were closed later, so it never calls them overdue on its behalf.

CREATE VIEW deviations AS
SELECT deviation_id, unit_id, category, severity, reported_on, due_on, closed_on, _sha
FROM raw_deviations
QUALIFY _seq = max(_seq) OVER (PARTITION BY deviation_id);

CREATE VIEW deviations_as_of AS
WITH known AS (
    SELECT (SELECT max(first_loaded(_sha)) FROM (SELECT DISTINCT _sha FROM deviations)) AS loaded_on,
           (SELECT greatest(max(reported_on), max(closed_on)) FROM deviations) AS last_entry
)
SELECT least(loaded_on, last_entry) AS as_of, last_entry FROM known;

-- The open avvik past their deadline, oldest deadline first: what the unit leader must close.
CREATE VIEW deviations_overdue AS
SELECT d.deviation_id, d.unit_id, u.name AS unit_name, d.category, d.severity, d.reported_on, d.due_on,
       date_diff('day', d.due_on, a.as_of) AS days_overdue, a.as_of
FROM deviations d
CROSS JOIN deviations_as_of a
LEFT JOIN units u USING (unit_id)
WHERE d.closed_on IS NULL AND d.due_on < a.as_of
ORDER BY d.due_on, d.deviation_id;

-- Measures, per tertial, per unit and for the kommune:
--   deviations:closed_by_deadline  avvik with their deadline in the tertial that were closed by it / those
--                                  avvik × 100; an avvik not yet due on `as_of` counts only once closed
--   deviations:open_overdue        avvik open at the tertial's end (or on `as_of`, for the tertial running
--                                  then) whose deadline had passed; 0 is a value: every unit in operation
--                                  gets one for every tertial from the first avvik to `as_of`
CREATE TABLE measures_deviations AS
WITH kommune AS (
    SELECT kommune_code() AS code
),
tertials AS (
    SELECT t::DATE AS start, tertial_end(t) AS "end", least(tertial_end(t), a.as_of) AS at, a.as_of
    FROM deviations_as_of a,
         generate_series((SELECT tertial_start(min(reported_on)) FROM deviations), least(a.last_entry, a.as_of),
                         INTERVAL 4 MONTH) g(t)
),
scopes AS (  -- the kommune, and each unit for the tertials it was in operation
    SELECT 'kommune' AS scope, (SELECT code FROM kommune) AS scope_code, NULL AS unit_id, t.*
    FROM tertials t
    UNION ALL
    SELECT 'enhet', u.unit_id, u.unit_id, t.*
    FROM units u JOIN tertials t
      ON (u.valid_from IS NULL OR u.valid_from <= t."end") AND (u.valid_to IS NULL OR u.valid_to >= t.start)
),
counted AS (
    SELECT s.scope, s.scope_code, s.start AS period,
           count(d.deviation_id) FILTER (
               WHERE d.due_on < s.at AND (d.closed_on IS NULL OR d.closed_on > s.at)) AS open_overdue,
           count(d.deviation_id) FILTER (
               WHERE d.due_on BETWEEN s.start AND s."end" AND (d.due_on < s.as_of OR d.closed_on IS NOT NULL))
               AS due,
           count(d.deviation_id) FILTER (
               WHERE d.due_on BETWEEN s.start AND s."end" AND d.closed_on <= d.due_on) AS closed_in_time
    FROM scopes s
    LEFT JOIN deviations d ON (s.unit_id IS NULL OR d.unit_id = s.unit_id) AND d.reported_on <= s.at
    GROUP BY s.scope, s.scope_code, s.start
)
SELECT 'deviations:open_overdue' AS source_ref, scope, scope_code, period, 'tertial' AS period_type,
       open_overdue AS value, NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator,
       'avviksregister per ' || strftime((SELECT as_of FROM deviations_as_of), '%d.%m.%Y') AS vintage
FROM counted
UNION ALL
SELECT 'deviations:closed_by_deadline', scope, scope_code, period, 'tertial',
       closed_in_time / due * 100, closed_in_time, due,
       'avviksregister per ' || strftime((SELECT as_of FROM deviations_as_of), '%d.%m.%Y')
FROM counted
WHERE due > 0;

-- What the relation covers, for the Data page and Styringshjul (61_source_coverage.sql gathers every coverage_…).
CREATE VIEW coverage_deviations AS
SELECT 'avvik' AS kind, NULL::VARCHAR AS detail, min(reported_on) AS covered_from,
       greatest(max(reported_on), max(closed_on)) AS covered_to, NULL::VARCHAR AS vintage
FROM deviations;
