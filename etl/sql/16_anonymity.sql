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
),
held AS (  -- what the rule holds back within each source
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
      AND (f.kommune_n IS NOT NULL OR f.computed_kommune)
),
-- Across sources: an indicator that reads a survey cell may also get figures from `indikatorverdier` (a unit's
-- figure typed in from another report), and each source's own relation is published (`user_survey`,
-- `manual_values`): a manual figure for one unit beside the survey's kommune figure gives the mean of the
-- units the survey held back. So a manual figure of such an indicator counts in the survey cell's group, a
-- unit counts as shown when any source shows it (with the most answers one gives it), and the rule runs once
-- more over the groups two sources give figures to; every cell of a unit it holds back is held back.
keyed AS (
    SELECT f.*, h.source IS NOT NULL AS held_here,
           CASE WHEN s.kind IS NOT NULL THEN s.kind ELSE f.source END AS gsource,
           CASE WHEN s.kind IS NOT NULL THEN i.ref_args
                WHEN f.survey THEN list_transform(f.args, lambda a: lower(a)) ELSE f.args END AS gargs
    FROM flagged f
    LEFT JOIN indicators i ON NOT f.survey AND i.indicator_id = f.args[1]
    LEFT JOIN kinds s ON s.catalogue_source = i.source AND s.survey
    LEFT JOIN (SELECT DISTINCT source, args, period, period_type, unit_id FROM held) h
      ON h.source = f.source AND h.args = f.args AND h.period = f.period AND h.period_type = f.period_type
     AND h.unit_id IS NOT DISTINCT FROM f.unit_id
),
mixed AS (
    SELECT gsource, gargs, period, period_type, max(min_n) AS min_n
    FROM keyed
    GROUP BY gsource, gargs, period, period_type
    HAVING count(DISTINCT source) > 1
),
mixed_kommune AS (  -- the published kommune figures of such a group: two whose n differ by more than none and
    -- less than the minimum give the mean of the answers one has and the other not, so the larger is held back
    SELECT k.*, EXISTS (
               SELECT 1 FROM keyed o
               WHERE o.gsource = k.gsource AND o.gargs = k.gargs AND o.period = k.period
                 AND o.period_type = k.period_type AND o.unit_id IS NULL AND NOT o.marker AND NOT o.held_here
                 AND o.n < k.n AND k.n - o.n < m.min_n) AS paired
    FROM keyed k JOIN mixed m USING (gsource, gargs, period, period_type)
    WHERE k.unit_id IS NULL AND NOT k.marker AND NOT k.held_here
),
mixed_units AS (
    SELECT k.gsource, k.gargs, k.period, k.period_type, k.unit_id,
           max(k.n) FILTER (WHERE k.shown AND NOT k.held_here) AS shown_n,
           max(k.n) FILTER (WHERE k.marker OR k.held_here) AS held_n  -- a shield's marker keeps its n
    FROM keyed k JOIN mixed USING (gsource, gargs, period, period_type)
    WHERE k.unit_id IS NOT NULL
    GROUP BY ALL
),
mixed_groups AS (
    SELECT m.*, coalesce(sum(u.shown_n), 0) AS shown_n, coalesce(sum(u.held_n) FILTER (WHERE u.shown_n IS NULL), 0)
           AS held_n, coalesce(bool_or(u.unit_id IS NOT NULL AND u.shown_n IS NULL), false) AS has_held,
           (SELECT list(k.n) FROM mixed_kommune k WHERE k.gsource = m.gsource AND k.gargs = m.gargs
               AND k.period = m.period AND k.period_type = m.period_type AND NOT k.paired) AS kommune_ns
    FROM mixed m LEFT JOIN mixed_units u USING (gsource, gargs, period, period_type)
    GROUP BY ALL
),
mixed_figure AS (  -- the published kommune figure nearest above the shown units, or one without n as at 'figure'
    SELECT *,
           coalesce(list_min(list_filter(kommune_ns, lambda x: x > shown_n)),
                    CASE WHEN has_held AND list_count(kommune_ns) < len(kommune_ns) THEN shown_n + held_n + 1 END)
           AS figure_n
    FROM mixed_groups
),
mixed_shielding AS (
    SELECT u.gsource, u.gargs, u.period, u.period_type, u.unit_id, g.min_n,
           g.figure_n - g.shown_n + coalesce(sum(u.shown_n) OVER (
               PARTITION BY u.gsource, u.gargs, u.period, u.period_type ORDER BY u.shown_n, u.unit_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS unaccounted
    FROM mixed_units u
    JOIN mixed_figure g USING (gsource, gargs, period, period_type)
    WHERE u.shown_n IS NOT NULL AND g.figure_n > g.shown_n
)
SELECT source, args, period, period_type, unit_id, reason FROM held
UNION ALL
SELECT k.source, k.args, k.period, k.period_type, k.unit_id, 'skjult av personvernhensyn'
FROM mixed_shielding m
JOIN keyed k USING (gsource, gargs, period, period_type, unit_id)
WHERE m.unaccounted < m.min_n AND NOT k.held_here
UNION ALL
SELECT source, args, period, period_type, NULL, 'skjult av personvernhensyn'
FROM mixed_kommune
WHERE paired
UNION ALL  -- a kommune figure of such a group resting on too few answers beside a unit held back
SELECT k.source, k.args, k.period, k.period_type, NULL, 'for få svar'
FROM keyed k
JOIN mixed_figure g USING (gsource, gargs, period, period_type)
WHERE k.unit_id IS NULL AND NOT k.marker AND NOT k.held_here AND g.has_held AND k.n < g.min_n;
