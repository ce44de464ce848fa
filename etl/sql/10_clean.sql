-- Clean relations: the newest file wins per scope (spec `scope`), older rows of that scope drop out.
-- `_seq` orders loads: a higher number is a later file.

CREATE VIEW units AS
SELECT unit_id, name, service_area, service, coalesce(ansvar_codes, []::VARCHAR[]) AS ansvar_codes,
       area_head, valid_from, valid_to
FROM raw_units
QUALIFY _seq = max(_seq) OVER (PARTITION BY unit_id);

-- Which unit each ansvar code (accounting, HR) belongs to. The loader refuses a units file that gives
-- one code to two units; min() keeps a code from ever counting twice all the same.
CREATE VIEW ansvar_units AS
SELECT ansvar, min(unit_id) AS unit_id
FROM (SELECT unnest(ansvar_codes) AS ansvar, unit_id FROM units)
GROUP BY ansvar;

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

CREATE VIEW targets AS
SELECT indicator_id, unit_id, year, target, green, red
FROM raw_targets
QUALIFY _seq = max(_seq) OVER (PARTITION BY indicator_id, unit_id, year);

-- A row without a value is the marker of a figure the loader held back (anonymity, 16_anonymity.sql):
-- it replaces any older figure for its cell and is itself no figure.
CREATE VIEW manual_values AS
SELECT indicator_id, unit_id, period, period_type, value, numerator, denominator, n, comment, _file, _sha
FROM (SELECT * FROM raw_manual_values QUALIFY _seq = max(_seq) OVER (PARTITION BY indicator_id, unit_id, period))
WHERE value IS NOT NULL;

-- Which units each indicator is measured for: level enhet/begge, and `applies_to` (comma-separated
-- service areas or services; empty = every unit).
CREATE VIEW indicator_units AS
SELECT i.indicator_id, u.unit_id
FROM indicators i
CROSS JOIN units u
WHERE i.level IN ('enhet', 'begge')
  AND (u.valid_to IS NULL OR u.valid_to >= current_date)
  AND (i.applies_to IS NULL OR trim(i.applies_to) = ''
       OR list_has_any(list_transform(string_split(lower(i.applies_to), ','), lambda x: trim(x)),
                       [lower(u.service_area), lower(coalesce(u.service, ''))]));
