-- What several dashboard pages need, computed once per build: the KOSTRA group beside each card, the regions'
-- names, each scope's coverage per source, and where each source's figures come from (files or SSB tables).

-- kostra_comparison once per build: the view takes seconds, and the cards and indicator pages read it on
-- every request.
-- per indicator, only for the indicators in kostra_comparison
CREATE TABLE dashboard_kostra_comparison AS
SELECT * FROM kostra_comparison;

-- Every region's name (kommuner, counties, the country) once per build: the municipalities view takes ~0.2 s,
-- and the comparison page names the county and the country for each new year or peer set.
CREATE TABLE dashboard_region_names AS
SELECT code, name FROM municipalities;

-- The KOSTRA group's value for the year of each newest scorecard value (the group from Klass, per year).
-- per indicator, only for the indicators in dashboard_kostra_comparison
CREATE TABLE dashboard_kostra_group AS
SELECT s.indicator_id, s.scope, s.scope_code, c.year, c.group_code, c.group_name, c.group_value,
       c.group_status_symbol
FROM scorecard_latest s
JOIN dashboard_kostra_comparison c ON c.indicator_id = s.indicator_id AND c.scope = s.scope
     AND c.scope_code = s.scope_code AND c.year = year(s.period)
WHERE s.period_type = 'year' AND c.group_code IS NOT NULL;

-- Which input kind (load_log.kind) each catalogue source is loaded from: the kind whose spec says
-- `[catalogue] source` is that name (the `kinds` table the build writes from the specs).
CREATE MACRO dashboard_source_kind(source) AS (
    SELECT any_value(k.kind) FROM kinds k WHERE lower(k.catalogue_source) = lower(source)
);

-- Per scope (kommune or unit) and source: the periods its figures cover and how many indicators have them.
-- A source the scope should have but has no figure from is a row with no periods.
CREATE TABLE dashboard_scope_sources AS
WITH expected AS (
    SELECT DISTINCT 'enhet' AS scope, iu.unit_id AS scope_code, i.source
    FROM indicator_units iu JOIN indicators i USING (indicator_id)
    UNION
    SELECT DISTINCT 'kommune', kommune_code(), source
    FROM indicators WHERE level IN ('kommune', 'begge')
),
covered AS (  -- by where each figure came from: a figure typed in (40_indicator_values.sql names its file) is manual
    SELECT v.scope, v.scope_code,
           CASE WHEN manual_file(v.source_ref) IS NOT NULL THEN 'manuell' ELSE i.source END AS source,
           min(v.period) AS first_period, max(v.period) AS last_period,
           -- the newest period's type; of two types on one date the later name, whatever order the rows are in
           arg_max(v.period_type, row(v.period, v.period_type)) AS period_type,
           count(DISTINCT v.indicator_id) AS indicators
    FROM indicator_values v JOIN indicators i USING (indicator_id)
    WHERE v.scope IN ('kommune', 'enhet')
    GROUP BY ALL
)
SELECT coalesce(e.scope, c.scope) AS scope, coalesce(e.scope_code, c.scope_code) AS scope_code,
       coalesce(e.source, c.source) AS source, c.first_period, c.last_period, c.period_type,
       coalesce(c.indicators, 0) AS indicators
FROM expected e
FULL JOIN covered c ON c.scope = e.scope AND c.scope_code = e.scope_code AND c.source = e.source;

-- Every file loaded for each catalogue source, newest first: where its figures come from.
CREATE VIEW dashboard_source_files AS
SELECT s.source, l.file_name, l.kind, l.rows, l.loaded_at, l.origin
FROM (SELECT DISTINCT source FROM indicators) s
JOIN load_log l ON l.kind = dashboard_source_kind(s.source) AND l.status = 'loaded'
ORDER BY s.source, l.loaded_at DESC, l.file_name;

-- Per KOSTRA indicator: the SSB table, the content code and what was asked for (regions, years), with
-- the vintage and the file it was read from.
-- per indicator
CREATE TABLE dashboard_kostra_sources AS
SELECT i.indicator_id, k.table_id, k.contents_code, any_value(k.contents_label) AS contents_label,
       list(DISTINCT k.region_code ORDER BY k.region_code) AS regions, min(k.year) AS first_year,
       max(k.year) AS last_year, max(k.updated) AS updated, arg_max(k.vintage_text, k.year) AS vintage,
       any_value(k.file) AS file
FROM indicators i
JOIN kostra_values k ON i.source = 'KOSTRA'
     AND k.table_id = split_part(i.source_ref, '/', 1) AND k.contents_code = split_part(i.source_ref, '/', 2)
GROUP BY i.indicator_id, k.table_id, k.contents_code;
