-- Anonymity (domain §3): a unit's survey result with fewer answers than the minimum never reaches a
-- reader, neither directly nor by subtraction from the kommune figure.
--
-- The loader already held such cells back (etl/checks/anonymity.py): it stored a marker in their place, with no
-- value (a blank mean or value), and held back with them the smallest other units of the group until
-- the answers no shown unit accounts for were at least the minimum (their markers keep their own n,
-- which is at least the minimum; a cell with too few answers keeps no n). This table applies the same
-- rule again to what is stored, so that a minimum raised since, or a kommune row and unit rows of an
-- `indikatorverdier` indicator that came in different files, never opens a way to a held-back figure.
--
-- A group is the cells that add up to one kommune figure: user survey year × service × dimension,
-- 10-FAKTOR year × factor, `indikatorverdier` indicator × period. The kommune figure's n less the shown
-- units' n is what subtraction would give the mean of: the answers of units held back for too few, and of
-- units a file left out (portals often omit small units but keep the kommune total). When that is more
-- than none, the shown units are held back smallest first (by n, then unit id) while it is below the
-- minimum, and the kommune figure too if it rests on fewer answers than the minimum itself.
-- 40_indicator_values.sql applies the rule once more to everything published for an indicator × period,
-- whatever source each figure came from.
--
-- A cell is named by its source and `args`, the parameters of the measure it feeds: [service, dimension]
-- for the user survey (measure user_survey, 23_user_survey.sql), [factor] for 10-FAKTOR (employee_survey,
-- 24_employee_survey.sql), [indicator_id] for `indikatorverdier`. No kind is listed here: each kind's spec
-- declares its cells in `[anonymity]` (`period`, `value`, and `indicator` for one that is not a survey), and
-- the build makes them the view `anonymity_cells_<relation>` that the gather line below collects.
--
-- `anonymity_held` holds only which cells are held back and why (`for få svar`, or `skjult av
-- personvernhensyn` for a cell held back to shield another): never a value, never an n.

-- gather anonymity_cells from anonymity_cells_*
CREATE TABLE anonymity_held AS
WITH default_min AS (
    SELECT value::INTEGER AS n FROM meta WHERE key = 'min_n'
),
source_min AS (  -- a survey's minimum is the strictest of the catalogue indicators it feeds
    SELECT k.kind AS source, coalesce(max(i.min_n), (SELECT n FROM default_min)) AS min_n
    FROM kinds k  -- the kinds whose spec says `[anonymity] survey = true`
    LEFT JOIN indicators i ON i.source = k.catalogue_source
    WHERE k.survey
    GROUP BY k.kind
),
cells AS (  -- every kind's cells, declared by its spec's [anonymity] (etl/checks/anonymity.py cells_sql)
    SELECT c.* REPLACE (CASE WHEN c.survey THEN m.min_n ELSE c.min_n END AS min_n)
    FROM anonymity_cells c
    LEFT JOIN source_min m ON m.source = c.source
),
flagged AS (
    SELECT *,
           unit_id IS NOT NULL AND (marker AND n IS NULL OR NOT marker AND n < min_n) AS too_few,
           unit_id IS NOT NULL AND NOT marker AND NOT coalesce(n < min_n, false) AS shown
    FROM cells
),
groups AS (
    SELECT source, args, period, period_type, any_value(min_n) AS min_n, bool_and(survey) AS survey,
           bool_or(too_few) AS has_too_few,
           bool_or(unit_id IS NULL) AS has_kommune_row,  -- a kommune row, or the marker of one held back
           bool_or(unit_id IS NULL AND NOT marker) AS kommune_shown,
           bool_or(unit_id IS NOT NULL) AS has_units,
           any_value(n) FILTER (WHERE unit_id IS NULL AND NOT marker) AS kommune_n,
           sum(coalesce(n, 0)) FILTER (WHERE unit_id IS NOT NULL AND NOT marker) AS units_n,
           count(DISTINCT scale) FILTER (WHERE unit_id IS NOT NULL AND NOT marker) AS scales,
           coalesce(sum(coalesce(n, 0)) FILTER (WHERE shown), 0) AS shown_n,
           coalesce(sum(n) FILTER (WHERE unit_id IS NOT NULL AND marker), 0) AS shielding_n  -- a shield keeps its n
    FROM flagged
    GROUP BY source, args, period, period_type
),
figure AS (  -- the kommune figure's n: its row's, or (no row) the units' sum, as a kommune figure made from them
    SELECT *,
           CASE WHEN kommune_n IS NOT NULL THEN kommune_n
                WHEN NOT has_kommune_row THEN units_n
                -- a kommune figure without n beside a unit held back: its answers are the shown units', the
                -- shields' (their markers keep n) and at least one more (the loader counted them; a marker for
                -- too few keeps no n), so the rule shields as if one answer were unaccounted for, the least
                -- that subtraction could give the mean of (the kommune figure itself stays: the loader, which
                -- knew its units' n, let it through)
                WHEN kommune_shown AND has_too_few THEN shown_n + shielding_n + 1 END AS figure_n,
           -- a survey group without a kommune row gets its kommune figure from the units (one scale only)
           NOT has_kommune_row AND survey AND scales = 1 AS computed_kommune
    FROM groups
),
shielding AS (  -- shown units of a group with a unit held back, smallest first
    SELECT f.source, f.args, f.period, f.period_type, f.unit_id,
           g.figure_n - g.shown_n
               + coalesce(sum(coalesce(f.n, 0)) OVER (
                   PARTITION BY f.source, f.args, f.period, f.period_type ORDER BY coalesce(f.n, 0), f.unit_id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS unaccounted,
           g.min_n
    FROM flagged f
    JOIN figure g USING (source, args, period, period_type)
    WHERE f.shown AND g.figure_n > g.shown_n  -- answers no shown unit stands for
)
SELECT source, args, period, period_type, unit_id,
       CASE WHEN marker AND n IS NOT NULL THEN 'skjult av personvernhensyn' ELSE 'for få svar' END AS reason
FROM flagged
WHERE marker OR too_few
UNION ALL
SELECT source, args, period, period_type, unit_id, 'skjult av personvernhensyn'
FROM shielding
WHERE unaccounted < min_n
UNION ALL  -- a kommune figure resting on too few answers that would show a held-back unit
SELECT f.source, f.args, f.period, f.period_type, NULL, 'for få svar'
FROM figure f
WHERE f.has_units AND f.figure_n > f.shown_n AND f.figure_n < f.min_n
  AND (f.kommune_n IS NOT NULL OR f.computed_kommune);
