-- Clean relation: the newest file wins per scope (spec `scope`), older rows of that scope drop out.
-- `_seq` orders loads: a higher number is a later file.

CREATE VIEW indicators AS
SELECT indicator_id, name, focus_area, direction, unit_of_measure, source, source_ref, description, formula,
       _row AS sort_order,  -- the row in the catalogue file: panels follow the balansehåndbok's order
       coalesce(decimals, 1)::INTEGER AS decimals,
       coalesce(level, 'begge') AS level,
       applies_to,
       -- the settings' min_n is a floor: a catalogue row can raise an indicator's minimum, never lower it
       greatest(coalesce(min_n, 0), (SELECT value::INTEGER FROM meta WHERE key = 'min_n'))::INTEGER AS min_n,
       comparison, owner, default_target,
       coalesce(green, 0) AS green,
       coalesce(red, green, 0) AS red,
       coalesce(tolerance, CASE WHEN unit_of_measure IN ('kr', '1000 kr') THEN 'relativ' ELSE 'absolutt' END)
           AS tolerance,
       coalesce(frequency, 'år') AS frequency,
       noise,
       valid_from, valid_to
FROM raw_indicators
QUALIFY _seq = max(_seq) OVER (PARTITION BY indicator_id);
