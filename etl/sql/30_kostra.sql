-- KOSTRA and Klass: SSB's cells as published, the municipalities with their county and KOSTRA group
-- (read from Klass, with validity), kommune numbers mapped through Klass's change list, and the KOSTRA
-- measures that feed indicator_values.

-- SSB's standard symbols: what a cell without a (plain) number means. Kept as typed missing values.
CREATE TABLE ssb_status_symbols AS
SELECT * FROM (VALUES
    ('.', 'ikke mulig å oppgi tall'),
    ('..', 'tallgrunnlag mangler'),
    ('...', 'oppgave mangler foreløpig'),
    (':', 'vises ikke av konfidensialitetshensyn'),
    ('-', 'null'),
    ('*', 'foreløpig tall')
) t(symbol, meaning);

-- One row per SSB cell: the newest answer wins (by SSB's `updated`, then load order). Vintage: KOSTRA
-- figures for year Y are preliminary from ~15 March Y+1 and final from ~15 June Y+1; the API does not
-- flag them, so the table's `updated` (Norwegian time) decides: before 1 June Y+1 means preliminary.
CREATE VIEW kostra_values AS
WITH cells AS (
    SELECT *, (updated::TIMESTAMPTZ AT TIME ZONE 'Europe/Oslo') AS updated_local
    FROM raw_kostra
    QUALIFY row_number() OVER (
        PARTITION BY table_id, contents_code, region_code, time_code, dims_key
        ORDER BY updated::TIMESTAMPTZ DESC NULLS LAST, _seq DESC) = 1
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

CREATE VIEW municipality_code_changes AS
SELECT old_code, old_name, new_code, new_name, changed_on
FROM raw_klass_changes
QUALIFY row_number() OVER (PARTITION BY old_code, new_code, changed_on ORDER BY _seq DESC) = 1;

-- Old kommune number → today's, for kommuner that got a new number but kept their name (Trøndelag 2018,
-- Rindal 2019, Hitra 2020, the 2024 renumbering …), followed through several changes. Mergers and splits
-- are not mapped: a merged kommune's history is not any one predecessor's.
CREATE VIEW municipality_code_map AS
WITH RECURSIVE renumbered AS (
    SELECT c.old_code, c.new_code
    FROM municipality_code_changes c
    WHERE c.old_code IS NOT NULL AND c.new_code IS NOT NULL AND c.old_code <> c.new_code
      AND lower(trim(split_part(c.old_name, ' - ', 1))) = lower(trim(split_part(c.new_name, ' - ', 1)))
      AND (SELECT count(DISTINCT o.new_code) FROM municipality_code_changes o
           WHERE o.old_code = c.old_code AND o.changed_on = c.changed_on) = 1
),
chain(old_code, current_code, depth) AS (
    SELECT old_code, new_code, 1 FROM renumbered
    UNION ALL
    SELECT ch.old_code, r.new_code, ch.depth + 1
    FROM chain ch JOIN renumbered r ON r.old_code = ch.current_code
    WHERE ch.depth < 10
)
SELECT old_code, current_code
FROM chain
QUALIFY row_number() OVER (PARTITION BY old_code ORDER BY depth DESC) = 1;

-- Which KOSTRA group (Klass 112) a kommune belongs to, from when to when: spans that never overlap, are never
-- empty, and follow each other without a gap wherever Klass's answers cover the time between them.
-- Each correspondsAt answer (one per year) says "on this date, kommune k is in group g", with Klass's own
-- validFrom/validTo when it gives them (it does: every yearly answer repeats the same 2020-01-01 → open
-- span), otherwise from the answer's date (the earliest answer: since before it) until a later answer
-- says otherwise. The dates where any statement starts or ends cut time into pieces; each piece takes the
-- group of the statement covering it that started last (then the newest answer), and neighbouring pieces
-- with the same group are joined. So the same span repeated by every yearly answer is one span, and an
-- answer fetched before a change does not outlast the change.
CREATE VIEW kostra_group_membership AS
WITH said AS (
    SELECT source_code AS code, target_code AS kostra_group, target_name AS kostra_group_name, as_of, _seq,
           coalesce(valid_from, CASE WHEN as_of > min(as_of) OVER (PARTITION BY source_code) THEN as_of END)
               AS starts,
           valid_to AS ends
    FROM raw_klass_correspondence
    WHERE target_classification = '112' AND source_code IS NOT NULL AND target_code IS NOT NULL
),
statements AS (  -- a statement that ends before it starts says nothing
    SELECT * FROM said WHERE starts IS NULL OR ends IS NULL OR starts < ends
),
cuts AS (
    SELECT code, starts AS cut FROM statements WHERE starts IS NOT NULL
    UNION
    SELECT code, ends FROM statements WHERE ends IS NOT NULL
),
pieces AS (  -- from one cut to the next; before the first and after the last open-ended
    SELECT code, lag(cut) OVER (PARTITION BY code ORDER BY cut) AS lo, cut AS hi FROM cuts
    UNION ALL
    SELECT code, max(cut), NULL FROM cuts GROUP BY code
    UNION ALL
    SELECT code, NULL, NULL FROM statements GROUP BY code HAVING count(starts) = 0 AND count(ends) = 0
),
covered AS (
    SELECT p.code, p.lo, p.hi, s.kostra_group, s.kostra_group_name, s.as_of
    FROM pieces p
    JOIN statements s ON s.code = p.code
     AND (s.starts IS NULL OR s.starts <= p.lo)
     AND (s.ends IS NULL OR p.hi <= s.ends)
    QUALIFY row_number() OVER (
        PARTITION BY p.code, p.lo, p.hi ORDER BY s.starts DESC NULLS LAST, s.as_of DESC NULLS LAST, s._seq DESC) = 1
),
joined AS (  -- a new span where the group changes or a piece does not follow the one before
    SELECT *, sum(CASE WHEN kostra_group IS DISTINCT FROM before_group OR before_hi IS DISTINCT FROM lo
                       THEN 1 ELSE 0 END) OVER (PARTITION BY code ORDER BY lo NULLS FIRST) AS span
    FROM (
        SELECT *, lag(kostra_group) OVER w AS before_group, lag(hi) OVER w AS before_hi
        FROM covered
        WINDOW w AS (PARTITION BY code ORDER BY lo NULLS FIRST)
    )
)
SELECT code, any_value(kostra_group) AS kostra_group,
       arg_max(kostra_group_name, coalesce(as_of, DATE '0001-01-01')) AS kostra_group_name,
       CASE WHEN count(lo) = count(*) THEN min(lo) END AS valid_from,
       CASE WHEN count(hi) = count(*) THEN max(hi) END AS valid_to
FROM joined
GROUP BY code, span;

-- One row per kommune or region code: Klass's municipalities (131) and counties (104), numbers that
-- ended (from Klass's change list), the county (EKAnn) and KOSTRA group (EKGnn) regions, the country,
-- and any other region SSB's tables name. kostra_group is the newest membership Klass gave.
CREATE VIEW municipalities AS
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
FROM kostra_values
WHERE region_code IS NOT NULL AND region_code NOT IN (SELECT code FROM listed)
GROUP BY region_code;

-- KOSTRA figures as measures for indicator_values (see 40_indicator_values.sql): an indicator takes the
-- cells whose `table/contents[:dim=code,…]` equals its catalogue kilde_ref (other dimensions in
-- alphabetical order of their ids). Annual figures only; old kommune numbers under today's number.
CREATE VIEW measures_kostra AS
WITH mapped AS (
    SELECT v.*, coalesce(m.current_code, v.region_code) AS code,
           v.table_id || '/' || v.contents_code
               || CASE WHEN v.dims_key <> '' THEN ':' || array_to_string(list_sort(string_split(v.dims_key, ',')), ',')
                       ELSE '' END AS ref
    FROM kostra_values v
    LEFT JOIN municipality_code_map m ON m.old_code = v.region_code
    WHERE regexp_full_match(coalesce(v.time_code, ''), '\d{4}') AND v.region_code IS NOT NULL
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
