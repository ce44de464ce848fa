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
