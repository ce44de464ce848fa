-- KOSTRA figures as measures for indicator_values (see 40_indicator_values.sql): a KOSTRA indicator takes
-- the cells whose table, contents code and other dimensions (`dim_codes`, 'dim=code' in alphabetical order of
-- their ids) are the parts of its catalogue kilde_ref `table/contents[:dim=code,…]` (12_indicators.sql).
-- Annual figures only; old kommune numbers under today's number.
-- A table of only the cells of the tables and contents some catalogue row names (a national KOSTRA store
-- holds far more): computed once per build, read by indicator_values and the comparison.
CREATE TABLE measures_kostra AS
WITH referenced AS (  -- table and contents of every KOSTRA catalogue reference, dimensions aside
    SELECT DISTINCT ref_args[1] AS table_id, ref_args[2] AS contents_code
    FROM indicators WHERE source = 'KOSTRA' AND len(ref_args) >= 2
),
mapped AS (
    SELECT v.*, coalesce(m.current_code, v.region_code) AS code,
           CASE WHEN v.dims_key <> '' THEN list_sort(string_split(v.dims_key, ',')) ELSE [] END AS dim_codes
    FROM kostra_values v
    LEFT JOIN municipality_code_map m ON m.old_code = v.region_code
    WHERE regexp_full_match(coalesce(v.time_code, ''), '\d{4}') AND v.region_code IS NOT NULL
      AND EXISTS (SELECT 1 FROM referenced r
                  WHERE r.table_id = lower(v.table_id) AND r.contents_code = lower(v.contents_code))
)
SELECT table_id, contents_code, dim_codes,
       CASE WHEN code = kommune_code() THEN 'kommune' ELSE 'region' END AS scope,
       code AS scope_code, make_date(year, 1, 1) AS period, 'year' AS period_type, value,
       NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, NULL::BIGINT AS n,
       status AS status_symbol, vintage_text AS vintage
FROM mapped
-- old and new number for the same year: the one with a figure wins (SSB marks the number not in use
-- that year with "."), then today's number
QUALIFY row_number() OVER (
    PARTITION BY table_id, contents_code, dim_codes, code, year
    ORDER BY value IS NULL, (region_code = code) DESC, updated DESC) = 1;
