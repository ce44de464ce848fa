-- One row per kommune or region code: Klass's municipalities (131) and counties (104), numbers that
-- ended (from Klass's change list), the county (EKAnn) and KOSTRA group (EKGnn) regions, the country,
-- and any other region SSB's tables name. kostra_group is the newest membership Klass gave. A table, built
-- once: the comparison and every page join it, and the regions SSB names take a pass over every cell.
CREATE TABLE municipalities AS
WITH klass AS (
    SELECT code, name, valid_from, valid_to
    FROM raw_klass_codes
    WHERE code NOT IN ('99', '9999')  -- "Uoppgitt"
    QUALIFY row_number() OVER (PARTITION BY code ORDER BY _seq DESC) = 1
),
ended AS (
    SELECT old_code AS code, any_value(old_name) AS name, min(changed_on) AS ended_on
    FROM municipality_code_changes
    WHERE old_code IS NOT NULL AND (new_code IS NULL OR new_code <> old_code)
    GROUP BY old_code
),
began AS (
    SELECT new_code AS code, max(changed_on) AS began_on
    FROM municipality_code_changes
    WHERE new_code IS NOT NULL AND (old_code IS NULL OR old_code <> new_code)
    GROUP BY new_code
),
newest_group AS (
    SELECT * FROM kostra_group_membership
    QUALIFY row_number() OVER (PARTITION BY code ORDER BY valid_from DESC NULLS LAST) = 1
),
kommuner AS (
    SELECT k.code, k.name, coalesce(k.valid_from, b.began_on) AS valid_from,
           coalesce(k.valid_to, (e.ended_on - INTERVAL 1 DAY)::DATE) AS valid_to
    FROM klass k LEFT JOIN began b USING (code) LEFT JOIN ended e USING (code)
    WHERE length(k.code) = 4
    UNION ALL
    SELECT e.code, e.name, b.began_on, (e.ended_on - INTERVAL 1 DAY)::DATE
    FROM ended e LEFT JOIN began b USING (code)
    WHERE e.code NOT IN (SELECT code FROM klass) AND length(e.code) = 4
),
listed AS (
    SELECT k.code, k.name, 'kommune' AS kind, left(k.code, 2) AS county_code, f.name AS county_name,
           g.kostra_group, g.kostra_group_name, g.valid_from AS kostra_group_valid_from,
           k.valid_from, k.valid_to, coalesce(m.current_code, k.code) AS current_code
    FROM kommuner k
    LEFT JOIN klass f ON f.code = left(k.code, 2)
    LEFT JOIN newest_group g ON g.code = k.code
    LEFT JOIN municipality_code_map m ON m.old_code = k.code
    UNION ALL BY NAME
    SELECT 'EKA' || code AS code, name, 'fylke' AS kind, code AS county_code, name AS county_name,
           valid_from, valid_to, 'EKA' || code AS current_code
    FROM klass WHERE length(code) = 2
    UNION ALL BY NAME
    SELECT kostra_group AS code, any_value(kostra_group_name) AS name, 'kostragruppe' AS kind,
           kostra_group AS current_code
    FROM kostra_group_membership GROUP BY kostra_group
    UNION ALL BY NAME
    SELECT code, name, 'landet' AS kind, code AS current_code
    FROM (VALUES ('EAK', 'Landet'), ('EAKUO', 'Landet uten Oslo')) t(code, name)
)
SELECT code, name, kind, county_code, county_name, kostra_group, kostra_group_name, kostra_group_valid_from,
       valid_from, valid_to, current_code
FROM listed
UNION ALL BY NAME
-- regions SSB's tables name that Klass did not list, with the tables' own names
SELECT region_code AS code, any_value(region_name) AS name,
       CASE WHEN region_code LIKE 'EKG%' THEN 'kostragruppe' WHEN region_code LIKE 'EKA%' THEN 'fylke'
            WHEN region_code LIKE 'EAK%' THEN 'landet' WHEN regexp_full_match(region_code, '\d{4}') THEN 'kommune'
            ELSE 'region' END AS kind,
       CASE WHEN regexp_full_match(region_code, '\d{4}') THEN left(region_code, 2)
            WHEN region_code LIKE 'EKA%' THEN substr(region_code, 4) END AS county_code,
       region_code AS current_code
FROM raw_kostra  -- kostra_values' cells (it only adds columns): its regions without its casts
WHERE region_code IS NOT NULL AND region_code NOT IN (SELECT code FROM listed)
GROUP BY region_code;
