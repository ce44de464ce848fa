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
