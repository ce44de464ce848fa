-- Every indicator value, per scope (kommune, enhet, region) and period, from every source.
-- Computed sources are added here as their readers arrive; a manual figure fills only what no
-- computed source gives.

CREATE TABLE indicator_values AS
WITH kommune AS (
    SELECT value AS code FROM meta WHERE key = 'kommune_code'
),
loaded AS (
    SELECT sha256, min(loaded_at) AS loaded_at FROM load_log WHERE status = 'loaded' GROUP BY sha256
),
manual AS (
    SELECT m.indicator_id,
           CASE WHEN m.unit_id IS NULL THEN 'kommune' ELSE 'enhet' END AS scope,
           coalesce(m.unit_id, (SELECT code FROM kommune)) AS scope_code,
           m.period, m.period_type, m.value, m.numerator, m.denominator, m.n,
           NULL::VARCHAR AS status_symbol,
           'manuelt registrert (' || m._file || ')' AS source_ref,
           'registrert ' || strftime(l.loaded_at, '%d.%m.%Y') AS vintage,
           m.comment
    FROM manual_values m
    LEFT JOIN loaded l ON l.sha256 = m._sha
),
all_values AS (
    SELECT *, 2 AS priority FROM manual
)
SELECT v.indicator_id, v.scope, v.scope_code, v.period, v.period_type, v.value, v.numerator, v.denominator,
       v.n, v.status_symbol, v.source_ref, v.vintage, v.comment
FROM all_values v
JOIN indicators i USING (indicator_id)
-- Anonymity, enforced again here: a unit result with too few answers never reaches a reader,
-- even if the catalogue's minimum was raised after the figure was loaded.
WHERE NOT (v.scope = 'enhet' AND v.n IS NOT NULL AND v.n < i.min_n)
QUALIFY priority = min(priority) OVER (PARTITION BY v.indicator_id, v.scope, v.scope_code, v.period);
