-- What the warehouse holds of each source, for the dashboard's Data page and Styringshjul: the period
-- covered (first day of the first period, last day of the last), when a file of the kind was last loaded,
-- and for KOSTRA the vintage of the newest year. One row per source kind as the load log names it; a
-- user survey row per service (`detail`), since each service's survey has its own rhythm.

CREATE VIEW source_coverage AS
WITH periods AS (
    SELECT 'regnskap' AS kind, NULL AS detail, min(period) AS covered_from,
           max(period) + INTERVAL 1 MONTH - INTERVAL 1 DAY AS covered_to, NULL AS vintage
    FROM accounting
    UNION ALL
    SELECT 'sykefravær', NULL, min(period), max(CASE period_type
               WHEN 'year' THEN period + INTERVAL 1 YEAR WHEN 'tertial' THEN period + INTERVAL 4 MONTH
               WHEN 'quarter' THEN period + INTERVAL 3 MONTH ELSE period + INTERVAL 1 MONTH END) - INTERVAL 1 DAY,
           NULL
    FROM sick_leave
    UNION ALL
    SELECT 'personal', NULL, min(period), max(CASE period_type
               WHEN 'year' THEN period + INTERVAL 1 YEAR ELSE period + INTERVAL 1 MONTH END) - INTERVAL 1 DAY, NULL
    FROM staff
    UNION ALL
    SELECT 'brukerundersøkelse', service, make_date(min(year), 1, 1), make_date(max(year), 12, 31), NULL
    FROM user_survey GROUP BY service
    UNION ALL
    SELECT 'medarbeiderundersøkelse', NULL, make_date(min(year), 1, 1), make_date(max(year), 12, 31), NULL
    FROM employee_survey
    UNION ALL
    SELECT 'avvik', NULL, min(reported_on), greatest(max(reported_on), max(closed_on)), NULL FROM deviations
    UNION ALL
    SELECT 'vedtak', NULL, min(meeting_date), greatest(max(meeting_date), max(done_on)), NULL FROM decisions
    UNION ALL
    SELECT 'kostra', NULL, make_date(min(year), 1, 1), make_date(max(year), 12, 31),
           arg_max(vintage_text, year)
    FROM kostra_values
    UNION ALL
    SELECT 'indikatorverdier', NULL, min(period), max(period), NULL FROM manual_values
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
