-- What the warehouse holds of each source, for the dashboard's Data page and Styringshjul: the period
-- covered (first day of the first period, last day of the last), when a file of the kind was last loaded,
-- and for KOSTRA the vintage of the newest year. One row per source kind as the load log names it; a
-- user survey row per service (`detail`), since each service's survey has its own rhythm.

-- gather all_coverage from coverage_*
CREATE VIEW source_coverage AS
WITH periods AS (
    SELECT * FROM all_coverage  -- each kind's `coverage_<relation>` view, in its own SQL file
),
loads AS (
    SELECT kind, max(loaded_at) AS last_loaded_at, count(*) AS files
    FROM load_log WHERE status = 'loaded' GROUP BY kind
)
SELECT p.kind, p.detail, CAST(p.covered_from AS DATE) AS covered_from, CAST(p.covered_to AS DATE) AS covered_to,
       p.vintage, l.last_loaded_at, coalesce(l.files, 0) AS files
FROM periods p
LEFT JOIN loads l USING (kind)
WHERE p.covered_from IS NOT NULL;
