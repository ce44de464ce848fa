-- KOSTRA figures as measures for indicator_values (see 40_indicator_values.sql): an indicator takes the
-- cells whose `table/contents[:dim=code,…]` equals its catalogue kilde_ref (other dimensions in
-- alphabetical order of their ids). Annual figures only; old kommune numbers under today's number.
-- A table of only the cells of the tables and contents some catalogue row names (a national KOSTRA store
-- holds far more): computed once per build, read by indicator_values and the comparison.
CREATE TABLE measures_kostra AS
WITH referenced AS (  -- `table/contents` of every catalogue reference, dimensions aside
    SELECT DISTINCT lower(split_part(source_ref, ':', 1)) AS table_contents
    FROM indicators WHERE source_ref IS NOT NULL
),
mapped AS (
    SELECT v.*, coalesce(m.current_code, v.region_code) AS code,
           v.table_id || '/' || v.contents_code
               || CASE WHEN v.dims_key <> '' THEN ':' || array_to_string(list_sort(string_split(v.dims_key, ',')), ',')
                       ELSE '' END AS ref
    FROM kostra_values v
    LEFT JOIN municipality_code_map m ON m.old_code = v.region_code
    WHERE regexp_full_match(coalesce(v.time_code, ''), '\d{4}') AND v.region_code IS NOT NULL
      AND lower(v.table_id || '/' || v.contents_code) IN (SELECT table_contents FROM referenced)
)
SELECT ref AS source_ref,
       CASE WHEN code = kommune_code() THEN 'kommune' ELSE 'region' END AS scope,
       code AS scope_code, make_date(year, 1, 1) AS period, 'year' AS period_type, value,
       NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, NULL::BIGINT AS n,
       status AS status_symbol, vintage_text AS vintage
FROM mapped
-- old and new number for the same year: the one with a figure wins (SSB marks the number not in use
-- that year with "."), then today's number
QUALIFY row_number() OVER (
    PARTITION BY ref, code, year ORDER BY value IS NULL, (region_code = code) DESC, updated DESC) = 1;
