-- Follow-up of political decisions (vedtak): the clean relation, the overdue list and the measure.
--
-- `decisions`: one row per decision (saksnr × utvalg), as the newest register listing it says. Titles
-- and comments are stored as the literal text of the file (markup and formulas stay text). Status is
-- one of 'ikke startet', 'pågår', 'iverksatt'.
--
-- One "as of" for the register (`decisions_as_of.as_of`), used by both the overdue list and the measure:
-- a decision is overdue when its deadline is before `as_of` and it is not carried out. `as_of` is the day
-- the newest register file was loaded, but never later than the close of the tertial holding the
-- register's latest entry (`last_entry`: a meeting, or a date carried out); that is, the first day of
-- the next tertial. A vedtak register is made for a tertial report and updated between meetings, so a
-- fresh extract is judged on the day it is loaded; an extract loaded long after it was made is judged
-- at the close of its own tertial, since it cannot know what was carried out after that. The measure
-- covers the tertials up to the one holding the day before `as_of`, so every decision on the overdue list
-- counts, as not carried out, in its tertial.

CREATE VIEW decisions AS
SELECT case_no, committee, meeting_date, title, unit_id, due_on, status, comment, done_on, _sha
FROM raw_decisions
QUALIFY _seq = max(_seq) OVER (PARTITION BY case_no, committee);

CREATE VIEW decisions_as_of AS
WITH known AS (
    SELECT (SELECT max(first_loaded(_sha)) FROM (SELECT DISTINCT _sha FROM decisions)) AS loaded_on,
           (SELECT greatest(max(meeting_date), max(done_on)) FROM decisions) AS last_entry
)
SELECT least(loaded_on, tertial_end(last_entry) + 1) AS as_of, last_entry, loaded_on FROM known;

-- Decisions past their deadline and not carried out, oldest deadline first.
CREATE VIEW decisions_overdue AS
SELECT d.case_no, d.committee, d.meeting_date, d.title, d.unit_id, u.name AS unit_name, d.due_on, d.status,
       d.comment, date_diff('day', d.due_on, a.as_of) AS days_overdue, a.as_of
FROM decisions d
CROSS JOIN decisions_as_of a
LEFT JOIN units u USING (unit_id)
WHERE d.status <> 'iverksatt' AND d.due_on < a.as_of
ORDER BY d.due_on, d.case_no;

-- Measure decisions:done_by_deadline, per tertial of the deadline, for the kommune and per responsible
-- unit: decisions carried out (by the deadline, where the register gives the date) / decisions due in
-- the tertial × 100, for the tertials up to the one holding the day before `as_of`. A decision not yet
-- due on `as_of` counts only once carried out.
CREATE TABLE measures_decisions AS
WITH due AS (
    SELECT d.*, tertial_start(d.due_on) AS period,
           d.status = 'iverksatt' AND (d.done_on IS NULL OR d.done_on <= d.due_on) AS in_time
    FROM decisions d CROSS JOIN decisions_as_of a
    WHERE d.due_on IS NOT NULL AND (d.due_on < a.as_of OR d.status = 'iverksatt')
      AND tertial_start(d.due_on) <= tertial_start(a.as_of - 1)
),
scoped AS (
    SELECT 'kommune' AS scope, kommune_code() AS scope_code, period,
           count(*) FILTER (WHERE in_time) AS done, count(*) AS total
    FROM due GROUP BY period
    UNION ALL
    SELECT 'enhet', unit_id, period, count(*) FILTER (WHERE in_time), count(*)
    FROM due WHERE unit_id IS NOT NULL GROUP BY unit_id, period
)
SELECT 'decisions:done_by_deadline' AS source_ref, scope, scope_code, period, 'tertial' AS period_type,
       done / total * 100 AS value, done AS numerator, total AS denominator,
       'vedtaksoppfølging per ' || strftime((SELECT as_of FROM decisions_as_of), '%d.%m.%Y') AS vintage
FROM scoped;

-- What the relation covers, for the Data page and Styringshjul (61_source_coverage.sql gathers every coverage_…).
CREATE VIEW coverage_decisions AS
SELECT 'vedtak' AS kind, NULL::VARCHAR AS detail, min(meeting_date) AS covered_from,
       greatest(max(meeting_date), max(done_on)) AS covered_to, NULL::VARCHAR AS vintage
FROM decisions;
