-- One row per SSB cell: the newest answer wins (by SSB's `updated`, then load order). The load keeps only
-- that answer in raw_kostra (etl/store/warehouse.py, `_keep_in_force`, with this very order), so the view
-- is a plain projection: no window over every cell, and a filter on table or contents reaches the scan.
-- Vintage: KOSTRA figures for year Y are preliminary from ~15 March Y+1 and final from ~15 June Y+1; the
-- API does not flag them, so the table's `updated` (Norwegian time) decides: before 1 June Y+1 means
-- preliminary.
CREATE VIEW kostra_values AS
WITH cells AS (
    SELECT *, (updated::TIMESTAMPTZ AT TIME ZONE 'Europe/Oslo') AS updated_local
    FROM raw_kostra
),
dated AS (
    SELECT *,
        CASE
            WHEN NOT regexp_full_match(coalesce(time_code, ''), '\d{4}') OR updated_local IS NULL THEN NULL
            WHEN status = '*' OR updated_local::DATE < make_date(year::INTEGER + 1, 6, 1) THEN 'foreløpige'
            ELSE 'endelige'
        END AS vintage
    FROM cells
)
SELECT d.table_id, d.contents_code, d.contents_label, d.region_code, d.region_name, d.year::INTEGER AS year,
       d.time_code, d.value, d.status, s.meaning AS status_meaning, d.dims::JSON AS dims, d.dims_key, d.unit,
       d.decimals::INTEGER AS decimals, d.updated_local AS updated, d.vintage,
       CASE WHEN d.vintage IS NOT NULL THEN d.vintage || ' tall per ' || strftime(d.updated_local, '%d.%m.%Y')
            WHEN d.updated_local IS NOT NULL THEN 'oppdatert ' || strftime(d.updated_local, '%d.%m.%Y')
       END AS vintage_text,
       d._file AS file
FROM dated d
LEFT JOIN ssb_status_symbols s ON s.symbol = d.status;

-- What the relation covers, for the Data page and Styringshjul (61_source_coverage.sql gathers every coverage_…).
CREATE VIEW coverage_kostra_values AS
SELECT 'kostra' AS kind, NULL::VARCHAR AS detail, make_date(min(year), 1, 1) AS covered_from,
       make_date(max(year), 12, 31) AS covered_to, arg_max(vintage_text, year) AS vintage
FROM kostra_values;
