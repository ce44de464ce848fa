-- KOSTRA benchmarking by peer set (the dashboard's Sammenligning page): every other kommune with a figure
-- (or SSB's symbol) for a benchmarked indicator and year, with the peer sets it belongs to that year and
-- how it compares with the kommune given the indicator's direction. The peer sets:
--   in_peers  the configured peers (settings `peers`, older numbers counted under today's),
--   in_group  the kommune's KOSTRA group that year (Klass 131 → 112, on 1 January),
--   in_county the kommune's county.
-- Only kommuner with figures in the warehouse take part; `bms fetch kostra` decides which those are.
-- After kostra_comparison (55), whose kommune rows give the direction, target, group and county.
-- Both are tables, computed once per build: kostra_comparison takes seconds, a page must take milliseconds.

-- The kommune's own comparison rows (kostra_comparison for scope 'kommune'), for the dashboard.
-- per indicator, only for the indicators in kostra_comparison
CREATE TABLE kostra_benchmark AS
SELECT * FROM kostra_comparison WHERE scope = 'kommune';

-- per indicator, only for the indicators in kostra_benchmark
CREATE TABLE kostra_peer_values AS
WITH home AS (
    SELECT indicator_id, year, direction, target, decimals, value AS home_value, group_code, county_code
    FROM kostra_benchmark
),
members AS (
    SELECT h.year, g.code, g.kostra_group
    FROM (SELECT DISTINCT year FROM home) h
    JOIN kostra_group_membership g
      ON (g.valid_from IS NULL OR g.valid_from <= make_date(h.year, 1, 1))
     AND (g.valid_to IS NULL OR make_date(h.year, 1, 1) < g.valid_to)
    QUALIFY row_number() OVER (PARTITION BY h.year, g.code ORDER BY g.valid_from DESC NULLS LAST) = 1
)
SELECT h.indicator_id, h.year, r.scope_code AS code, m.name, r.value, r.status_symbol, sym.meaning AS status_meaning,
       r.scope_code IN (SELECT code FROM comparison_peers) AS in_peers,
       coalesce(g.kostra_group = h.group_code, false) AS in_group,
       coalesce('EKA' || m.county_code = h.county_code, false) AS in_county,
       g.kostra_group,
       kostra_judgement(h.direction, r.value, h.home_value, h.target, h.decimals) AS vs_home
FROM home h
JOIN indicator_values r
  ON r.indicator_id = h.indicator_id AND r.scope = 'region' AND r.period_type = 'year' AND year(r.period) = h.year
JOIN municipalities m ON m.code = r.scope_code AND m.kind = 'kommune'
LEFT JOIN members g ON g.year = h.year AND g.code = r.scope_code
LEFT JOIN ssb_status_symbols sym ON sym.symbol = r.status_symbol
WHERE r.scope_code <> kommune_code();
