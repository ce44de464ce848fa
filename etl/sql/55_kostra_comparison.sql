-- KOSTRA comparison ("sammenligning med sammenlignbare kommuner"), per indicator, subject and year.
--
-- A subject is the kommune, or a unit where the indicator also has unit-level values (a unit-level twin,
-- e.g. barn per årsverk in each barnehage), compared with the same peers. For each: the value and its
-- rank among the peers (1 = best given the direction), the KOSTRA group's, the county's and the
-- country's value (SSB's own aggregates, never computed here), the peers' spread, differences in units
-- and in %, better/worse given the direction, and the trend over five years. Peers, the kommune and the
-- comparison regions come from the settings (meta); the kommune's KOSTRA group for each year from Klass.
-- After indicator_values and scorecard (it needs both), hence 55.

-- A value's goodness as shown (rounded to the indicator's decimals): higher is better after this.
CREATE MACRO kostra_score(direction, x, target, decimals) AS
    CASE direction
        WHEN 'høyere' THEN round(x, decimals)
        WHEN 'lavere' THEN -round(x, decimals)
        ELSE -abs(round(x, decimals) - target)
    END;

CREATE MACRO kostra_judgement(direction, x, other, target, decimals) AS
    CASE
        WHEN kostra_score(direction, x, target, decimals) IS NULL
          OR kostra_score(direction, other, target, decimals) IS NULL THEN NULL
        WHEN kostra_score(direction, x, target, decimals) > kostra_score(direction, other, target, decimals) + 1e-9
            THEN 'bedre'
        WHEN kostra_score(direction, x, target, decimals) < kostra_score(direction, other, target, decimals) - 1e-9
            THEN 'dårligere'
        ELSE 'likt'
    END;

-- The configured peers as the comparison uses them. A peer given by an older number of a kommune that got
-- a new one (Halden 3001 → 3101) counts under today's number, as its figures do (measures_kostra); a
-- number Klass does not list as a kommune today is kept but said in `note`, which `bms status` and the
-- load summary show, so a peer never vanishes from the comparison unremarked. A table (made again when the
-- settings, Klass's lists or the day change): every statement of the comparison reads it.
CREATE TABLE comparison_peers AS
WITH configured AS (
    SELECT DISTINCT trim(p) AS configured
    FROM (SELECT unnest(string_split(coalesce((SELECT value FROM meta WHERE key = 'peers'), ''), ',')) AS p)
    WHERE trim(p) <> ''
),
resolved AS (
    SELECT c.configured, coalesce(m.current_code, c.configured) AS code, m.current_code IS NOT NULL AS renumbered,
           k.name AS configured_name, k.valid_to AS configured_valid_to,
           c.configured IN (SELECT code FROM raw_klass_codes) AS in_klass
    FROM configured c
    LEFT JOIN municipality_code_map m ON m.old_code = c.configured
    LEFT JOIN municipalities k ON k.code = c.configured
)
SELECT r.configured, r.code, coalesce(cur.name, r.configured_name) AS name,
       CASE
           WHEN r.renumbered THEN
               'sammenligningskommune ' || r.configured || coalesce(' (' || r.configured_name || ')', '')
               || ' har fått nytt kommunenummer og sammenlignes som ' || r.code || coalesce(' (' || cur.name || ')', '')
               || '; skriv ' || r.code || ' i peers i settings.toml'
           WHEN NOT EXISTS (SELECT 1 FROM raw_klass_codes) THEN NULL  -- no Klass list to check against
           WHEN NOT r.in_klass OR r.configured_valid_to < current_date THEN  -- SSB's tables name old numbers too
               'sammenligningskommune ' || r.configured || coalesce(' (' || r.configured_name || ')', '')
               || ' er ikke et kommunenummer i bruk i dag ifølge Klass, og Klass gir ikke ett nytt nummer for det'
               || ' (sammenslått, delt eller feilskrevet); den er ikke med i sammenligningen før peers i'
               || ' settings.toml har dagens nummer'
       END AS note
FROM resolved r
LEFT JOIN municipalities cur ON cur.code = r.code;

-- The indicators with regional (KOSTRA) values: the only ones the comparison has rows for. A table, made
-- again in place for the indicators a load changes (a view would say nothing of which those are).
-- per indicator
CREATE TABLE benchmarked_indicators AS
SELECT DISTINCT indicator_id FROM indicator_values WHERE scope = 'region';

-- A table, computed once per build: the dashboard's tables (60) and the peer values read it, each of them
-- would otherwise compute it again.
-- per indicator, only for the indicators in benchmarked_indicators
CREATE TABLE kostra_comparison AS
WITH setting AS (
    SELECT kommune_code() AS kommune,
           list_filter(string_split(coalesce((SELECT value FROM meta WHERE key = 'comparison_regions'), ''), ','),
                       lambda x: trim(x) <> '') AS regions
),
benchmarked AS (
    SELECT indicator_id FROM benchmarked_indicators
),
subjects AS (
    SELECT v.indicator_id, v.scope, v.scope_code, year(v.period) AS year, v.period, v.value, v.status_symbol,
           v.vintage, v.source_ref
    FROM indicator_values v
    JOIN benchmarked USING (indicator_id)
    WHERE v.period_type = 'year' AND v.scope IN ('kommune', 'enhet')
),
regional AS (
    SELECT indicator_id, scope_code AS code, year(period) AS year, value, status_symbol, vintage
    FROM indicator_values
    WHERE scope = 'region' AND period_type = 'year'
),
years AS (SELECT DISTINCT year FROM subjects),
members AS (  -- each kommune's KOSTRA group on 1 January of each year (Klass 131 → 112)
    SELECT y.year, g.code, g.kostra_group, g.kostra_group_name
    FROM years y
    JOIN kostra_group_membership g
      ON (g.valid_from IS NULL OR g.valid_from <= make_date(y.year, 1, 1))
     AND (g.valid_to IS NULL OR make_date(y.year, 1, 1) < g.valid_to)
    QUALIFY row_number() OVER (PARTITION BY y.year, g.code ORDER BY g.valid_from DESC NULLS LAST) = 1
),
benchmarks AS (  -- the kommune's comparison regions for each year, tokens resolved
    SELECT y.year,
           CASE WHEN list_contains(list_transform(s.regions, lambda x: lower(trim(x))), 'kostragruppe')
                THEN m.kostra_group END AS group_code,
           m.kostra_group_name AS group_name,
           CASE WHEN list_contains(list_transform(s.regions, lambda x: lower(trim(x))), 'fylke')
                THEN 'EKA' || coalesce(k.county_code, left(s.kommune, 2)) END AS county_code,
           list_filter(s.regions, lambda x: upper(trim(x)) LIKE 'EAK%')[1] AS country_code,
           list_filter(list_transform(s.regions, lambda x: CASE lower(trim(x))
               WHEN 'kostragruppe' THEN m.kostra_group
               WHEN 'fylke' THEN 'EKA' || coalesce(k.county_code, left(s.kommune, 2))
               ELSE upper(trim(x)) END), lambda x: x IS NOT NULL) AS region_codes
    FROM years y
    CROSS JOIN setting s
    LEFT JOIN members m ON m.year = y.year AND m.code = s.kommune
    LEFT JOIN municipalities k ON k.code = s.kommune
),
peer_values AS (
    SELECT r.indicator_id, r.year, r.code, r.value, r.status_symbol, r.vintage,
           mu.name, pm.kostra_group
    FROM regional r
    LEFT JOIN municipalities mu ON mu.code = r.code
    LEFT JOIN members pm ON pm.year = r.year AND pm.code = r.code
    WHERE r.code IN (SELECT code FROM comparison_peers)  -- older numbers already mapped to today's
),
spread AS (
    SELECT indicator_id, year,
           count(value) AS peer_count,
           min(value) AS peer_min,
           quantile_cont(value, 0.25) AS peer_q1,
           median(value) AS peer_median,
           quantile_cont(value, 0.75) AS peer_q3,
           max(value) AS peer_max,
           any_value(vintage) FILTER (WHERE vintage IS NOT NULL) AS benchmark_vintage
    FROM peer_values
    GROUP BY indicator_id, year
),
base AS (
    SELECT s.*, i.name AS indicator_name, i.focus_area, i.direction, i.unit_of_measure, i.decimals,
           sc.target,
           CASE WHEN s.scope = 'kommune' THEN coalesce(mk.name, (SELECT value FROM meta WHERE key = 'kommune_name'))
                ELSE u.name END AS scope_name,
           b.group_code, b.group_name, b.county_code, b.country_code, b.region_codes,
           gv.value AS group_value, gv.status_symbol AS group_status_symbol,
           cv.value AS county_value, xv.value AS country_value
    FROM subjects s
    JOIN indicators i USING (indicator_id)
    LEFT JOIN scorecard sc ON sc.indicator_id = s.indicator_id AND sc.scope = s.scope
         AND sc.scope_code = s.scope_code AND sc.period = s.period AND sc.period_type = 'year'
    LEFT JOIN municipalities mk ON s.scope = 'kommune' AND mk.code = s.scope_code
    LEFT JOIN units u ON s.scope = 'enhet' AND u.unit_id = s.scope_code
    LEFT JOIN benchmarks b ON b.year = s.year
    LEFT JOIN regional gv ON gv.indicator_id = s.indicator_id AND gv.year = s.year AND gv.code = b.group_code
    LEFT JOIN regional cv ON cv.indicator_id = s.indicator_id AND cv.year = s.year AND cv.code = b.county_code
    LEFT JOIN regional xv ON xv.indicator_id = s.indicator_id AND xv.year = s.year AND xv.code = b.country_code
),
ranked AS (
    SELECT b.indicator_id, b.scope, b.scope_code, b.year,
           CASE WHEN b.value IS NOT NULL THEN 1 + count(p.value) FILTER (
               WHERE kostra_score(b.direction, p.value, b.target, b.decimals)
                   > kostra_score(b.direction, b.value, b.target, b.decimals) + 1e-9) END AS rank,
           list(struct_pack(code := p.code, name := p.name, value := p.value, status_symbol := p.status_symbol,
                            kostra_group := p.kostra_group, same_group := p.kostra_group = b.group_code)
                ORDER BY p.code) FILTER (WHERE p.code IS NOT NULL) AS peers
    FROM base b
    LEFT JOIN peer_values p ON p.indicator_id = b.indicator_id AND p.year = b.year
    GROUP BY b.indicator_id, b.scope, b.scope_code, b.year, b.value, b.direction, b.target, b.decimals
),
regions AS (  -- every configured comparison region with its value, for tables and charts
    SELECT b.indicator_id, b.scope, b.scope_code, b.year,
           list(struct_pack(code := r.code, name := m.name, value := r.value, status_symbol := r.status_symbol)
                ORDER BY list_position(b.region_codes, r.code)) AS regions
    FROM base b
    JOIN regional r ON r.indicator_id = b.indicator_id AND r.year = b.year AND list_contains(b.region_codes, r.code)
    LEFT JOIN municipalities m ON m.code = r.code
    GROUP BY b.indicator_id, b.scope, b.scope_code, b.year
),
trend AS (  -- the subject's own values over the five years up to this one (at least three of them)
    SELECT b.indicator_id, b.scope, b.scope_code, b.year,
           count(h.value) AS trend_years,
           regr_slope(h.value, h.year) AS trend_slope,
           regr_intercept(h.value, h.year) AS trend_intercept,
           min(h.year) AS trend_from,
           max(h.value) FILTER (WHERE h.year = b.year - 4) AS value_5y_ago,
           list(struct_pack(year := h.year, value := h.value) ORDER BY h.year) AS trend_values
    FROM base b
    JOIN subjects h ON h.indicator_id = b.indicator_id AND h.scope = b.scope AND h.scope_code = b.scope_code
     AND h.year BETWEEN b.year - 4 AND b.year AND h.value IS NOT NULL
    GROUP BY b.indicator_id, b.scope, b.scope_code, b.year
)
SELECT b.indicator_id, b.indicator_name AS name, b.focus_area, b.direction, b.unit_of_measure, b.decimals,
       b.year, b.period, b.scope, b.scope_code, b.scope_name,
       b.value, b.status_symbol, sym.meaning AS status_meaning, b.target,
       r.rank, CASE WHEN b.value IS NOT NULL THEN 1 + coalesce(sp.peer_count, 0) END AS rank_of,
       coalesce(sp.peer_count, 0) AS peer_count,
       b.group_code, b.group_name, b.group_value, b.group_status_symbol,
       b.county_code, b.county_value, b.country_code, b.country_value,
       sp.peer_min, sp.peer_q1, sp.peer_median, sp.peer_q3, sp.peer_max,
       b.value - b.group_value AS diff_group,
       100 * (b.value - b.group_value) / nullif(abs(b.group_value), 0) AS diff_group_pct,
       b.value - sp.peer_median AS diff_peers,
       100 * (b.value - sp.peer_median) / nullif(abs(sp.peer_median), 0) AS diff_peers_pct,
       b.value - b.country_value AS diff_country,
       100 * (b.value - b.country_value) / nullif(abs(b.country_value), 0) AS diff_country_pct,
       kostra_judgement(b.direction, b.value, b.group_value, b.target, b.decimals) AS vs_group,
       kostra_judgement(b.direction, b.value, sp.peer_median, b.target, b.decimals) AS vs_peers,
       kostra_judgement(b.direction, b.value, b.country_value, b.target, b.decimals) AS vs_country,
       t.trend_years, t.trend_from, t.trend_slope,
       b.value - t.value_5y_ago AS change_5y,
       -- the fitted line's end against its start, judged like a comparison
       CASE WHEN t.trend_years >= 3 THEN
           CASE kostra_judgement(b.direction, t.trend_intercept + t.trend_slope * b.year,
                                 t.trend_intercept + t.trend_slope * t.trend_from, b.target, b.decimals)
               WHEN 'bedre' THEN 'bedring' WHEN 'dårligere' THEN 'forverring' WHEN 'likt' THEN 'stabil' END
       END AS trend,
       t.trend_values, r.peers, rg.regions,
       b.vintage, sp.benchmark_vintage, b.source_ref
FROM base b
LEFT JOIN ranked r USING (indicator_id, scope, scope_code, year)
LEFT JOIN spread sp ON sp.indicator_id = b.indicator_id AND sp.year = b.year
LEFT JOIN regions rg USING (indicator_id, scope, scope_code, year)
LEFT JOIN trend t USING (indicator_id, scope, scope_code, year)
LEFT JOIN ssb_status_symbols sym ON sym.symbol = b.status_symbol;
